// Deleted, then re-created with the same key (docs/write-rules.md §5), and full-sync deletions as tombstones,
// against DynamoDB Local. LaunchDarkly documents deleted flags as gone for good, so a flag re-created with
// the same key is a new flag whose versions may start lower than the tombstone's: it must not stay hidden,
// while a stale snapshot still rolls nothing back.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBFlagStore, type Flag, type FullDataSet } from '../../lib/store/index.js';
import { freshTable, localClient } from '../support/tables.js';

const flag = (key: string, version: number, on = true): Flag => ({
  key,
  version,
  on,
  variations: [true, false],
  fallthrough: { variation: 0 },
  offVariation: 1,
  salt: 's',
});
const dataSet = (...flags: Flag[]): FullDataSet => ({ flags: Object.fromEntries(flags.map((f) => [f.key, f])), segments: {} });
const MIN = 60_000;

let client: DynamoDBClient;
beforeAll(() => {
  client = localClient();
});
afterAll(() => client.destroy());

async function store(hint: string): Promise<DynamoDBFlagStore> {
  return new DynamoDBFlagStore({ tableName: await freshTable(client, hint), prefix: 'env', client, consistentReads: true });
}

describe('a flag deleted and re-created with the same key', () => {
  it('re-created at a lower version than its stream tombstone: a snapshot taken well after the deletion shows it', async () => {
    const s = await store('recreate');
    const t0 = Date.now();
    await s.init(dataSet(flag('a', 1), flag('x', 5)), { snapshotAt: t0 });
    expect(await s.delete('features', 'x', 6)).toBe(true);
    // A snapshot taken around the deletion that still has the old x at 5 is stale: nothing rolls back.
    const stale = await s.init(dataSet(flag('a', 1), flag('x', 5)), { snapshotAt: t0 + 1_000 });
    expect(stale).toMatchObject({ written: 0, stale: 1 });
    expect(await s.get('features', 'x')).toBeNull();
    // x is re-created in LaunchDarkly and starts again at version 1; a poll 11 minutes later brings it.
    const later = await s.init(dataSet(flag('a', 1), flag('x', 1, false)), { snapshotAt: Date.now() + 11 * MIN });
    expect(later).toMatchObject({ written: 1, stale: 0 });
    expect(await s.get('features', 'x')).toMatchObject({ version: 1, on: false });
    // From then on the usual rule holds: the next version goes in, an older one does not.
    expect(await s.upsert('features', flag('x', 2))).toBe(true);
    expect(await s.upsert('features', flag('x', 1))).toBe(false);
  });

  it('deleted by a full sync, re-created lower: the tombstone hides it only within the margin', async () => {
    const s = await store('recreate-full');
    const t0 = Date.now();
    await s.init(dataSet(flag('a', 1), flag('x', 7)), { snapshotAt: t0 });
    expect(await s.init(dataSet(flag('a', 1)), { snapshotAt: t0 + 1_000 })).toMatchObject({ deleted: 1 });
    expect(await s.getIncludingDeleted('features', 'x')).toEqual({ key: 'x', version: 7, deleted: true });
    expect(await s.init(dataSet(flag('a', 1), flag('x', 1)), { snapshotAt: t0 + 2_000 })).toMatchObject({ written: 0, stale: 1 });
    expect(await s.get('features', 'x')).toBeNull();
    expect(await s.init(dataSet(flag('a', 1), flag('x', 1)), { snapshotAt: t0 + 12 * MIN })).toMatchObject({ written: 1 });
    expect(await s.get('features', 'x')).toMatchObject({ version: 1 });
  });

  it('re-created at a higher version: shown at once, as any newer version', async () => {
    const s = await store('recreate-up');
    await s.init(dataSet(flag('x', 3)));
    await s.init(dataSet());
    expect(await s.get('features', 'x')).toBeNull();
    expect(await s.init(dataSet(flag('x', 4)))).toMatchObject({ written: 1 });
    expect(await s.get('features', 'x')).toMatchObject({ version: 4 });
  });
});

describe('full-sync deletions', () => {
  it('leave a tombstone LaunchDarkly’s readers treat as deleted, at the version deleted, so an older snapshot cannot recreate the row', async () => {
    const s = await store('tomb');
    const t0 = Date.now();
    await s.init(dataSet(flag('keep', 1), flag('gone', 4)), { snapshotAt: t0 });
    await s.init(dataSet(flag('keep', 1)), { snapshotAt: t0 + 2_000 });
    const raw = await client.send(
      new GetItemCommand({ TableName: s.tableName, Key: { namespace: { S: 'env:features' }, key: { S: 'gone' } } }),
    );
    expect(raw.Item).toMatchObject({
      version: { N: '4' },
      item: { S: '{"key":"gone","version":4,"deleted":true}' },
      deleted: { BOOL: true },
    });
    // The older snapshot (taken before the deletion) arrives late: it neither recreates nor rolls back.
    const late = await s.init(dataSet(flag('keep', 1), flag('gone', 4)), { snapshotAt: t0 + 1_000 });
    expect(late).toMatchObject({ written: 0 });
    expect(await s.get('features', 'gone')).toBeNull();
  });
});
