// The table layout LaunchDarkly's server SDKs use for their DynamoDB persistent store, as pure functions.
// Shared by the writer and the read-only reader, so it must not import either (nor the AWS SDK).
//
// Layout (one item per flag or segment):
//   namespace (S, partition key)  "features" | "segments", or "<prefix>:features" with a prefix
//   key       (S, sort key)       the flag or segment key, never prefixed
//   version   (N)                 the item's version; every write is conditional on it
//   item      (S)                 the item's JSON; a deletion is the tombstone {"key","version","deleted":true}
// The marker item namespace = key = "[<prefix>:]$inited" says that some writer completed an init.
//
// Our one extension: an item whose JSON is over DynamoDB's 400 KB item limit is stored gzip-compressed in
// the binary attribute `itemGzip` with no `item` attribute. LaunchDarkly's own stores drop such items;
// their readers see a row without `item` as deleted, which is what they would have seen anyway, while
// our reader inflates it.

import { nodeZlib } from './builtins.js';
import { StoredItemTooLargeError } from './errors.js';
import type { DataKindName } from './types.js';

export const INITED_KEY = '$inited';
/** Binary attribute that holds gzip-compressed JSON for items too large for `item`. */
export const COMPRESSED_ATTRIBUTE = 'itemGzip';
/** DynamoDB's hard item size limit is 400 KB (409,600 bytes); like LaunchDarkly we stay under 400,000. */
export const MAX_ITEM_BYTES = 400_000;
/**
 * The most a compressed item may inflate to when read: 64 MiB, the largest full data set the sync accepts
 * from LaunchDarkly (no real flag or segment comes near it). Under 400 KB of gzip can otherwise inflate to
 * gigabytes and take a consumer Lambda down.
 */
export const MAX_INFLATED_ITEM_BYTES = 64 * 1024 * 1024;

export function prefixed(prefix: string | undefined, name: string): string {
  return prefix ? `${prefix}:${name}` : name;
}

export function namespaceFor(prefix: string | undefined, kind: DataKindName): string {
  return prefixed(prefix, kind);
}

export function initedKey(prefix: string | undefined): string {
  return prefixed(prefix, INITED_KEY);
}

export function isDataKind(value: unknown): value is DataKindName {
  return value === 'features' || value === 'segments';
}

/** The attributes of a stored row as DynamoDB returns them (only the ones this layout uses). */
export interface StoredRow {
  namespace?: { S?: string };
  key?: { S?: string };
  version?: { N?: string };
  item?: { S?: string };
  itemGzip?: { B?: Uint8Array };
  deleted?: { BOOL?: boolean };
}

/**
 * Reads the JSON of a stored row, inflating the compressed form. Returns undefined when the row has
 * no readable item, which LaunchDarkly's readers treat as deleted. Throws StoredItemTooLargeError when the
 * compressed form inflates past `maxBytes`, and zlib's error when it is not gzip.
 */
export function rowJson(row: StoredRow, maxBytes = MAX_INFLATED_ITEM_BYTES): string | undefined {
  if (row.item?.S !== undefined) return row.item.S;
  const gz = row.itemGzip?.B;
  if (!gz) return undefined;
  try {
    return nodeZlib().gunzipSync(gz, { maxOutputLength: maxBytes }).toString('utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new StoredItemTooLargeError(row.key?.S, gz.byteLength, maxBytes, { cause: err });
    throw err;
  }
}

/** The version stored in a row, 0 when absent (as LaunchDarkly's reader does). */
export function rowVersion(row: StoredRow): number {
  const n = Number(row.version?.N ?? '0');
  return Number.isFinite(n) ? n : 0;
}

/**
 * DynamoDB's size of an item: attribute names plus values (UTF-8 bytes for strings, raw bytes for binary,
 * about one byte per two digits plus one for numbers), plus the 100-byte overhead LaunchDarkly's estimate adds.
 */
export function estimateItemBytes(attrs: Record<string, { S?: string; N?: string; B?: Uint8Array; BOOL?: boolean }>): number {
  let size = 100;
  for (const [name, value] of Object.entries(attrs)) {
    size += Buffer.byteLength(name);
    if (value.S !== undefined) size += Buffer.byteLength(value.S);
    else if (value.N !== undefined) size += Math.ceil(value.N.length / 2) + 1;
    else if (value.B !== undefined) size += value.B.byteLength;
    else if (value.BOOL !== undefined) size += 1;
  }
  return size;
}

/** Keys of the flags a flag depends on: its prerequisites. */
export function prerequisiteKeys(item: unknown): string[] {
  const prereqs = (item as { prerequisites?: unknown })?.prerequisites;
  if (!Array.isArray(prereqs)) return [];
  return prereqs.map((p) => (p as { key?: unknown })?.key).filter((k): k is string => typeof k === 'string');
}

/** Keys of the segments an item's rules match on (`segmentMatch` clauses), for flags and segments alike. */
export function segmentKeys(item: unknown): string[] {
  const rules = (item as { rules?: unknown })?.rules;
  if (!Array.isArray(rules)) return [];
  const keys: string[] = [];
  for (const rule of rules) {
    const clauses = (rule as { clauses?: unknown })?.clauses;
    if (!Array.isArray(clauses)) continue;
    for (const clause of clauses) {
      const c = clause as { op?: unknown; values?: unknown };
      if (c?.op === 'segmentMatch' && Array.isArray(c.values)) {
        for (const v of c.values) if (typeof v === 'string') keys.push(v);
      }
    }
  }
  return keys;
}
