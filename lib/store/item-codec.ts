// Flags and segments to table rows and back, in LaunchDarkly's layout (layout.ts), for the writer.
//
// What a row carries besides LaunchDarkly's `namespace`, `key`, `version` and `item`:
// - `asOf` (N, epoch ms): the moment of LaunchDarkly's data the row reflects: when the full data set was
//   taken, or when a patch arrived. Readers ignore it; the init plan uses it to tell rows older than a
//   snapshot from newer ones (docs/write-rules.md).
// - on a tombstone, `deleted` (BOOL true) next to the `{"key","version","deleted":true}` JSON: LaunchDarkly's
//   own stores read this attribute as "deleted" (js-core DynamoDBCore `_unmarshalItem`, and the v7 store's
//   query filter `attribute_not_exists(deleted) OR deleted = :deleted`), and it lets the writer's projected
//   version read tell tombstones from live rows without reading their JSON.
// - items over 400 KB: gzip-compressed JSON in `itemGzip` instead of `item` (layout.ts).
import { gzipSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ItemTooLargeError, ItemValidationError } from './errors.js';
import { COMPRESSED_ATTRIBUTE, MAX_ITEM_BYTES, estimateItemBytes, namespaceFor, rowJson, rowVersion, type StoredRow } from './layout.js';
import type { DataKindName, VersionedItem } from './types.js';

export const AS_OF = 'asOf';
export const DELETED = 'deleted';

/** An item ready to be written. */
export interface Encoded {
  kind: DataKindName;
  key: string;
  version: number;
  attrs: Record<string, AttributeValue>;
  bytes: number;
  compressed: boolean;
  tombstone: boolean;
}

/** Write units DynamoDB bills for a standard write of `bytes`: one per started KB. */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

/**
 * Encodes an item (or, with `deleted: true`, its tombstone) for `prefix`; throws ItemValidationError when its
 * JSON cannot be produced and ItemTooLargeError when it does not fit even compressed.
 */
export function encodeItem(prefix: string | undefined, kind: DataKindName, item: VersionedItem, asOf: number): Encoded {
  const tombstone = item.deleted === true;
  let json: string;
  try {
    json = JSON.stringify(tombstone ? { key: item.key, version: item.version, deleted: true } : item);
  } catch (err) {
    // A cycle or nesting deeper than the JSON encoder's stack: this item cannot be stored, the others can.
    throw new ItemValidationError(kind, item.key, `cannot be serialised to JSON (${(err as Error).message})`);
  }
  const base: Record<string, AttributeValue> = {
    namespace: { S: namespaceFor(prefix, kind) },
    key: { S: item.key },
    version: { N: String(item.version) },
    [AS_OF]: { N: String(asOf) },
  };
  if (tombstone) base[DELETED] = { BOOL: true };
  const plain = { ...base, item: { S: json } };
  const bytes = estimateItemBytes(plain);
  if (bytes <= MAX_ITEM_BYTES) return { kind, key: item.key, version: item.version, attrs: plain, bytes, compressed: false, tombstone };
  const packed = { ...base, [COMPRESSED_ATTRIBUTE]: { B: gzipSync(json, { level: 9 }) } };
  const packedBytes = estimateItemBytes(packed);
  if (packedBytes > MAX_ITEM_BYTES) throw new ItemTooLargeError(kind, item.key, packedBytes, MAX_ITEM_BYTES);
  return { kind, key: item.key, version: item.version, attrs: packed, bytes: packedBytes, compressed: true, tombstone };
}

/** The item a row holds, a tombstone for a deleted row; throws when its JSON cannot be read. */
export function decodeRow(key: string, row: StoredRow): VersionedItem {
  const json = rowJson(row);
  if (json === undefined || row.deleted?.BOOL === true) return { key, version: rowVersion(row), deleted: true };
  return JSON.parse(json) as VersionedItem;
}
