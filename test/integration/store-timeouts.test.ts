// A DynamoDB answer that never comes: the writer abandons the attempt after `retry.requestTimeoutMs` and
// retries it like a dropped connection, instead of waiting on the open socket for ever. The stalled writes
// were applied (the proxy forwards them, then stays silent), so their retries find them already there.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBFlagStore, WriteFailedError } from '../../lib/store/index.js';
import { startFaultProxy, type DynamoDBFaultProxy } from '../support/ddb-fault-proxy.js';
import { generateEnvironment } from '../support/generate-environment.js';
import { dynamoEndpoint, freshTable, localClient, localClientConfig } from '../support/tables.js';

let client: DynamoDBClient;
let proxy: DynamoDBFaultProxy;
beforeAll(async () => {
  client = localClient();
  proxy = await startFaultProxy({ target: dynamoEndpoint(), seed: 3 });
});
afterAll(async () => {
  client?.destroy();
  await proxy?.close();
});

describe('a request DynamoDB never answers', () => {
  it('is abandoned after requestTimeoutMs and retried: every item arrives', async () => {
    const tableName = await freshTable(client, 'stall');
    const env = generateEnvironment({ flags: 40, segments: 5, seed: 3 });
    proxy.resetStats();
    // The claim passes; then batches (and the single puts that settle what they leave) stall.
    proxy.setRules([{ fault: 'stall', rate: 1, operations: ['PutItem', 'BatchExecuteStatement'], after: 1, max: 3 }]);
    const store = new DynamoDBFlagStore({
      tableName,
      clientConfig: localClientConfig(proxy.endpoint),
      retry: { requestTimeoutMs: 300, baseDelayMs: 1 },
    });
    try {
      const summary = await store.init(env);
      expect(proxy.stats.injected.stall).toBe(3);
      expect(summary.retries).toBeGreaterThanOrEqual(3);
      // A stalled write was applied before its answer was lost: its retry finds it there.
      expect(summary.written + summary.stale).toBe(45);
      const direct = new DynamoDBFlagStore({ tableName, client, consistentReads: true });
      const stored = await direct.all('features');
      for (const [key, f] of Object.entries(env.flags)) expect(stored[key]?.version, key).toBe(f.version);
      expect(await direct.initialized()).toBe(true);
    } finally {
      proxy.setRules([]);
      store.close();
    }
  });

  it('that outlasts the retry bound fails the write with a timeout named as such, and the marker is not set', async () => {
    const tableName = await freshTable(client, 'stall');
    proxy.setRules([{ fault: 'stall', rate: 1, operations: ['PutItem'] }]);
    const store = new DynamoDBFlagStore({
      tableName,
      clientConfig: localClientConfig(proxy.endpoint),
      retry: { requestTimeoutMs: 200, maxAttempts: 2, baseDelayMs: 1 },
    });
    try {
      const err = await store.init(generateEnvironment({ flags: 3, seed: 4 })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WriteFailedError);
      expect((err as WriteFailedError & { cause: Error }).cause.message).toMatch(/DynamoDB PutItem got no complete answer within 200 ms/);
      proxy.setRules([]);
      expect(await new DynamoDBFlagStore({ tableName, client }).initialized()).toBe(false);
    } finally {
      proxy.setRules([]);
      store.close();
    }
  });
});
