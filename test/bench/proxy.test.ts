// The bench's counting proxy (bench/lib/proxy.ts) passes answers on as they arrive and counts a read's
// capacity only when the counts are asked for: what it forwards must be DynamoDB's answer unchanged, and
// what it counts must be what DynamoDB reports for the same request.
import { type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCountingProxy, type CountingProxy } from '../../bench/lib/proxy.js';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import { generateEnvironment } from '../support/generate-environment.js';
import { dynamoEndpoint, freshTable, localClient } from '../support/tables.js';

let direct: DynamoDBClient;
let viaProxy: DynamoDBClient;
let proxy: CountingProxy;
beforeAll(async () => {
  direct = localClient();
  proxy = await startCountingProxy(dynamoEndpoint());
  viaProxy = localClient(proxy.endpoint);
});
afterAll(async () => {
  direct?.destroy();
  viaProxy?.destroy();
  await proxy?.close();
});

it('forwards a multi-page read unchanged and counts the read units DynamoDB reports for it', async () => {
  const tableName = await freshTable(direct, 'proxy');
  await new DynamoDBFlagStore({ tableName, client: direct }).init(generateEnvironment({ flags: 1200, seed: 5 }));
  const query = (start?: Record<string, never>) =>
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: '#ns = :ns',
      ExpressionAttributeNames: { '#ns': 'namespace' },
      ExpressionAttributeValues: { ':ns': { S: 'features' } },
      ReturnConsumedCapacity: 'TOTAL',
      ExclusiveStartKey: start,
    });
  proxy.reset();
  let reported = 0;
  let start: Record<string, never> | undefined;
  let pages = 0;
  do {
    const [mine, theirs] = await Promise.all([viaProxy.send(query(start)), direct.send(query(start))]);
    expect(mine.Items).toEqual(theirs.Items);
    expect(mine.LastEvaluatedKey).toEqual(theirs.LastEvaluatedKey);
    reported += theirs.ConsumedCapacity?.CapacityUnits ?? 0;
    start = mine.LastEvaluatedKey as Record<string, never> | undefined;
    pages++;
  } while (start);
  expect(pages).toBeGreaterThan(1); // more than one 1 MB page: the answers were large enough to stream
  const counts = proxy.counts();
  expect(counts.requests).toEqual({ Query: pages });
  expect(counts.readCapacityUnits).toBeGreaterThan(0);
  expect(counts.readCapacityUnits).toBe(reported);
}, 120_000);

it('counts a batch of PartiQL writes at the units DynamoDB reports for the same items as single PutItems', async () => {
  const env = generateEnvironment({ flags: 300, seed: 9 });
  const batched = await freshTable(direct, 'proxy-batched');
  const single = await freshTable(direct, 'proxy-single');
  proxy.reset();
  const viaBatches = await new DynamoDBFlagStore({ tableName: batched, client: viaProxy }).init(env);
  const batchUnits = proxy.counts((e) => e.operation === 'BatchExecuteStatement').writeCapacityUnits;
  expect(viaBatches.requests.BatchExecuteStatement).toBeGreaterThan(0);
  // The same data set written one PutItem each (DynamoDB Local reports their capacity itself).
  const store = new DynamoDBFlagStore({ tableName: single, client: direct });
  (store as unknown as { ctx: { table: { batchWrites: string } } }).ctx.table.batchWrites = 'refused';
  const viaPuts = await store.init(env);
  expect(viaPuts.requests.BatchExecuteStatement).toBeUndefined();
  // The claim, hints and marker are single PutItems either way; the items are the rest.
  const otherUnits = proxy.counts((e) => e.operation === 'PutItem').writeCapacityUnits;
  const itemUnits = viaPuts.writeCapacityUnits - otherUnits;
  expect(itemUnits).toBeGreaterThan(300);
  expect(Math.abs(batchUnits - itemUnits)).toBeLessThanOrEqual(itemUnits * 0.01);
});
