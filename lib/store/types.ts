// The data model the store handles: LaunchDarkly flags and segments, as the server SDKs serialise them.
// Only the fields the store itself relies on are typed; everything else is carried through untouched.

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

export type { Logger } from '../util/logger.js';
export { silentLogger } from '../util/logger.js';
/** @deprecated The same type as `Logger` (its one home is lib/util/logger.ts); kept because the package root exports it. */
export type StoreLogger = import('../util/logger.js').Logger;
