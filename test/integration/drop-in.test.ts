// The drop-in promise: code written for LaunchDarkly's @launchdarkly/node-server-sdk-dynamodb runs on ours
// with its import line changed and nothing else (test/fixtures/launchdarkly-dynamodb-consumer.js), and
// LaunchDarkly's option names mean what LaunchDarkly's store makes of them, in DynamoDBFeatureStore and in
// ReadOnlyFeatureStore: `cacheTTL: null` is the 15 s default, `dynamoDBClient` is used and left open,
// `clientOptions` configures the client the store builds, `logger` replaces the SDK's.
import { randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ListTablesCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { init, type LDLogger } from '@launchdarkly/node-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBFeatureStore, DynamoDBFlagStore, type Flag } from '../../lib/store/index.js';
import { ReadOnlyFeatureStore } from '../../lib/store/reader.js';
import { bigSegmentsData, bigSegmentsPatches } from '../fixtures/big-segments-data.js';
import { applyRelayPatch, setSynchronizedOn } from '../support/relay-big-segments.js';
import { freePort } from '../support/dynamodb-local.js';
import { freshTable, localClient, localClientConfig } from '../support/tables.js';

const THEIR_PACKAGE = "'@launchdarkly/node-server-sdk-dynamodb'";
const consumerFile = fileURLToPath(new URL('../fixtures/launchdarkly-dynamodb-consumer.js', import.meta.url));
/** What `import … from 'ld-dynamodb-sync'` resolves to: the package root, lib/store/index.ts. */
const ourPackageRoot = fileURLToPath(new URL('../../lib/store/index.ts', import.meta.url));

interface Captured extends LDLogger {
  errors: string[];
}
const capturing = (): Captured => {
  const errors: string[] = [];
  return { errors, error: (...a: unknown[]) => errors.push(a.join(' ')), warn() {}, info() {}, debug() {} };
};
const user = (key: string, extra: object = {}) => ({ kind: 'user', key, ...extra });

const admin = localClient();
let table: string;
const prefix = 'prod';
const greeting = (version: number, value: string): Flag => ({
  key: 'greeting',
  version,
  on: true,
  salt: 's',
  variations: [value],
  fallthrough: { variation: 0 },
  offVariation: 0,
  targets: [],
  rules: [],
  prerequisites: [],
  deleted: false,
});

beforeAll(async () => {
  // A client whose options were ignored would fall back to this endpoint: a closed loopback port, never AWS.
  process.env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${await freePort()}`;
  table = await freshTable(admin, 'dropin');
  const data = { ...bigSegmentsData, flags: { ...bigSegmentsData.flags, greeting: greeting(1, 'hello') } };
  await new DynamoDBFlagStore({ tableName: table, prefix, client: admin }).init(data);
  for (const patch of bigSegmentsPatches) await applyRelayPatch(admin, table, prefix, patch);
  await setSynchronizedOn(admin, table, prefix, Date.now());
});
afterAll(() => admin.destroy());

describe('swapping LaunchDarkly’s DynamoDB store for ours', () => {
  it('is a change of the import line only: LaunchDarkly’s documented configuration runs unchanged', async () => {
    const source = await readFile(consumerFile, 'utf8');
    const importLines = source.split('\n').filter((line) => line.includes(THEIR_PACKAGE));
    expect(importLines).toHaveLength(1);
    const swappedLine = importLines[0]!.replace(THEIR_PACKAGE, JSON.stringify(ourPackageRoot));
    const swapped = source.replace(importLines[0]!, swappedLine);
    expect(swapped.split('\n').filter((line, i) => line !== source.split('\n')[i])).toEqual([swappedLine]);

    const swappedFile = consumerFile.replace(/\.js$/, `.swapped-${randomUUID().slice(0, 8)}.js`);
    await writeFile(swappedFile, swapped);
    try {
      const consumer = await import(swappedFile);
      const settings = { tableName: table, prefix, clientOptions: localClientConfig(), logger: capturing() };
      for (const start of [consumer.startWithClient, consumer.startWithClientOptions]) {
        const { client, close } = start(settings);
        try {
          await client.waitForInitialization({ timeout: 10 });
          expect(await client.variation('greeting', user('anyone'), 'default')).toBe('hello');
          // Big Segments: alice is included, bob excluded although the segment's rule matches him
          const alice = await client.variationDetail('beta-ui', user('alice'), 'default');
          expect([alice.value, alice.reason.bigSegmentsStatus]).toEqual([true, 'HEALTHY']);
          expect(await client.variation('beta-ui', user('bob', { email: 'bob@example.com' }), 'default')).toBe(false);
        } finally {
          close();
        }
      }
      expect(settings.logger.errors).toEqual([]);
    } finally {
      await rm(swappedFile, { force: true });
    }
  });
});

const stores = {
  DynamoDBFeatureStore: (options: object) => DynamoDBFeatureStore(table, options),
  ReadOnlyFeatureStore: (options: object) => ReadOnlyFeatureStore(table, options),
};

async function evaluateTwiceAcrossAnUpdate(featureStore: unknown, version: number): Promise<[unknown, unknown]> {
  const sdk = init('sdk-key', {
    useLdd: true,
    featureStore: featureStore as never,
    sendEvents: false,
    diagnosticOptOut: true,
    logger: capturing(),
  });
  try {
    await sdk.waitForInitialization({ timeout: 10 });
    const before = await sdk.variation('greeting', user('u'), 'default');
    // Let the reader's cold-start wave (it reads a small environment whole right after the first batch)
    // finish before the update, so that the update is newer than everything the store read.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await new DynamoDBFlagStore({ tableName: table, prefix, client: admin }).upsert('features', greeting(version, `hello v${version}`));
    return [before, await sdk.variation('greeting', user('u'), 'default')];
  } finally {
    sdk.close();
  }
}

function countingClient(): { client: DynamoDBClient; requests: () => number } {
  const client = localClient();
  let requests = 0;
  client.middlewareStack.add(
    (next) => (args) => {
      requests++;
      return next(args);
    },
    { step: 'initialize' },
  );
  return { client, requests: () => requests };
}

/** The greeting flag's version: each update writes a higher one (the writer refuses older versions). */
let version = 1;

describe.each(Object.entries(stores))('%s takes LaunchDarkly’s option names', (_name, store) => {
  it('cacheTTL: null caches for the default 15 s, as LaunchDarkly’s store; cacheTTL: 0 reads every time', async () => {
    const cached = await evaluateTwiceAcrossAnUpdate(store({ prefix, cacheTTL: null, clientOptions: localClientConfig() }), ++version);
    expect(cached[1]).toBe(cached[0]);
    const uncached = await evaluateTwiceAcrossAnUpdate(store({ prefix, cacheTTL: 0, clientOptions: localClientConfig() }), ++version);
    expect(uncached[1]).toBe(`hello v${version}`);
  });

  it('dynamoDBClient is the client it reads with, and it is left open when the SDK closes', async () => {
    const { client, requests } = countingClient();
    try {
      const sdk = init('sdk-key', {
        useLdd: true,
        featureStore: store({ prefix, dynamoDBClient: client }) as never,
        sendEvents: false,
        diagnosticOptOut: true,
        logger: capturing(),
      });
      await sdk.waitForInitialization({ timeout: 10 });
      expect(await sdk.variation('beta-ui', user('dave'), 'default')).toBe(false);
      sdk.close();
      expect(requests()).toBeGreaterThan(0);
      expect((await client.send(new ListTablesCommand({}))).TableNames).toContain(table);
    } finally {
      client.destroy();
    }
  });
});

describe('ReadOnlyFeatureStore with LaunchDarkly’s logger option', () => {
  it('logs its read errors to the logger given in the options, not to the SDK’s', async () => {
    const ours = capturing();
    const sdkLogger = capturing();
    const sdk = init('sdk-key', {
      useLdd: true,
      featureStore: ReadOnlyFeatureStore('no-such-table', { prefix, logger: ours, clientOptions: localClientConfig() }) as never,
      sendEvents: false,
      diagnosticOptOut: true,
      logger: sdkLogger,
    });
    try {
      await sdk.waitForInitialization({ timeout: 2 }).catch(() => {});
      expect(await sdk.variation('greeting', user('u'), 'default')).toBe('default');
      expect(ours.errors.join('\n')).toMatch(/DynamoDB table "no-such-table".*ResourceNotFoundException/);
      expect(sdkLogger.errors.filter((e) => e.includes('no-such-table'))).toEqual([]);
    } finally {
      sdk.close();
    }
  });
});
