// Our store under the service-limits model (docs/service-limits.md) in front of DynamoDB Local: a full init
// and a re-sync bound by a per-partition write rate, throttled as DynamoDB throttles, lose nothing. (The
// share of throttled requests the pacer leaves is a cost, reported by `npm run bench`.) The model's rates are
// lowered to a tenth (100 write units/s per partition key) so that DynamoDB Local, slower than real DynamoDB
// on a shared machine, is not what limits the writer, and the writer's concurrency with them. (How long it
// takes is the benchmark's business, not a test's.)
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCountingProxy, type CountingProxy } from '../../bench/lib/proxy.js';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import { ServiceLimits } from '../support/ddb-service-limits.js';
import { generateEnvironment, withChangedFlags } from '../support/generate-environment.js';
import { dynamoEndpoint, freshTable, localClient, localClientConfig } from '../support/tables.js';

let client: DynamoDBClient;
let proxy: CountingProxy;
let limits: ServiceLimits;
beforeAll(async () => {
  client = localClient();
  limits = new ServiceLimits({ partitionWriteUnits: 100, tableWriteUnits: 400 });
  proxy = await startCountingProxy(dynamoEndpoint(), { limits });
});
afterAll(async () => {
  client?.destroy();
  await proxy?.close();
});

describe('a full init of 400 flags at a tenth of real DynamoDB’s limits', () => {
  it('writes every item, in conditional batches and single puts, under the model’s limits, and a 1% re-sync likewise', {
    timeout: 120_000,
  }, async () => {
    const tableName = await freshTable(client, 'limits');
    const env = generateEnvironment({ flags: 400, seed: 7 });
    // Concurrency scaled with the rates: 48 in flight against a tenth of the rate would overload the model
    // ten times harder than the writer's default overloads real DynamoDB (the bench runs it at real rates).
    const store = new DynamoDBFlagStore({ tableName, clientConfig: localClientConfig(proxy.endpoint), concurrency: 5 });
    const summary = await store.init(env);
    const counts = proxy.counts();
    expect(summary).toMatchObject({ rejected: 0, stale: 0 });
    expect(summary.written).toBe(Object.keys(env.flags).length + Object.keys(env.segments).length);
    expect(counts.requests.TransactWriteItems).toBeUndefined();
    // The limits were reached (requests throttled, or statements of a batch): the pacer had work to do.
    expect(counts.throttled + counts.unprocessed).toBeGreaterThan(0);
    const direct = new DynamoDBFlagStore({ tableName, client, consistentReads: true });
    const stored = await direct.all('features');
    for (const [key, f] of Object.entries(env.flags)) expect(stored[key]?.version, key).toBe(f.version);

    proxy.reset();
    const changed = withChangedFlags(env, 0.01, 8);
    const again = await store.init(changed);
    expect(again.written).toBe(4);
    const after = await direct.all('features');
    for (const [key, f] of Object.entries(changed.flags)) expect(after[key]?.version, key).toBe(f.version);
    store.close();
  });
});
