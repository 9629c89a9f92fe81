// Interoperability: a table written by DynamoDBFlagStore is read by LaunchDarkly's own DynamoDB store
// (launchdarkly-node-server-sdk-dynamodb@4 under launchdarkly-node-server-sdk@7, daemon mode) and by the v9
// SDK with our stores, and all of them evaluate like a v9 SDK fed the same data in memory; and a table
// written by LaunchDarkly's store is read correctly by ours.
import { createRequire } from 'node:module';
import { init as initV9, type LDClient, type LDContext } from '@launchdarkly/node-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBFeatureStore, DynamoDBFlagStore } from '../../lib/store/index.js';
import { ReadOnlyFeatureStore } from '../../lib/store/reader.js';
import type { FullDataSet } from '../../lib/store/types.js';
import { interopContexts, interopData } from '../fixtures/interop-data.js';
import { dynamoEndpoint, freshTable, localClient, localClientConfig, localCredentials } from '../support/tables.js';
import { memorySdk } from '../support/memory-sdk.js';

const require = createRequire(import.meta.url);
const LaunchDarklyV7 = require('launchdarkly-node-server-sdk');
const { DynamoDBFeatureStore: OfficialDynamoDBFeatureStore } = require('launchdarkly-node-server-sdk-dynamodb');

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const v9Options = { sendEvents: false, diagnosticOptOut: true, logger: quiet };

interface Outcome {
  value: unknown;
  variationIndex?: number | null;
  reason?: unknown;
}
type Evaluations = Record<string, Outcome>;

async function evaluateAll(evaluate: (flag: string, ctx: LDContext) => Promise<Outcome>, data: FullDataSet): Promise<Evaluations> {
  const out: Evaluations = {};
  for (const flag of Object.keys(data.flags)) {
    for (const ctx of interopContexts) {
      const d = await evaluate(flag, ctx as LDContext);
      out[`${flag} ${ctx.kind}:${ctx.key}`] = { value: d.value, variationIndex: d.variationIndex ?? null, reason: d.reason };
    }
  }
  return out;
}

async function inMemoryEvaluations(data: FullDataSet): Promise<Evaluations> {
  const client = await memorySdk(data);
  try {
    return await evaluateAll((f, c) => client.variationDetail(f, c, 'default'), data);
  } finally {
    client.close();
  }
}

async function v9Evaluations(featureStore: any, data: FullDataSet): Promise<Evaluations> {
  const client: LDClient = initV9('sdk-daemon', { ...v9Options, useLdd: true, featureStore });
  await client.waitForInitialization({ timeout: 10 });
  try {
    return await evaluateAll((f, c) => client.variationDetail(f, c, 'default'), data);
  } finally {
    client.close();
  }
}

function officialOptions(_tableName: string, prefix?: string) {
  return { prefix, cacheTTL: 0, clientOptions: { endpoint: dynamoEndpoint(), region: 'us-east-1', credentials: localCredentials } };
}

async function v7Evaluations(tableName: string, prefix: string | undefined, data: FullDataSet): Promise<Evaluations> {
  const client = LaunchDarklyV7.init('sdk-daemon', {
    featureStore: OfficialDynamoDBFeatureStore(tableName, officialOptions(tableName, prefix)),
    useLdd: true,
    sendEvents: false,
    diagnosticOptOut: true,
    logger: quiet,
  });
  await client.waitForInitialization();
  try {
    return await evaluateAll((f, c) => client.variationDetail(f, c, 'default'), data);
  } finally {
    client.close();
  }
}

describe.each([undefined, 'prod'])('interoperability with LaunchDarkly’s DynamoDB store (prefix %s)', (prefix) => {
  const client = localClient();
  let expected: Evaluations;
  beforeAll(async () => {
    expected = await inMemoryEvaluations(interopData);
    // the fixture must exercise more than the fallthrough: several distinct outcomes per flag set
    expect(new Set(Object.values(expected).map((e) => JSON.stringify(e.value))).size).toBeGreaterThan(6);
  });
  afterAll(() => client.destroy());

  it('a table written by DynamoDBFlagStore evaluates the same in LaunchDarkly’s v7 store, our reader and our read-write store', async () => {
    const tableName = await freshTable(client, 'interop');
    const store = new DynamoDBFlagStore({ tableName, prefix, client });
    await store.init(interopData);

    expect(await v7Evaluations(tableName, prefix, interopData)).toEqual(expected);
    expect(
      await v9Evaluations(ReadOnlyFeatureStore(tableName, { prefix, clientConfig: localClientConfig(), cacheTTL: 0 }), interopData),
    ).toEqual(expected);
    expect(await v9Evaluations(DynamoDBFeatureStore(tableName, { prefix, clientConfig: localClientConfig() }), interopData)).toEqual(
      expected,
    );

    // LaunchDarkly's store also sees our init marker and our tombstones
    const official = OfficialDynamoDBFeatureStore(tableName, officialOptions(tableName, prefix))({ logger: quiet });
    expect(await new Promise((r) => official.initialized(r))).toBe(true);
    await store.delete('features', 'dark-mode', 3);
    const all = await new Promise<Record<string, unknown>>((r) => official.all({ namespace: 'features' }, r));
    expect(Object.keys(all).sort()).toEqual(
      Object.keys(interopData.flags)
        .filter((k) => k !== 'dark-mode')
        .sort(),
    );
    expect(await new Promise((r) => official.get({ namespace: 'features' }, 'dark-mode', r))).toBeNull();
    official.close();
  });

  it('a table written by LaunchDarkly’s store is read correctly by ours', async () => {
    const tableName = await freshTable(client, 'interop-rev');
    const official = OfficialDynamoDBFeatureStore(tableName, officialOptions(tableName, prefix))({ logger: quiet });
    await new Promise<void>((r) => official.init({ features: interopData.flags, segments: interopData.segments }, r));
    await new Promise<void>((r) => official.delete({ namespace: 'features' }, 'legacy-off', 2, r));
    official.close();

    const ours = new DynamoDBFlagStore({ tableName, prefix, client });
    expect(await ours.initialized()).toBe(true);
    const { 'legacy-off': _deleted, ...remaining } = interopData.flags;
    expect(await ours.all('features')).toEqual(remaining);
    expect(await ours.all('segments')).toEqual(interopData.segments);
    expect(await ours.get('features', 'legacy-off')).toBeNull();
    // our version guard respects LaunchDarkly's tombstone
    expect(await ours.upsert('features', { ...interopData.flags['legacy-off']!, version: 2 })).toBe(false);

    const reader = ReadOnlyFeatureStore(tableName, { prefix, clientConfig: localClientConfig() });
    const got = await v9Evaluations(reader, interopData);
    const want = await inMemoryEvaluations({ ...interopData, flags: remaining });
    for (const [k, v] of Object.entries(got)) {
      if (k.startsWith('legacy-off ')) expect(v.value).toBe('default');
      else expect(v).toEqual(want[k]);
    }

    // and a re-sync of the same data by our writer finds nothing to write
    const summary = await ours.init({ flags: remaining, segments: interopData.segments });
    expect(summary).toMatchObject({ written: 0, deleted: 1, unchanged: Object.keys(remaining).length + 2 });
  });
});
