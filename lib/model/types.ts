// The data model every layer shares: LaunchDarkly flags and segments, as the server SDKs serialise them.
// Neutral ground: the sources produce it, the sync core passes it on, the store writes and reads it, and
// none of them has to import another for it. Only the fields the code relies on are typed; everything else
// is carried through untouched. Pure types and one constant: no imports.

/** The two kinds of data LaunchDarkly's server-side data model has, by their table namespace. */
export type DataKindName = 'features' | 'segments';

export const DATA_KINDS: readonly DataKindName[] = ['segments', 'features'];

export interface VersionedItem {
  key: string;
  version: number;
  deleted?: boolean;
  [field: string]: unknown;
}

export interface Flag extends VersionedItem {
  prerequisites?: { key: string; variation: number }[];
}

export type Segment = VersionedItem;

/** A full data set, in the shape of LaunchDarkly's `GET /sdk/latest-all` response. */
export interface FullDataSet {
  flags: Record<string, Flag>;
  segments: Record<string, Segment>;
}
