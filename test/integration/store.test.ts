// DynamoDBFlagStore against DynamoDB Local: LaunchDarkly's store-suite cases, bad input, oversize items and
// prefixes. Each per-store case runs without and with a key prefix; init's write rules and injected faults
// are in store-init.test.ts.
import { randomBytes } from 'node:crypto';
import { GetItemCommand, PutItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBFlagStore, ItemTooLargeError, ItemValidationError, PartialInitError } from '../../lib/store/index.js';
import { dataSetOf, testFlag, testSegment } from '../support/items.js';
import { freshTable, localClient } from '../support/tables.js';

const flag = testFlag;
const segment = testSegment;
const dataSet = dataSetOf;

let client: DynamoDBClient;
beforeAll(() => {
  client = localClient();
});
afterAll(() => client.destroy());

for (const prefix of [undefined, 'env1']) {
  describe(`DynamoDBFlagStore ${prefix ? `with prefix "${prefix}"` : 'without a prefix'}`, () => {
    let tableName: string;
    let store: DynamoDBFlagStore;
    const makeStore = (c = client, extra: Record<string, unknown> = {}) =>
      new DynamoDBFlagStore({ tableName, prefix, client: c, consistentReads: true, ...extra });

    beforeAll(async () => {
      tableName = await freshTable(client, 'store');
    });

    describe('LaunchDarkly store-suite cases', () => {
      it('init replaces previous data, and get/all read it', async () => {
        store = makeStore();
        await store.init(dataSet([flag('a', 1), flag('b', 1)], [segment('s1', 1)]));
        const summary = await store.init(dataSet([flag('a', 2), flag('c', 1)], [segment('s2', 1)]));
        expect(summary).toMatchObject({ written: 3, deleted: 2, unchanged: 0, stale: 0 });
        expect(Object.keys(await store.all('features')).sort()).toEqual(['a', 'c']);
        expect(Object.keys(await store.all('segments'))).toEqual(['s2']);
        expect(await store.get('features', 'a')).toMatchObject({ key: 'a', version: 2, on: true });
        expect(await store.get('features', 'b')).toBeNull();
        expect(await store.get('features', 'nope')).toBeNull();
      });

      it('upsert: a newer version is stored, the same or an older one is not', async () => {
        await store.init(dataSet([flag('u', 10)]));
        expect(await store.upsert('features', flag('u', 11, { on: false }))).toBe(true);
        expect(await store.get('features', 'u')).toMatchObject({ version: 11, on: false });
        expect(await store.upsert('features', flag('u', 11, { on: true }))).toBe(false);
        expect(await store.upsert('features', flag('u', 5, { on: true }))).toBe(false);
        expect(await store.get('features', 'u')).toMatchObject({ version: 11, on: false });
        expect(await store.upsert('features', flag('brand-new', 1))).toBe(true);
        expect(await store.get('features', 'brand-new')).toMatchObject({ version: 1 });
      });

      it('delete: a newer version stores a tombstone; same, older and unknown keys follow the same rule', async () => {
        await store.init(dataSet([flag('d', 10)], [segment('ds', 3)]));
        expect(await store.delete('features', 'd', 9)).toBe(false);
        expect(await store.delete('features', 'd', 10)).toBe(false);
        expect(await store.get('features', 'd')).toMatchObject({ version: 10 });
        expect(await store.delete('features', 'd', 11)).toBe(true);
        expect(await store.get('features', 'd')).toBeNull();
        expect(await store.all('features')).not.toHaveProperty('d');
        expect(await store.getIncludingDeleted('features', 'd')).toEqual({ key: 'd', version: 11, deleted: true });
        expect(await store.delete('features', 'unknown', 1)).toBe(true);
        expect(await store.getIncludingDeleted('features', 'unknown')).toEqual({ key: 'unknown', version: 1, deleted: true });
        expect(await store.delete('segments', 'ds', 4)).toBe(true);
        expect(await store.get('segments', 'ds')).toBeNull();
        // the tombstone is LaunchDarkly's exact JSON, with the `deleted` attribute LaunchDarkly's stores also read
        const ns = prefix ? `${prefix}:features` : 'features';
        const raw = await client.send(new GetItemCommand({ TableName: tableName, Key: { namespace: { S: ns }, key: { S: 'd' } } }));
        expect(raw.Item).toEqual({
          namespace: { S: ns },
          key: { S: 'd' },
          version: { N: '11' },
          item: { S: '{"key":"d","version":11,"deleted":true}' },
          deleted: { BOOL: true },
          asOf: { N: expect.stringMatching(/^\d{13}$/) },
        });
      });

      it('an older upsert after a delete does not resurrect the item', async () => {
        await store.init(dataSet([flag('r', 5)]));
        expect(await store.delete('features', 'r', 6)).toBe(true);
        expect(await store.upsert('features', flag('r', 5))).toBe(false);
        expect(await store.upsert('features', flag('r', 6))).toBe(false);
        expect(await store.get('features', 'r')).toBeNull();
        expect(await store.upsert('features', flag('r', 7))).toBe(true);
        expect(await store.get('features', 'r')).toMatchObject({ version: 7 });
      });

      it('a concurrent writer with a higher version wins; with a lower version loses', async () => {
        const other = makeStore();
        await store.init(dataSet([flag('c1', 1), flag('c2', 1)]));
        // other process writes between our read of versions and our write
        const hooked = localClient();
        let fired = false;
        hooked.middlewareStack.add(
          (next, context) => async (args) => {
            if (!fired && (context.commandName === 'PutItemCommand' || context.commandName === 'TransactWriteItemsCommand')) {
              fired = true;
              await other.upsert('features', flag('c1', 10));
              await other.upsert('features', flag('c2', 2));
            }
            return next(args);
          },
          { step: 'initialize', name: 'concurrent-writer' },
        );
        const racing = makeStore(hooked);
        const summary = await racing.init(dataSet([flag('c1', 5), flag('c2', 5)]));
        expect(fired).toBe(true);
        expect(await store.get('features', 'c1')).toMatchObject({ version: 10 });
        expect(await store.get('features', 'c2')).toMatchObject({ version: 5 });
        expect(summary).toMatchObject({ written: 1, stale: 1 });
        hooked.destroy();
      });

      it('one instance sees another instance’s init', async () => {
        const t = await freshTable(client, 'inited');
        const a = new DynamoDBFlagStore({ tableName: t, prefix, client });
        const b = new DynamoDBFlagStore({ tableName: t, prefix, client });
        expect(await b.initialized()).toBe(false);
        await a.init(dataSet([]));
        expect(await b.initialized()).toBe(true);
        const marker = prefix ? `${prefix}:$inited` : '$inited';
        const raw = await client.send(new GetItemCommand({ TableName: t, Key: { namespace: { S: marker }, key: { S: marker } } }));
        expect(raw.Item).toEqual({ namespace: { S: marker }, key: { S: marker } });
      });
    });

    describe('bad input', () => {
      it('rejects bad items by name and writes every good one; a bad item’s stored row is kept', async () => {
        const t = await freshTable(client, 'bad');
        const s = new DynamoDBFlagStore({ tableName: t, prefix, client });
        await s.init(dataSet([flag('keep', 1), flag('bad-version', 1)]));
        const data: any = dataSet([flag('keep', 2), flag('good', 1)], [segment('seg', 1)]);
        data.flags['bad-version'] = flag('bad-version', 1.5);
        data.flags['no-key'] = { version: 1 };
        data.flags['mismatch'] = flag('other', 1);
        data.flags['negative'] = flag('negative', -1);
        data.segments['str-version'] = segment('str-version', '3' as any);
        data.flags['not-object'] = 'hello';
        const err = await s.init(data).then(
          () => undefined,
          (e) => e,
        );
        expect(err).toBeInstanceOf(PartialInitError);
        expect(err.problems).toHaveLength(6);
        expect(err.problems.every((p: unknown) => p instanceof ItemValidationError)).toBe(true);
        expect(err.message).toContain('"bad-version": "version" must be a non-negative integer, got number 1.5');
        expect(err.problems.map((p: ItemValidationError) => p.message).join('\n')).toContain(
          'segment "str-version": "version" must be a non-negative integer, got "3"',
        );
        expect(err.summary).toMatchObject({ written: 3, rejected: 6, deleted: 0 });
        expect(await s.get('features', 'keep')).toMatchObject({ version: 2 });
        expect(await s.get('features', 'good')).toMatchObject({ version: 1 });
        expect(await s.get('features', 'bad-version')).toMatchObject({ version: 1 });
        expect(await s.initialized()).toBe(true);
      });

      it('upsert and delete reject a missing key, a bad version or an unknown kind without writing', async () => {
        const t = await freshTable(client, 'badup');
        const s = new DynamoDBFlagStore({ tableName: t, prefix, client });
        await expect(s.upsert('features', { version: 1 } as any)).rejects.toThrow(
          /Invalid flag \(no key\): "key" must be a non-empty string, got nothing/,
        );
        await expect(s.upsert('features', flag('k', Number.NaN))).rejects.toThrow(/flag "k": "version" must be a non-negative integer/);
        await expect(s.upsert('flags' as any, flag('k', 1))).rejects.toThrow(/unknown kind "flags"; expected "features" or "segments"/);
        await expect(s.delete('segments', '', 1)).rejects.toBeInstanceOf(ItemValidationError);
        await expect(s.delete('segments', 'k', 2.5)).rejects.toThrow(
          /segment "k": "version" must be a non-negative integer, got number 2.5/,
        );
        await expect(s.init({ flags: true } as any)).rejects.toThrow(/"flags" to be an object keyed by flag key, got boolean/);
        const rows = await client.send(
          new QueryCommand({
            TableName: t,
            KeyConditionExpression: '#n = :n',
            ExpressionAttributeNames: { '#n': 'namespace' },
            ExpressionAttributeValues: { ':n': { S: prefix ? `${prefix}:features` : 'features' } },
          }),
        );
        expect(rows.Count).toBe(0);
        expect(() => new DynamoDBFlagStore({ tableName: t, client, colour: 'red' } as any)).toThrow("Unknown option 'colour'");
      });
    });

    describe('items over 400 KB', () => {
      it('stores a large compressible item compressed and reads it back; rejects only an item that cannot fit', async () => {
        const t = await freshTable(client, 'big');
        const s = new DynamoDBFlagStore({ tableName: t, prefix, client });
        const targets = [{ variation: 0, values: Array.from({ length: 40_000 }, (_, i) => `user-${i}@example.com`) }];
        const big = flag('big', 1, { targets });
        const huge = flag('huge', 1, { blob: randomBytes(450_000).toString('base64') });
        const err = await s.init(dataSet([big, huge, flag('small', 1)])).then(
          () => undefined,
          (e) => e,
        );
        expect(err).toBeInstanceOf(PartialInitError);
        expect(err.problems).toHaveLength(1);
        expect(err.problems[0]).toBeInstanceOf(ItemTooLargeError);
        expect(err.problems[0]).toMatchObject({ kind: 'features', key: 'huge' });
        expect(err.problems[0].message).toMatch(
          /flag "huge" is \d+ bytes even gzip-compressed; a DynamoDB item holds at most 400000 bytes/,
        );
        expect(err.summary).toMatchObject({ written: 2, compressed: 1 });
        expect(await s.get('features', 'big')).toEqual(big);
        expect((await s.all('features')).big).toEqual(big);
        expect(await s.get('features', 'small')).toMatchObject({ version: 1 });
        await expect(s.upsert('features', { ...huge, version: 2 })).rejects.toBeInstanceOf(ItemTooLargeError);
      });
    });
  });
}

describe('prefixes', () => {
  it('two prefixes in one table stay independent', async () => {
    const t = await freshTable(client, 'prefixes');
    const a = new DynamoDBFlagStore({ tableName: t, prefix: 'a', client });
    const b = new DynamoDBFlagStore({ tableName: t, prefix: 'b', client });
    const none = new DynamoDBFlagStore({ tableName: t, client });
    await a.init(dataSet([flag('shared', 1), flag('only-a', 1)]));
    await b.init(dataSet([flag('shared', 7)]));
    expect(await b.initialized()).toBe(true);
    expect(await none.initialized()).toBe(false);
    expect(Object.keys(await a.all('features')).sort()).toEqual(['only-a', 'shared']);
    expect(await a.get('features', 'shared')).toMatchObject({ version: 1 });
    expect(await b.get('features', 'shared')).toMatchObject({ version: 7 });
    await b.init(dataSet([]));
    expect(Object.keys(await a.all('features'))).toHaveLength(2);
    const raw = await client.send(new GetItemCommand({ TableName: t, Key: { namespace: { S: 'a:features' }, key: { S: 'only-a' } } }));
    expect(raw.Item?.version).toEqual({ N: '1' });
  });

  it('records the freshness of the last sync outside LaunchDarkly’s namespaces, never moving it backwards', async () => {
    const t = await freshTable(client, 'status');
    const s = new DynamoDBFlagStore({ tableName: t, prefix: 'p', client });
    expect(await s.syncStatus()).toBeNull();
    await s.recordSync({ source: 'stream', at: new Date(2_000_000), summary: { written: 3 } });
    await s.recordSync({ source: 'poll', at: new Date(1_000_000) });
    expect(await s.syncStatus()).toEqual({ syncedAt: new Date(2_000_000), source: 'stream', summary: { written: 3 } });
    await client.send(new PutItemCommand({ TableName: t, Item: { namespace: { S: 'x' }, key: { S: 'y' } } }));
    expect(Object.keys(await s.all('features'))).toHaveLength(0);
  });
});
