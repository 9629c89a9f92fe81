// Checks an item before it is stored: what the table layout and the version rule need, nothing more
// (flag semantics are LaunchDarkly's business). Pure; errors name the kind, the key and what was wrong.
import { ItemValidationError } from './errors.js';
import { isDataKind } from './layout.js';
import type { DataKindName, VersionedItem } from './types.js';

/** DynamoDB's limit for a sort key value, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

export function checkKind(kind: unknown, key?: string): asserts kind is DataKindName {
  if (!isDataKind(kind)) {
    throw new ItemValidationError(String(kind), key, `unknown kind ${JSON.stringify(kind)}; expected "features" or "segments"`);
  }
}

export function checkKey(kind: string, key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new ItemValidationError(kind, undefined, `"key" must be a non-empty string, got ${describeValue(key)}`);
  }
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new ItemValidationError(
      kind,
      `${key.slice(0, 64)}…`,
      `key is ${Buffer.byteLength(key)} bytes; DynamoDB sort keys hold at most ${MAX_KEY_BYTES}`,
    );
  }
}

export function checkVersion(kind: string, key: string, version: unknown): asserts version is number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw new ItemValidationError(kind, key, `"version" must be a non-negative integer, got ${describeValue(version)}`);
  }
}

/**
 * Validates one item. `mapKey` is the key it was listed under in a data set, which must agree with the
 * item's own key (LaunchDarkly's readers key results by the table's `key`, so a mismatch would misfile it).
 */
export function checkItem(kind: unknown, item: unknown, mapKey?: string): VersionedItem {
  checkKind(kind, mapKey);
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    throw new ItemValidationError(kind, mapKey, `must be a JSON object, got ${describeValue(item)}`);
  }
  const { key, version, deleted } = item as Record<string, unknown>;
  checkKey(kind, mapKey ?? key);
  if (mapKey !== undefined && key !== mapKey) {
    const has = key === undefined ? 'has no "key"' : `its "key" is ${describeValue(key)}`;
    throw new ItemValidationError(kind, mapKey, `listed under ${JSON.stringify(mapKey)} but ${has}`);
  }
  checkVersion(kind, mapKey ?? (key as string), version);
  if (deleted !== undefined && typeof deleted !== 'boolean') {
    throw new ItemValidationError(kind, key as string, `"deleted" must be a boolean, got ${describeValue(deleted)}`);
  }
  if (kind === 'features') {
    const prereqs = (item as { prerequisites?: unknown }).prerequisites;
    if (prereqs !== undefined && prereqs !== null) {
      if (!Array.isArray(prereqs) || prereqs.some((p) => typeof (p as { key?: unknown })?.key !== 'string')) {
        throw new ItemValidationError(kind, key as string, `"prerequisites" must be a list of {"key": string, "variation": number}`);
      }
    }
  }
  return item as VersionedItem;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
