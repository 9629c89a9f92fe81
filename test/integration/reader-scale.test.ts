// ReadOnlyFeatureStore at scale, under the real @launchdarkly/node-server-sdk v9 in daemon mode on DynamoDB
// Local: a cold allFlagsState of 10,000 flags equals the in-memory SDK's and takes a handful of queries,
// not a read per item. Also the factory's refusal of bad options. Kept apart from reader.test.ts, whose
// cases run once per key prefix.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import { ReadOnlyFeatureStore, ReaderOptionsError } from '../../lib/store/reader.js';
import { generateContexts, generateEnvironment } from '../support/generate-environment.js';
import { freshTable, localClient } from '../support/tables.js';
import { countRequests } from '../support/request-counter.js';
import { memorySdk } from '../support/memory-sdk.js';
import { comparable, readerSdk } from './reader-support.js';

let admin: DynamoDBClient;
beforeAll(() => {
  admin = localClient();
});
afterAll(() => {
  admin.destroy();
});

describe('ReadOnlyFeatureStore at scale', () => {
  it('answers a cold allFlagsState for 10,000 flags like the in-memory SDK, in a handful of queries', async () => {
    const table = await freshTable(admin, 'reader-10k');
    const env = generateEnvironment({ flags: 10_000, seed: 3 });
    await new DynamoDBFlagStore({ tableName: table, client: admin }).init(env);
    const client = localClient();
    const requests = countRequests(client);
    const reader = await readerSdk(table, { client });
    const memory = await memorySdk(env);
    const [context] = generateContexts(1, 9);
    const state = await reader.allFlagsState(context!);
    expect(Object.keys(state.allValues())).toHaveLength(10_000);
    expect(comparable(state)).toEqual(comparable(await memory.allFlagsState(context!)));
    // One batch for the marker and the read hints, then the hinted key ranges of both namespaces, all at
    // once: no per-item reads for prerequisites or segments, and no pages read one after another.
    expect(requests.byOp).toEqual({ BatchGetItem: 1, Query: expect.any(Number) });
    expect(requests.byOp.Query).toBeLessThanOrEqual(30);
    const before = requests.total();
    await reader.allFlagsState(context!);
    expect(requests.total()).toBe(before);
    reader.close();
    memory.close();
    client.destroy();
  });

  it('rejects bad options when the factory is called', () => {
    expect(() => ReadOnlyFeatureStore('t', {})).toThrow(ReaderOptionsError);
    expect(() => ReadOnlyFeatureStore('flags', { cacheTTL: -1 })).toThrow(/cacheTTL/);
    expect(() => ReadOnlyFeatureStore('flags', { ttl: 5 } as never)).toThrow("Unknown option 'ttl'");
    expect(() => ReadOnlyFeatureStore('flags', { client: admin, clientConfig: {} } as never)).toThrow(/either 'client' or 'clientConfig'/);
  });
});
