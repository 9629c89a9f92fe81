// Bad data: a corpus of malformed flags and segments (missing or mismatched keys, wrong types, non-integer,
// negative and unsafe versions, non-object items, huge items, deep nesting...) mixed into a good data set of
// 2,000 flags. The sync must reject each bad item with an error that names it and says what is wrong, write
// every good item of the same data set, and keep (not delete) the rows bad items replace. Stream-style
// upserts and deletes of bad items, and unknown kinds, are refused one by one the same way.
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
import { freshTable, localClient } from '../support/tables.js';
import { type BadItem, corpus, deeplyNested, goodFlag, goodSegment, incompressible, mixed } from './support/bad-items.js';
import { record } from './support/report.js';
import { compareWith, describeProblems, readTable } from './support/table-state.js';

const AREA = 'Bad data';

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
