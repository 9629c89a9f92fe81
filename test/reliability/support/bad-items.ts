// The bad-data corpus: malformed flags and segments as a LaunchDarkly payload can carry them (missing or
// mismatched keys, wrong types, non-integer, negative and unsafe versions, non-object items, huge items, deep
// nesting), each with what its error must say, and a good data set with them mixed in as JSON text.
// test/reliability/bad-data.test.ts feeds them to full syncs and to stream-style upserts and deletes.
import { randomBytes } from 'node:crypto';
import type { DataKindName, FullDataSet } from '../../../lib/store/index.js';
import { testFlag, testSegment } from '../../support/items.js';

export interface BadItem {
  kind: DataKindName;
  /** The key it is listed under in the data set. */
  mapKey: string;
  /** The item as JSON text (so that what arrives is what a LaunchDarkly payload can carry), or a value. */
  json?: string;
  value?: unknown;
  /** What the error must say. */
  reason: RegExp;
  /** The key the error names; default mapKey. */
  namedKey?: string | undefined;
  tooLarge?: boolean;
}

export const goodFlag = (key: string, version = 3) => testFlag(key, version);
export const goodSegment = (key: string, version = 3) => testSegment(key, version, { included: ['u1'] });
const flagWith = (key: string, fields: Record<string, unknown>) => JSON.stringify({ ...goodFlag(key), ...fields });
const segmentWith = (key: string, fields: Record<string, unknown>) => JSON.stringify({ ...goodSegment(key), ...fields });
const without = (item: Record<string, unknown>, field: string) => {
  const copy = { ...item };
  delete copy[field];
  return JSON.stringify(copy);
};
// Random hex compresses to about half, so 1.2 MB of it stays over 400 KB gzip-compressed.
export const incompressible = () => randomBytes(600_000).toString('hex');
const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

export const corpus: BadItem[] = [
  // flags: keys
  {
    kind: 'features',
    mapKey: 'bad-no-key',
    json: without(goodFlag('bad-no-key'), 'key'),
    reason: /listed under "bad-no-key" but has no "key"/,
  },
  { kind: 'features', mapKey: 'bad-key-number', json: flagWith('bad-key-number', { key: 42 }), reason: /"key" is number 42/ },
  { kind: 'features', mapKey: 'bad-key-null', json: flagWith('bad-key-null', { key: null }), reason: /"key" is null/ },
  { kind: 'features', mapKey: 'bad-key-object', json: flagWith('bad-key-object', { key: { nested: 'x' } }), reason: /"key" is an object/ },
  {
    kind: 'features',
    mapKey: 'bad-key-mismatch',
    json: flagWith('bad-key-mismatch', { key: 'someone-else' }),
    reason: /listed under "bad-key-mismatch" but its "key" is "someone-else"/,
  },
  { kind: 'features', mapKey: '', json: flagWith('', {}), reason: /"key" must be a non-empty string/, namedKey: undefined },
  {
    kind: 'features',
    mapKey: 'k'.repeat(1100),
    json: flagWith('k'.repeat(1100), {}),
    reason: /key is 1100 bytes; DynamoDB sort keys hold at most 1024/,
    namedKey: `${'k'.repeat(64)}…`,
  },
  // flags: versions
  {
    kind: 'features',
    mapKey: 'bad-version-missing',
    json: without(goodFlag('bad-version-missing'), 'version'),
    reason: /"version" must be a non-negative integer, got nothing/,
  },
  {
    kind: 'features',
    mapKey: 'bad-version-string',
    json: flagWith('bad-version-string', { version: '7' }),
    reason: /"version" must be a non-negative integer, got "7"/,
  },
  {
    kind: 'features',
    mapKey: 'bad-version-float',
    json: flagWith('bad-version-float', { version: 1.5 }),
    reason: /"version" must be a non-negative integer, got number 1.5/,
  },
  {
    kind: 'features',
    mapKey: 'bad-version-negative',
    json: flagWith('bad-version-negative', { version: -1 }),
    reason: /"version" must be a non-negative integer, got number -1/,
  },
  {
    kind: 'features',
    mapKey: 'bad-version-null',
    json: flagWith('bad-version-null', { version: null }),
    reason: /"version" must be a non-negative integer, got null/,
  },
  {
    kind: 'features',
    mapKey: 'bad-version-bool',
    json: flagWith('bad-version-bool', { version: true }),
    reason: /"version" must be a non-negative integer, got boolean true/,
  },
  {
    kind: 'features',
    mapKey: 'bad-version-object',
    json: flagWith('bad-version-object', { version: { n: 1 } }),
    reason: /"version" must be a non-negative integer, got an object/,
  },
  {
    kind: 'features',
    mapKey: 'bad-version-array',
    json: flagWith('bad-version-array', { version: [1] }),
    reason: /"version" must be a non-negative integer, got an array/,
  },
  {
    kind: 'features',
    mapKey: 'bad-version-unsafe',
    json: '{"key":"bad-version-unsafe","version":9007199254740993,"on":true}',
    reason: /"version" must be a non-negative integer, got number 9007199254740992/,
  },
  {
    kind: 'features',
    mapKey: 'bad-version-infinite',
    json: '{"key":"bad-version-infinite","version":1e400,"on":true}',
    reason: /"version" must be a non-negative integer, got number Infinity/,
  },
  // flags: other fields the store relies on
  {
    kind: 'features',
    mapKey: 'bad-deleted-string',
    json: flagWith('bad-deleted-string', { deleted: 'yes' }),
    reason: /"deleted" must be a boolean, got "yes"/,
  },
  {
    kind: 'features',
    mapKey: 'bad-prereqs-string',
    json: flagWith('bad-prereqs-string', { prerequisites: 'other-flag' }),
    reason: /"prerequisites" must be a list/,
  },
  {
    kind: 'features',
    mapKey: 'bad-prereqs-nokey',
    json: flagWith('bad-prereqs-nokey', { prerequisites: [{ variation: 0 }] }),
    reason: /"prerequisites" must be a list/,
  },
  {
    kind: 'features',
    mapKey: 'bad-prereqs-numkey',
    json: flagWith('bad-prereqs-numkey', { prerequisites: [{ key: 7, variation: 0 }] }),
    reason: /"prerequisites" must be a list/,
  },
  // flags: not objects
  { kind: 'features', mapKey: 'bad-null', json: 'null', reason: /must be a JSON object, got null/ },
  { kind: 'features', mapKey: 'bad-array', json: '[{"key":"bad-array","version":1}]', reason: /must be a JSON object, got an array/ },
  { kind: 'features', mapKey: 'bad-string', json: '"bad-string"', reason: /must be a JSON object, got "bad-string"/ },
  { kind: 'features', mapKey: 'bad-number', json: '12', reason: /must be a JSON object, got number 12/ },
  { kind: 'features', mapKey: 'bad-bool', json: 'false', reason: /must be a JSON object, got boolean false/ },
  // flags: size
  {
    kind: 'features',
    mapKey: 'bad-huge',
    json: flagWith('bad-huge', { variations: [incompressible(), 'b'] }),
    reason: /bytes even gzip-compressed; a DynamoDB item holds at most 400000 bytes/,
    tooLarge: true,
  },
  // segments
  {
    kind: 'segments',
    mapKey: 'bad-seg-no-key',
    json: without(goodSegment('bad-seg-no-key'), 'key'),
    reason: /listed under "bad-seg-no-key" but has no "key"/,
  },
  {
    kind: 'segments',
    mapKey: 'bad-seg-mismatch',
    json: segmentWith('bad-seg-mismatch', { key: 'other-seg' }),
    reason: /listed under "bad-seg-mismatch" but its "key" is "other-seg"/,
  },
  {
    kind: 'segments',
    mapKey: 'bad-seg-version-missing',
    json: without(goodSegment('bad-seg-version-missing'), 'version'),
    reason: /"version" must be a non-negative integer, got nothing/,
  },
  {
    kind: 'segments',
    mapKey: 'bad-seg-version-negative',
    json: segmentWith('bad-seg-version-negative', { version: -5 }),
    reason: /"version" must be a non-negative integer, got number -5/,
  },
  {
    kind: 'segments',
    mapKey: 'bad-seg-version-float',
    json: segmentWith('bad-seg-version-float', { version: 2.25 }),
    reason: /"version" must be a non-negative integer, got number 2.25/,
  },
  {
    kind: 'segments',
    mapKey: 'bad-seg-version-string',
    json: segmentWith('bad-seg-version-string', { version: '3' }),
    reason: /"version" must be a non-negative integer, got "3"/,
  },
  {
    kind: 'segments',
    mapKey: 'bad-seg-deleted',
    json: segmentWith('bad-seg-deleted', { deleted: 1 }),
    reason: /"deleted" must be a boolean, got number 1/,
  },
  { kind: 'segments', mapKey: 'bad-seg-null', json: 'null', reason: /must be a JSON object, got null/ },
  { kind: 'segments', mapKey: 'bad-seg-array', json: '[]', reason: /must be a JSON object, got an array/ },
  { kind: 'segments', mapKey: 'bad-seg-string', json: '"members"', reason: /must be a JSON object, got "members"/ },
  {
    kind: 'segments',
    mapKey: 'bad-seg-huge',
    json: segmentWith('bad-seg-huge', { included: [incompressible()] }),
    reason: /bytes even gzip-compressed/,
    tooLarge: true,
  },
];

/** Items whose JSON nests deeper than JSON.stringify can recurse (about 5,000 levels on Node 22): valid JSON LaunchDarkly's parser accepts. */
export const deeplyNested: BadItem[] = [
  {
    kind: 'features',
    mapKey: 'bad-deep-variations',
    json: flagWith('bad-deep-variations', { variations: [] }).replace('"variations":[]', `"variations":${deep(20_000)}`),
    reason: /nest|deep|JSON/i,
  },
  {
    kind: 'segments',
    mapKey: 'bad-deep-rules',
    json: segmentWith('bad-deep-rules', { rules: [] }).replace('"rules":[]', `"rules":${deep(20_000)}`),
    reason: /nest|deep|JSON/i,
  },
];

/** A good data set with the bad items mixed in, built as JSON text and parsed, as a payload would be. */
export function mixed(good: FullDataSet, bad: BadItem[]): FullDataSet {
  const section = (kind: DataKindName, items: Record<string, unknown>) => {
    const parts = Object.entries(items).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    const badParts = bad.filter((b) => b.kind === kind).map((b) => `${JSON.stringify(b.mapKey)}:${b.json ?? JSON.stringify(b.value)}`);
    // Interleave, so bad items sit among good ones rather than at one end.
    const all: string[] = [];
    const step = Math.max(1, Math.floor(parts.length / Math.max(1, badParts.length)));
    for (let i = 0; i < parts.length; i++) {
      if (i % step === 0 && badParts.length > 0) all.push(badParts.shift()!);
      all.push(parts[i]!);
    }
    all.push(...badParts);
    return `{${all.join(',')}}`;
  };
  return JSON.parse(`{"flags":${section('features', good.flags)},"segments":${section('segments', good.segments)}}`) as FullDataSet;
}
