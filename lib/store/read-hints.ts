// Read hints: a small row the writer keeps beside LaunchDarkly's layout so that our reader can plan its reads.
// Shared by the writer and the read-only reader; pure functions (zlib only, taken as builtins.ts says), no AWS SDK.
//
// The row: namespace = key = "[<prefix>:]$readHints" (outside LaunchDarkly's namespaces, so their SDKs and
// the Relay Proxy never see it), with
//   hints         (B)  gzip-compressed JSON {"format":1,"ranges":{...},"refs":{...},"bytes":{...}} (below)
//   refsDigest    (S)  a digest of `refs`, so a writer can tell whether they changed without reading `hints`
//   featureCount, segmentCount (N)  how many items the ranges were planned for
// What it holds:
// - ranges: per namespace, split keys in DynamoDB's sort order (UTF-8 bytes) that cut it into pieces of
//   about RANGE_TARGET_BYTES, so all('features') can query every piece at once instead of paging through
//   1 MB pages in sequence (or guessing split points). Empty for a namespace that fits one page.
// - refs: the dependencies one level down that a reader cannot see from the item it is reading: for every
//   flag or segment that other items refer to (a prerequisite flag, a segment) and that itself refers to
//   flags or segments, those references. With them the reader fetches a flag's whole dependency tree in one
//   batch after the flag, instead of one batch per level.
// - bytes: per namespace, the stored size of its items when the hints were planned (added later in format 1;
//   older hints lack it). A reader on a cold start uses it to tell whether one Query page holds a namespace.
// A hint is only ever a plan: the reader still follows the items' own references, and a stale or missing
// hint costs extra round trips, never a wrong evaluation.

import { nodeZlib } from './builtins.js';
import { prefixed, prerequisiteKeys, segmentKeys } from './layout.js';
import type { DataKindName } from './types.js';

export const READ_HINTS_KEY = '$readHints';
export const READ_HINTS_FORMAT = 1;
/** What one Query page holds: 1 MB of items as DynamoDB sizes them, less a margin for the writer's estimate. */
export const PAGE_BYTES = 1_000_000;
/** Below DynamoDB's 1 MB Query page, so each range is one request. */
export const RANGE_TARGET_BYTES = 700_000;
/** More ranges than this would mostly queue on the HTTP agent; ranges grow instead. */
export const MAX_RANGES = 64;
/** A hint row must fit DynamoDB's 400 KB item limit with room to spare; refs are left out beyond this. */
export const MAX_HINT_BYTES = 350_000;
/** A stored hint inflating past this is ignored as damaged (a real one, 350 KB of gzip, inflates to a few MB). */
export const MAX_HINT_INFLATED_BYTES = 16 * 1024 * 1024;

export interface ReadHints {
  format: number;
  ranges: Record<DataKindName, string[]>;
  /** "f:<flag key>" or "s:<segment key>" → the same form for each item it refers to. */
  refs: Record<string, string[]>;
  /** Stored bytes per namespace when planned; absent in hints written before it was added. */
  bytes?: Record<DataKindName, number>;
}

export function readHintsKey(prefix: string | undefined): string {
  return prefixed(prefix, READ_HINTS_KEY);
}

export const refId = (kind: DataKindName, key: string): string => `${kind === 'features' ? 'f' : 's'}:${key}`;

export function parseRefId(id: string): [DataKindName, string] | undefined {
  if (id.startsWith('f:')) return ['features', id.slice(2)];
  if (id.startsWith('s:')) return ['segments', id.slice(2)];
  return undefined;
}

/** DynamoDB orders string sort keys by their UTF-8 bytes, which is not JavaScript's UTF-16 order. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface HintSource {
  key: string;
  /** The item's stored size in bytes. */
  bytes: number;
  item: unknown;
}

/** Plans the hints for the items a namespace holds after a sync. */
export function computeReadHints(items: Record<DataKindName, HintSource[]>): ReadHints {
  const refsOf = (kind: DataKindName, item: unknown): string[] => [
    ...(kind === 'features' ? prerequisiteKeys(item).map((k) => refId('features', k)) : []),
    ...segmentKeys(item).map((k) => refId('segments', k)),
  ];
  const direct = new Map<string, string[]>();
  const referenced = new Set<string>();
  for (const kind of ['features', 'segments'] as const) {
    for (const source of items[kind]) {
      const refs = refsOf(kind, source.item);
      if (refs.length === 0) continue;
      direct.set(refId(kind, source.key), refs);
      for (const r of refs) referenced.add(r);
    }
  }
  const refs: Record<string, string[]> = {};
  for (const id of [...referenced].sort()) {
    const own = direct.get(id);
    if (own) refs[id] = [...new Set(own)];
  }
  const ranges = { features: splitPoints(items.features), segments: splitPoints(items.segments) };
  return { format: READ_HINTS_FORMAT, ranges, refs, bytes: { features: totalBytes(items.features), segments: totalBytes(items.segments) } };
}

const totalBytes = (items: HintSource[]) => items.reduce((sum, i) => sum + i.bytes, 0);

function splitPoints(items: HintSource[]): string[] {
  const total = totalBytes(items);
  if (total <= RANGE_TARGET_BYTES) return [];
  const target = Math.max(RANGE_TARGET_BYTES, Math.ceil(total / MAX_RANGES));
  // Encode each key once: comparing through compareKeys would allocate two buffers per comparison.
  const sorted = items.map((item) => ({ item, utf8: Buffer.from(item.key, 'utf8') })).sort((a, b) => Buffer.compare(a.utf8, b.utf8));
  const points: string[] = [];
  let bytes = 0;
  for (const { item } of sorted) {
    if (bytes + item.bytes > target && bytes > 0) {
      points.push(item.key);
      bytes = 0;
    }
    bytes += item.bytes;
  }
  return points;
}

/**
 * Whether one Query page holds the namespace: from the recorded size, else from the ranges (none: under
 * RANGE_TARGET_BYTES; two cuts or more: over 1.4 MB, as every range but the last holds about that much);
 * undefined when the hints cannot tell (one cut, no size).
 */
export function fitsOnePage(hints: ReadHints, kind: DataKindName): boolean | undefined {
  const bytes = hints.bytes?.[kind];
  if (bytes !== undefined) return bytes <= PAGE_BYTES;
  const cuts = hints.ranges[kind].length;
  return cuts === 0 ? true : cuts >= 2 ? false : undefined;
}

/** The stored form; refs are dropped when the whole would not fit an item (the ranges alone always do). */
export function encodeReadHints(hints: ReadHints): { bytes: Uint8Array; refsDropped: boolean } {
  const { gzipSync } = nodeZlib();
  const full = gzipSync(JSON.stringify(hints));
  if (full.byteLength <= MAX_HINT_BYTES) return { bytes: full, refsDropped: false };
  return { bytes: gzipSync(JSON.stringify({ ...hints, refs: {} })), refsDropped: true };
}

/** Reads a stored hint; undefined for anything it does not recognise (a newer format, damage), which readers ignore. */
export function decodeReadHints(bytes: Uint8Array | undefined): ReadHints | undefined {
  if (!bytes) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(nodeZlib().gunzipSync(bytes, { maxOutputLength: MAX_HINT_INFLATED_BYTES }).toString('utf8'));
  } catch {
    return undefined;
  }
  const h = parsed as Partial<ReadHints> | null;
  if (!h || h.format !== READ_HINTS_FORMAT || typeof h.ranges !== 'object' || typeof h.refs !== 'object' || !h.ranges || !h.refs)
    return undefined;
  const ranges = { features: sortedKeys(h.ranges.features), segments: sortedKeys(h.ranges.segments) };
  const refs: Record<string, string[]> = {};
  for (const [id, list] of Object.entries(h.refs)) {
    if (Array.isArray(list)) refs[id] = list.filter((r): r is string => typeof r === 'string');
  }
  const sizes = h.bytes as Partial<Record<DataKindName, unknown>> | undefined;
  const size = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  const known = sizes && size(sizes.features) && size(sizes.segments) ? (sizes as Record<DataKindName, number>) : undefined;
  return { format: READ_HINTS_FORMAT, ranges, refs, ...(known ? { bytes: { features: known.features, segments: known.segments } } : {}) };
}

/** Split points are usable only as strictly increasing keys (else a BETWEEN would be rejected): otherwise none. */
function sortedKeys(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((k) => typeof k === 'string' && k.length > 0)) return [];
  for (let i = 1; i < value.length; i++) if (compareKeys(value[i - 1], value[i]) >= 0) return [];
  return value as string[];
}

/** The ranges split points cut a namespace into, both ends included: [-, s1], [s1, s2], …, [sn, -]. */
export function rangesOf(splits: string[]): [string | undefined, string | undefined][] {
  const bounds: (string | undefined)[] = [undefined, ...splits, undefined];
  return bounds.slice(1).map((hi, i) => [bounds[i], hi]);
}

/**
 * The sort-key part of a Query's KeyConditionExpression for one range (`#k` names the `key` attribute).
 * Adjacent ranges share their boundary key, which DynamoDB's single sort-key condition cannot exclude.
 */
export function rangeKeyCondition(
  lo: string | undefined,
  hi: string | undefined,
): { expression: string; values: Record<string, { S: string }> } {
  if (lo !== undefined && hi !== undefined)
    return { expression: ' AND #k BETWEEN :lo AND :hi', values: { ':lo': { S: lo }, ':hi': { S: hi } } };
  if (lo !== undefined) return { expression: ' AND #k >= :lo', values: { ':lo': { S: lo } } };
  if (hi !== undefined) return { expression: ' AND #k <= :hi', values: { ':hi': { S: hi } } };
  return { expression: '', values: {} };
}
