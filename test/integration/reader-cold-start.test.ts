// A consumer's cold start as a Lambda makes it: the first variation, then five more flags one after another
// (a prerequisite and a segment match among them), through the counting proxy the benchmark uses, which
// logs when each request started and ended. For an environment whose flags fit the cold start's two pages
// (250 flags each, from both ends) every request is in one wave before the first result, and none follows
// within the TTL; up to ~2 MB one more wave reads the rest; for a larger one the first result still waits for
// one wave only. The values are right in every case.
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { init, integrations, type LDClient } from '@launchdarkly/node-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countWaves, pickFlags } from '../../bench/cases/consumer.js';
import { epochNow, startCountingProxy, type CountingProxy } from '../../bench/lib/proxy.js';
import { DynamoDBFlagStore, type FullDataSet } from '../../lib/store/index.js';
import { decodeReadHints, readHintsKey } from '../../lib/store/read-hints.js';
import { ReadOnlyFeatureStore } from '../../lib/store/reader.js';
import { generateEnvironment } from '../support/generate-environment.js';
import { dynamoEndpoint, freshTable, localClient, localCredentials } from '../support/tables.js';

const quiet = { error() {}, warn() {}, info() {}, debug() {} };

async function memorySdk(env: FullDataSet): Promise<LDClient> {
  const td = new integrations.TestData();
  for (const s of Object.values(env.segments)) await td.usePreconfiguredSegment(s);
  for (const f of Object.values(env.flags)) await td.usePreconfiguredFlag(f);
  const client = init('sdk-memory', { updateProcessor: td.getFactory(), sendEvents: false, diagnosticOptOut: true, logger: quiet });
  await client.waitForInitialization({ timeout: 10 });
  return client;
}

let admin: DynamoDBClient;
let proxy: CountingProxy;
beforeAll(async () => {
  admin = localClient();
  proxy = await startCountingProxy(dynamoEndpoint());
});
afterAll(async () => {
  admin.destroy();
  await proxy.close();
});

/** Writes a generated environment; returns it, its table, the flags to ask for and the hints' split points. */
async function environment(flags: number, prefix?: string) {
  const env = generateEnvironment({ flags, seed: flags });
  const table = await freshTable(admin, `cold-${flags}`);
  await new DynamoDBFlagStore({ tableName: table, prefix, client: admin }).init(env);
  const picked = pickFlags(env, 5);
  const key = readHintsKey(prefix);
  const row = await admin.send(new GetItemCommand({ TableName: table, Key: { namespace: { S: key }, key: { S: key } } }));
  const hints = decodeReadHints(row.Item?.hints?.B);
  return { env, table, keys: [...picked.one, ...picked.five], context: picked.context as never, splits: hints?.ranges.features.length };
}

/** A fresh reader SDK through the proxy: the first variation, then the rest one after another, then all again. */
async function coldStart(table: string, keys: string[], context: never, prefix?: string) {
  const sdk = init('sdk-reader', {
    useLdd: true,
    featureStore: ReadOnlyFeatureStore(table, {
      prefix,
      clientConfig: { endpoint: proxy.endpoint, region: 'us-east-1', credentials: localCredentials },
    }),
    sendEvents: false,
    diagnosticOptOut: true,
    logger: quiet,
  });
  await sdk.waitForInitialization({ timeout: 10 });
  proxy.reset();
  const values: Record<string, unknown> = {};
  values[keys[0]!] = await sdk.variation(keys[0]!, context, null);
  const firstAt = epochNow();
  for (const k of keys.slice(1)) values[k] = await sdk.variation(k, context, null);
  const coldAt = epochNow();
  for (const k of keys) await sdk.variation(k, context, null);
  // The proxy logs an exchange when it ends: wait (boundedly) until no request is still on its way.
  for (let i = 0, seen = -1; i < 50 && seen !== proxy.log.length; i++) {
    seen = proxy.log.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const coldLog = proxy.log.filter((e) => e.startedAt <= coldAt);
  const afterwards = proxy.log.length - coldLog.length;
  sdk.close();
  return { values, coldLog, firstAt, afterwards };
}

async function expected(env: FullDataSet, keys: string[], context: never) {
  const memory = await memorySdk(env);
  const values: Record<string, unknown> = {};
  for (const k of keys) values[k] = await memory.variation(k, context, null);
  memory.close();
  return values;
}

describe('ReadOnlyFeatureStore cold start: first variation, then five more flags one after another', () => {
  for (const [flags, prefix] of [
    [200, undefined],
    [450, 'env-b'],
  ] as const) {
    it(`${flags} flags${prefix ? ` under prefix "${prefix}"` : ''}: one wave of requests before the first result, none after within the TTL`, async () => {
      const { env, table, keys, context } = await environment(flags, prefix);
      const run = await coldStart(table, keys, context, prefix);
      expect(run.values).toEqual(await expected(env, keys, context));
      expect(run.coldLog.every((e) => e.startedAt <= run.firstAt)).toBe(true);
      expect(countWaves(run.coldLog)).toBe(1);
      // The batch (flag, marker, hints) and the namespaces' pages: the flags from both ends, the segments.
      expect(run.coldLog.map((e) => e.operation).sort()).toEqual(['BatchGetItem', 'Query', 'Query', 'Query']);
      expect(run.afterwards).toBe(0);
    });
  }

  it('1,000 flags (~1.3 MB): one wave before the first result, one more for the rest of the flags, then none', async () => {
    const { env, table, keys, context } = await environment(1_000, 'env-c');
    const run = await coldStart(table, keys, context, 'env-c');
    expect(run.values).toEqual(await expected(env, keys, context));
    expect(countWaves(run.coldLog.filter((e) => e.startedAt <= run.firstAt))).toBe(1);
    expect(countWaves(run.coldLog)).toBeLessThanOrEqual(2);
    expect(run.afterwards).toBe(0);
  });

  it('2,000 flags (beyond the two pages): the same values, and one wave before the first result', async () => {
    const { env, table, keys, context, splits } = await environment(2_000);
    expect(splits).toBeGreaterThan(1); // the hints plan three ranges or more: too large to read whole on a cold start
    const run = await coldStart(table, keys, context);
    expect(run.values).toEqual(await expected(env, keys, context));
    expect(countWaves(run.coldLog.filter((e) => e.startedAt <= run.firstAt))).toBe(1);
    // As before this policy, each later flag costs at most one wave (its dependencies travel with it).
    expect(countWaves(run.coldLog)).toBeLessThanOrEqual(keys.length);
    expect(run.afterwards).toBe(0);
  });
});
