// Bad data: a corpus of malformed flags and segments (missing or mismatched keys, wrong types, non-integer,
// negative and unsafe versions, non-object items, huge items, deep nesting...) mixed into a good data set of
// 2,000 flags. The sync must reject each bad item with an error that names it and says what is wrong, write
// every good item of the same data set, and keep (not delete) the rows bad items replace. Stream-style
// upserts and deletes of bad items, and unknown kinds, are refused one by one the same way.
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DynamoDBFlagStore,
  ItemTooLargeError,
  ItemValidationError,
  PartialInitError,
  type DataKindName,
  type FullDataSet,
} from '../../lib/store/index.js';
import { generateEnvironment } from '../support/generate-environment.js';
import { testFlag, testSegment } from '../support/items.js';
import { freshTable, localClient } from '../support/tables.js';
import { record } from './support/report.js';
import { compareWith, describeProblems, readTable } from './support/table-state.js';

const AREA = 'Bad data';

interface BadItem {
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

const goodFlag = (key: string, version = 3) => testFlag(key, version);
const goodSegment = (key: string, version = 3) => testSegment(key, version, { included: ['u1'] });
const flagWith = (key: string, fields: Record<string, unknown>) => JSON.stringify({ ...goodFlag(key), ...fields });
const segmentWith = (key: string, fields: Record<string, unknown>) => JSON.stringify({ ...goodSegment(key), ...fields });
const without = (item: Record<string, unknown>, field: string) => {
  const copy = { ...item };
  delete copy[field];
  return JSON.stringify(copy);
};
// Random hex compresses to about half, so 1.2 MB of it stays over 400 KB gzip-compressed.
const incompressible = () => randomBytes(600_000).toString('hex');
const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

const corpus: BadItem[] = [
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
const deeplyNested: BadItem[] = [
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
function mixed(good: FullDataSet, bad: BadItem[]): FullDataSet {
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

let client: DynamoDBClient;
let good: FullDataSet;
beforeAll(() => {
  client = localClient();
  good = generateEnvironment({ flags: 2_000, segments: 100, seed: 31 });
});
afterAll(() => client?.destroy());

function checkProblems(problems: (ItemValidationError | ItemTooLargeError)[], bad: BadItem[]): string[] {
  const unmatched: string[] = [];
  for (const b of bad) {
    const named = 'namedKey' in b ? b.namedKey : b.mapKey;
    const match = problems.find((p) => p.kind === b.kind && p.key === named && b.reason.test(p.message));
    if (!match) unmatched.push(`${b.kind}/${b.mapKey.slice(0, 40)}: expected ${b.reason}`);
    else if (b.tooLarge) {
      if (!(match instanceof ItemTooLargeError)) unmatched.push(`${b.kind}/${b.mapKey}: expected ItemTooLargeError, got ${match.name}`);
    } else if (!(match instanceof ItemValidationError))
      unmatched.push(`${b.kind}/${b.mapKey}: expected ItemValidationError, got ${match.name}`);
  }
  return unmatched;
}

describe(`a good data set of 2,000 flags and 100 segments with ${corpus.length} malformed items mixed in`, () => {
  it('each bad item is rejected with an error naming it and what is wrong; every good item is written; rows of bad items are kept', async ({
    task,
  }) => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    const tableName = await freshTable(client, 'baddata');
    const store = new DynamoDBFlagStore({ tableName, client });
    // The table first holds valid versions of the keys that bad items will then claim: a rejected item
    // must leave that row alone (neither overwrite it nor delete it as "no longer in the data set").
    const keptKeys = corpus.filter((b) => b.mapKey.length > 0 && b.mapKey.length < 200);
    const earlier: FullDataSet = { flags: {}, segments: {} };
    for (const b of keptKeys)
      (b.kind === 'features' ? earlier.flags : earlier.segments)[b.mapKey] = (b.kind === 'features' ? goodFlag : goodSegment)(b.mapKey, 1);
    await store.init(earlier);

    const data = mixed(good, corpus);
    let error: unknown;
    try {
      await store.init(data);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PartialInitError);
    const partial = error as PartialInitError;
    const unmatched = checkProblems(partial.problems, corpus);
    const state = await readTable(client, tableName);
    const skip = new Set(keptKeys.map((b) => `${b.kind}/${b.mapKey}`));
    const comparison = compareWith(state, good, { skip });
    const keptWrong = keptKeys.filter((b) => state[b.kind].get(b.mapKey)?.version !== 1).map((b) => `${b.kind}/${b.mapKey}`);
    record(task, {
      area: AREA,
      name: `${corpus.length} malformed flags and segments among 2,100 good items`,
      injected: corpus.length,
      checked: comparison.checked + keptKeys.length,
      lost: comparison.missing.length + comparison.different.length + keptWrong.length,
      rolledBack: 0,
      note: `${partial.problems.length} problems reported, ${unmatched.length} without the expected message`,
    });
    expect(unmatched, 'bad items without an error naming them and the problem').toEqual([]);
    expect(partial.problems).toHaveLength(corpus.length);
    expect(describeProblems(comparison)).toBe('none');
    expect((partial.summary as { written: number }).written).toBe(2_100);
    expect(keptWrong, 'rows of rejected items must stay as they were').toEqual([]);
    expect(state.inited).toBe(true);
    store.close();
  });

  it('upserts and deletes of bad items (what stream patches carry) are refused one by one; the table is unchanged', async ({ task }) => {
    const tableName = await freshTable(client, 'badpatch');
    const store = new DynamoDBFlagStore({ tableName, client });
    await store.init({ flags: { f: goodFlag('f', 5) as never }, segments: { s: goodSegment('s', 5) as never } });
    const attempts: [string, () => Promise<unknown>, RegExp][] = [
      [
        'unknown kind on upsert',
        () => store.upsert('experiments' as DataKindName, goodFlag('f', 9) as never),
        /unknown kind "experiments"; expected "features" or "segments"/,
      ],
      ['unknown kind on delete', () => store.delete('cats' as DataKindName, 'f', 9), /unknown kind "cats"/],
      ['upsert of null', () => store.upsert('features', null as never), /must be a JSON object, got null|"key"/],
      ['upsert of an array', () => store.upsert('features', [] as never), /must be a JSON object|"key"/],
      [
        'upsert without a version',
        () => store.upsert('features', { key: 'f' } as never),
        /"version" must be a non-negative integer, got nothing/,
      ],
      [
        'upsert with a negative version',
        () => store.upsert('segments', goodSegment('s', -1) as never),
        /"version" must be a non-negative integer, got number -1/,
      ],
      ['upsert with a string version', () => store.upsert('features', { ...goodFlag('f'), version: '9' } as never), /got "9"/],
      [
        'upsert of a huge item',
        () => store.upsert('features', { ...goodFlag('f', 9), variations: [incompressible()] } as never),
        /even gzip-compressed/,
      ],
      ['delete with a float version', () => store.delete('features', 'f', 9.5), /got number 9.5/],
      ['delete with an empty key', () => store.delete('features', '', 9), /"key" must be a non-empty string/],
    ];
    const wrong: string[] = [];
    for (const [what, attempt, reason] of attempts) {
      try {
        await attempt();
        wrong.push(`${what}: accepted`);
      } catch (err) {
        if (!(err instanceof ItemValidationError || err instanceof ItemTooLargeError) || !reason.test((err as Error).message)) {
          wrong.push(`${what}: ${(err as Error).name}: ${(err as Error).message.slice(0, 120)}`);
        }
      }
    }
    const state = await readTable(client, tableName);
    const changed =
      state.features.get('f')?.version !== 5 ||
      state.segments.get('s')?.version !== 5 ||
      state.features.size !== 1 ||
      state.segments.size !== 1;
    record(task, {
      area: AREA,
      name: 'bad upserts and deletes, unknown kinds',
      injected: attempts.length,
      checked: 2,
      lost: changed ? 1 : 0,
      rolledBack: 0,
    });
    expect(wrong).toEqual([]);
    expect(changed).toBe(false);
    store.close();
  });

  // JSON.stringify throws RangeError on such an item; the store turns it into that item's ItemValidationError.
  it('items nested 20,000 levels deep are rejected by name while the rest of the data set is written', async ({ task }) => {
    const tableName = await freshTable(client, 'baddeep');
    const store = new DynamoDBFlagStore({ tableName, client });
    const data = mixed(good, deeplyNested);
    let error: unknown;
    try {
      await store.init(data);
    } catch (err) {
      error = err;
    }
    const state = await readTable(client, tableName);
    const comparison = compareWith(state, good);
    const problems = error instanceof PartialInitError ? error.problems : [];
    record(task, {
      area: AREA,
      name: 'items nested 20,000 levels deep',
      injected: deeplyNested.length,
      checked: comparison.checked,
      lost: comparison.missing.length,
      rolledBack: 0,
      note:
        error instanceof PartialInitError
          ? `${problems.length} problems reported`
          : `init failed with ${(error as Error)?.name}: ${(error as Error)?.message?.slice(0, 60)}`,
    });
    expect(error, `${(error as Error)?.name}: ${(error as Error)?.message}`).toBeInstanceOf(PartialInitError);
    expect(
      checkProblems(
        problems,
        deeplyNested.map((b) => ({ ...b, reason: /./ })),
      ),
    ).toEqual([]);
    expect(describeProblems(comparison)).toBe('none');
    store.close();
  });
});
