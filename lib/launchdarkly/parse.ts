// Parsing of LaunchDarkly payloads: the `latest-all` data set and the stream's put/patch/delete events.
// Pure (no I/O). It checks the shape the protocol promises, the way LaunchDarkly's cross-SDK contract tests
// expect: malformed JSON or a wrong shape is a PayloadError (the stream drops the connection and reconnects);
// an unknown event name, or a patch/delete for a kind we do not know, is ignored (undefined).
// It does not validate each flag or segment deeply: the store checks every item and rejects bad ones one by
// one, so one bad flag does not cost the whole data set.
import type { DataKindName, Flag, FullDataSet, Segment, VersionedItem } from '../model/types.js';
import { PayloadError } from './errors.js';

export type StreamEvent =
  | { type: 'put'; data: FullDataSet }
  | { type: 'patch'; kind: DataKindName; item: VersionedItem }
  | { type: 'delete'; kind: DataKindName; key: string; version: number };

/** The stream event names that carry data; anything else is ignored without parsing its data. */
export const STREAM_EVENT_NAMES = ['put', 'patch', 'delete'] as const;

const PATH_PREFIXES: readonly (readonly [string, DataKindName])[] = [
  ['/flags/', 'features'],
  ['/segments/', 'segments'],
];

/**
 * Checks a parsed `GET /sdk/latest-all` body (or a put event's `data`): an object whose `flags` and
 * `segments` are objects mapping keys to objects. A missing `segments` (older payloads) reads as none.
 * `where` names the payload in error messages.
 */
export function parseFullDataSet(json: unknown, where: string): FullDataSet {
  return checkDataSet(json, where, '');
}

/**
 * Parses one stream event. Returns undefined for events to ignore: unknown event names (their data is not
 * even parsed) and patches/deletes whose path names a kind other than flags or segments.
 * Throws PayloadError for malformed JSON or a shape the protocol does not allow.
 */
export function parseStreamEvent(eventName: string, data: string): StreamEvent | undefined {
  if (eventName !== 'put' && eventName !== 'patch' && eventName !== 'delete') return undefined;
  const where = `${eventName} event`;
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch (err) {
    throw new PayloadError(where, `data is not valid JSON (${(err as Error).message}): ${excerpt(data)}`, { cause: err });
  }
  if (!isObject(json)) throw new PayloadError(where, `data must be a JSON object, got ${describeValue(json)}`);

  if (eventName === 'put') {
    // `path` is normally "/", but some Relay Proxy versions omit it, so it is not required.
    if (!('data' in json)) throw new PayloadError(where, `"data" is missing; expected the full data set`);
    return { type: 'put', data: checkDataSet(json.data, where, 'data.') };
  }

  const path = json.path;
  if (typeof path !== 'string') throw new PayloadError(where, mismatch('path', 'a string like "/flags/<key>"', path));
  const target = parsePath(path);
  if (target === undefined) return undefined;
  if (target.key.length === 0) throw new PayloadError(where, `"path" ${JSON.stringify(path)} names no key`);

  if (eventName === 'delete') {
    const version = json.version;
    if (!isVersion(version)) throw new PayloadError(where, mismatch('version', 'a non-negative integer', version));
    return { type: 'delete', kind: target.kind, key: target.key, version };
  }

  const item = json.data;
  if (!isObject(item)) throw new PayloadError(where, mismatch('data', `the ${kindNoun(target.kind)} as an object`, item));
  if (!isVersion(item.version)) throw new PayloadError(where, mismatch('data.version', 'a non-negative integer', item.version));
  if (item.key === undefined) {
    // The path is authoritative for the key (as in LaunchDarkly's SDKs); fill it in so the store can key the item.
    return { type: 'patch', kind: target.kind, item: { ...item, key: target.key, version: item.version } };
  }
  if (item.key !== target.key) {
    throw new PayloadError(
      where,
      `"data.key" is ${describeValue(item.key)} but "path" ${JSON.stringify(path)} names ${JSON.stringify(target.key)}`,
    );
  }
  return { type: 'patch', kind: target.kind, item: item as VersionedItem };
}

/** The kind and key a stream path names ("/flags/x" → features/x), or undefined for any other path. */
export function parsePath(path: string): { kind: DataKindName; key: string } | undefined {
  for (const [prefix, kind] of PATH_PREFIXES) {
    if (path.startsWith(prefix)) return { kind, key: path.slice(prefix.length) };
  }
  return undefined;
}

/** The stream path of an item ("features", "x" → "/flags/x"). */
export function pathFor(kind: DataKindName, key: string): string {
  return `${kind === 'features' ? '/flags/' : '/segments/'}${key}`;
}

function checkDataSet(json: unknown, where: string, prefix: string): FullDataSet {
  if (!isObject(json)) {
    const field = prefix ? `"${prefix.slice(0, -1)}" ` : '';
    throw new PayloadError(where, `${field}must be an object with "flags" and "segments", got ${describeValue(json)}`);
  }
  // `flags` is required: reading a missing map as "no flags" would make a sync delete every flag.
  const flags = checkMap(json.flags, where, `${prefix}flags`, false) as Record<string, Flag>;
  const segments = checkMap(json.segments, where, `${prefix}segments`, true) as Record<string, Segment>;
  return { flags, segments };
}

function checkMap(value: unknown, where: string, field: string, optional: boolean): Record<string, unknown> {
  if (value === undefined && optional) return Object.create(null) as Record<string, unknown>;
  if (!isObject(value)) throw new PayloadError(where, mismatch(field, 'an object mapping keys to items', value));
  // A null-prototype copy: keys such as "__proto__" or "toString" are legal LaunchDarkly keys, and a lookup of
  // an absent one must find nothing rather than Object.prototype's member.
  const map: Record<string, unknown> = Object.create(null);
  for (const [key, item] of Object.entries(value)) {
    if (!isObject(item)) throw new PayloadError(where, mismatch(`${field}.${key}`, 'an object', item));
    map[key] = item;
  }
  return map;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function kindNoun(kind: DataKindName): string {
  return kind === 'features' ? 'flag' : 'segment';
}

function mismatch(field: string, expected: string, got: unknown): string {
  if (got === undefined) return `"${field}" is missing; expected ${expected}`;
  return `"${field}" must be ${expected}, got ${describeValue(got)}`;
}

/** A received value, short enough for a log line and never the whole payload. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  return excerpt(JSON.stringify(value));
}

function excerpt(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}
