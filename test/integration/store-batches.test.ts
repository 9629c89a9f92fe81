// The writer's PartiQL batches (lib/store/batch-writes.ts) against DynamoDB Local: a batched write leaves each
// row exactly as the single conditional PutItem would; whatever a batch does not write (a row another writer
// created or moved on meanwhile, a throttled statement) is settled by the single request with its real
// condition; and a caller whose IAM refuses PartiQL still gets every item, one request each. AccessDenied and
// throttled statements come from the fault proxy: DynamoDB Local has neither IAM nor throughput limits.
import { GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import { encodeItem } from '../../lib/store/item-codec.js';
import { captureLogger } from '../support/capture-logger.js';
import { startFaultProxy, type DynamoDBFaultProxy } from '../support/ddb-fault-proxy.js';
import { dataSetOf, testFlag } from '../support/items.js';
import { freshTable, localClient, localClientConfig } from '../support/tables.js';

let client: DynamoDBClient;
let proxy: DynamoDBFaultProxy;
beforeAll(async () => {
  client = localClient();
  proxy = await startFaultProxy({ target: localClientConfig().endpoint, seed: 11 });
});
afterAll(async () => {
  await proxy?.close();
  client?.destroy();
});

const rowOf = async (tableName: string, key: string) =>
  (await client.send(new GetItemCommand({ TableName: tableName, Key: { namespace: { S: 'features' }, key: { S: key } } }))).Item;
/** A row with binary values as plain bytes, so a row read back compares equal to the attributes written. */
const bytesAsArrays = (row: Record<string, AttributeValue> | undefined) =>
  row && Object.fromEntries(Object.entries(row).map(([n, v]) => [n, v.B ? { B: [...v.B] } : v]));

describe('a batched write', () => {
  it('leaves each row exactly as a PutItem of the encoded item would: new, updated, re-created, compressed or not', async () => {
    const tableName = await freshTable(client, 'batch-rows');
    const store = new DynamoDBFlagStore({ tableName, client });
    const big = (key: string, version: number) =>
      testFlag(key, version, { description: 'x'.repeat(300) + String(Math.random()).repeat(30_000) });
    await store.init(dataSetOf([testFlag('live', 1), big('was-big', 1), testFlag('gets-big', 1), testFlag('removed', 1)]));
    await store.delete('features', 'removed', 2); // a tombstone at version 2
    const asOf = Date.now() + 1;
    const next = [testFlag('live', 2), testFlag('was-big', 2), big('gets-big', 2), testFlag('removed', 3), testFlag('new', 1)];
    const summary = await store.init(dataSetOf(next), { snapshotAt: asOf });
    expect(summary.requests.BatchExecuteStatement).toBe(1);
    expect(summary).toMatchObject({ written: 5, stale: 0, compressed: 1 });
    for (const flag of next) {
      const written = encodeItem(undefined, 'features', flag, asOf).attrs;
      expect(bytesAsArrays(await rowOf(tableName, flag.key)), flag.key).toEqual(bytesAsArrays(written));
    }
    store.close();
  });

  it('hands back what another writer changed meanwhile, and the single conditional put decides it', async () => {
    const tableName = await freshTable(client, 'batch-race');
    const other = new DynamoDBFlagStore({ tableName, client });
    await other.init(dataSetOf([testFlag('kept', 1)]));
    const hooked = localClient();
    let fired = false;
    hooked.middlewareStack.add(
      (next, context) => async (args) => {
        if (!fired && context.commandName === 'BatchExecuteStatementCommand') {
          fired = true;
          // Between our read and our batch: rows created (the batch's INSERTs find them) and one moved on.
          await other.upsert('features', testFlag('created-newer', 9));
          await other.upsert('features', testFlag('created-older', 2));
          await other.upsert('features', testFlag('kept', 7));
        }
        return next(args);
      },
      { step: 'initialize', name: 'other-writer' },
    );
    const racing = new DynamoDBFlagStore({ tableName, client: hooked });
    const summary = await racing.init(
      dataSetOf([testFlag('created-newer', 5), testFlag('created-older', 5), testFlag('kept', 5), testFlag('plain', 1)]),
    );
    expect(fired).toBe(true);
    expect(summary).toMatchObject({ written: 2, stale: 2 });
    expect(summary.requests.PutItem).toBeGreaterThanOrEqual(3); // the three handed back, besides claim and marker
    const version = async (key: string) => Number((await rowOf(tableName, key))?.version?.N);
    expect([await version('created-newer'), await version('created-older'), await version('kept'), await version('plain')]).toEqual([
      9, 5, 7, 1,
    ]);
    racing.close();
    other.close();
    hooked.destroy();
  });

  it('hands back throttled statements, and sends the rest of that init in batches of 8: every item arrives', async () => {
    const tableName = await freshTable(client, 'batch-throttled');
    const store = new DynamoDBFlagStore({ tableName, clientConfig: localClientConfig(proxy.endpoint) });
    const sizes: number[] = [];
    let flagPuts = 0;
    proxy.setHook((r) => {
      if (r.operation === 'BatchExecuteStatement') sizes.push((r.body.Statements as unknown[]).length);
      if (r.operation === 'PutItem' && (r.body.Item as Record<string, AttributeValue>).namespace?.S === 'features') flagPuts++;
    });
    proxy.resetStats();
    proxy.setRules([{ fault: 'unprocessed', rate: 1, fraction: 0.4, operations: ['BatchExecuteStatement'] }]);
    try {
      // 8 batches of 25, at most 6 in flight.
      const flags = Array.from({ length: 200 }, (_, i) => testFlag(`f${i}`, 1));
      const summary = await store.init(dataSetOf(flags));
      expect(proxy.stats.unprocessedEntries).toBeGreaterThan(0);
      expect(summary.throttled).toBe(proxy.stats.unprocessedEntries);
      expect(summary.written).toBe(200);
      const stored = await new DynamoDBFlagStore({ tableName, client }).all('features');
      expect(Object.keys(stored)).toHaveLength(200);
      // The 6 batches in flight when the first throttle came carried 25; the two not yet sent went as batches
      // of at most 8 (a throttle at the table's throughput then holds back at most 8 at once)...
      expect(sizes.slice(0, 6)).toEqual(Array(6).fill(25));
      expect(sizes.slice(6).sort((a, b) => b - a)).toEqual([8, 8, 8, 8, 8, 8, 1, 1]);
      // ...and what they held back went singly.
      expect(flagPuts).toBe(summary.throttled);
      // For that init only: the next one batches 25 at a time again.
      proxy.setRules([]);
      sizes.length = 0;
      const next = await store.init(dataSetOf(flags.map((f) => ({ ...f, version: 2 }))));
      expect(next).toMatchObject({ written: 200, throttled: 0 });
      expect(sizes).toEqual(Array(8).fill(25));
    } finally {
      proxy.setHook(undefined);
      proxy.setRules([]);
      store.close();
    }
  });
});

describe('a caller whose IAM policy refuses PartiQL', () => {
  it('writes every item singly after the first refusal, says so once, and sends no more batches', async () => {
    const tableName = await freshTable(client, 'batch-denied');
    const log = captureLogger();
    const store = new DynamoDBFlagStore({ tableName, clientConfig: localClientConfig(proxy.endpoint), logger: log.logger, prefix: 'p' });
    proxy.resetStats();
    proxy.setRules([{ fault: 'access-denied', rate: 1, operations: ['BatchExecuteStatement'] }]);
    try {
      const flags = Array.from({ length: 40 }, (_, i) => testFlag(`f${i}`, 1));
      const first = await store.init(dataSetOf(flags));
      expect(first).toMatchObject({ written: 40, rejected: 0 });
      // The first wave's two batches go out together; both are refused.
      expect(first.requests.BatchExecuteStatement).toBe(2);
      const second = await store.init(dataSetOf(flags.map((f) => ({ ...f, version: 2 }))));
      expect(second.written).toBe(40);
      expect(second.requests.BatchExecuteStatement).toBeUndefined();
      expect(
        log.lines.filter((l) => l.level === 'warn' && /refused PartiQL batch writes .*AccessDeniedException/.test(l.message)),
      ).toHaveLength(1);
      const stored = await new DynamoDBFlagStore({ tableName, client, prefix: 'p' }).all('features');
      expect(Object.values(stored).map((f) => f.version)).toEqual(Array(40).fill(2));
    } finally {
      proxy.setRules([]);
      store.close();
    }
  });

  it('still writes a row the table never had, when the single put is the only way in', async () => {
    // The refusal is per request: a batch refused leaves its rows to the single puts, whatever they hold.
    const tableName = await freshTable(client, 'batch-denied-rows');
    await client.send(new PutItemCommand({ TableName: tableName, Item: encodeItem(undefined, 'features', testFlag('old', 1), 1).attrs }));
    const store = new DynamoDBFlagStore({ tableName, clientConfig: localClientConfig(proxy.endpoint) });
    proxy.setRules([{ fault: 'access-denied', rate: 1, operations: ['BatchExecuteStatement'] }]);
    try {
      const summary = await store.init(dataSetOf([testFlag('old', 2), testFlag('new', 1)]));
      expect(summary).toMatchObject({ written: 2 });
      expect((await rowOf(tableName, 'old'))?.version?.N).toBe('2');
      expect((await rowOf(tableName, 'new'))?.version?.N).toBe('1');
    } finally {
      proxy.setRules([]);
      store.close();
    }
  });
});
