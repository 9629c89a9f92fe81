// DynamoDBFeatureStore as the v9 SDK's read-write feature store: the SDK's data source writes through it
// (init, upserts from updates), the table ends up in LaunchDarkly's layout, and a second SDK in daemon
// mode reads the same flags back.
import { init, integrations } from '@launchdarkly/node-server-sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoDBFeatureStore, DynamoDBFlagStore } from '../../lib/store/index.js';
import { freshTable, localClient, localClientConfig } from '../support/tables.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('DynamoDBFeatureStore under @launchdarkly/node-server-sdk v9', () => {
  const client = localClient();
  afterAll(() => client.destroy());

  it('stores what the SDK’s data source sends, and another SDK in daemon mode evaluates it', async () => {
    const tableName = await freshTable(client, 'sdkstore');
    const td = new integrations.TestData();
    td.update(td.flag('greeting').valueForAll('hello'));
    td.update(td.flag('beta').booleanFlag().variationForUser('u1', true).fallthroughVariation(false));
    const writer = init('sdk-writer', {
      updateProcessor: td.getFactory(),
      featureStore: DynamoDBFeatureStore(tableName, { prefix: 'p', clientConfig: localClientConfig(), cacheTTL: 0 }),
      sendEvents: false,
      diagnosticOptOut: true,
      logger: quiet,
    });
    await writer.waitForInitialization({ timeout: 10 });

    const store = new DynamoDBFlagStore({ tableName, prefix: 'p', client, consistentReads: true });
    expect(await store.initialized()).toBe(true);
    expect(Object.keys(await store.all('features')).sort()).toEqual(['beta', 'greeting']);

    // an update flows through the SDK's upsert into the table, version-guarded
    td.update(td.flag('greeting').valueForAll('bonjour'));
    await expect.poll(async () => (await store.get('features', 'greeting'))?.variations, { timeout: 5000 }).toEqual(['bonjour']);
    const version = (await store.get('features', 'greeting'))!.version;
    expect(await store.upsert('features', { key: 'greeting', version, variations: ['stale'] })).toBe(false);

    const reader = init('sdk-reader', {
      useLdd: true,
      featureStore: DynamoDBFeatureStore(tableName, { prefix: 'p', clientConfig: localClientConfig() }),
      sendEvents: false,
      diagnosticOptOut: true,
      logger: quiet,
    });
    await reader.waitForInitialization({ timeout: 10 });
    expect(await reader.variation('greeting', { kind: 'user', key: 'x' }, 'default')).toBe('bonjour');
    expect(await reader.variation('beta', { kind: 'user', key: 'u1' }, 'default')).toBe(true);
    expect(await reader.variation('beta', { kind: 'user', key: 'u2' }, 'default')).toBe(false);
    expect(await reader.variation('missing', { kind: 'user', key: 'u2' }, 'default')).toBe('default');
    writer.close();
    reader.close();
  });
});
