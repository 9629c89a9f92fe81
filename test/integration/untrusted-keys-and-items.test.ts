// Data a consumer or the sync must survive: flag and segment keys that are JavaScript's own property names
// (`__proto__`, `constructor`, `toString`, `hasOwnProperty`), which LaunchDarkly allows, synced from a poll and
// from a file, shown by `status` and evaluated through the v9 SDK with our reader next to ordinary flags; and a
// stored compressed item that would inflate past the limit, reported while every other flag is still served.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { init, type LDClient } from '@launchdarkly/node-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPRESSED_ATTRIBUTE, MAX_INFLATED_ITEM_BYTES, namespaceFor } from '../../lib/store/layout.js';
import { ReadOnlyFeatureStore } from '../../lib/store/reader.js';
import { runCli } from './cli-support.js';
import { startLaunchDarklyServer, type LaunchDarklyServer } from '../support/ld-server.js';
import { dynamoEndpoint, freshTable, localClient, localClientConfig } from '../support/tables.js';

const SDK_KEY = 'sdk-js-names-test-0c2e';
const JS_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];

const flagJson = (key: string, extra = '') =>
  `{"key":${JSON.stringify(key)},"version":3,"on":true,"salt":"s","variations":["off","on-${key}","in-segment"],` +
  `"offVariation":0,"fallthrough":{"variation":1},"targets":[],"contextTargets":[],"prerequisites":[],"rules":[]${extra}}`;

/**
 * The latest-all body as text: written as a literal so that `__proto__` is an own key, as LaunchDarkly's JSON
 * makes it. `hasOwnProperty` matches contexts in segment `__proto__`; `constructor` needs `toString` on;
 * `needs-absent` needs `valueOf`, which does not exist (so it serves its off variation).
 */
const BODY =
  `{"flags":{${[
    ...JS_NAMES.map((k) => {
      if (k === 'hasOwnProperty') {
        return `"${k}":${flagJson(k).replace('"rules":[]', '"rules":[{"id":"r1","variation":2,"clauses":[{"attribute":"key","op":"segmentMatch","values":["__proto__"],"negate":false}]}]')}`;
      }
      if (k === 'constructor')
        return `"${k}":${flagJson(k).replace('"prerequisites":[]', '"prerequisites":[{"key":"toString","variation":1}]')}`;
      return `"${k}":${flagJson(k)}`;
    }),
    `"ordinary":${flagJson('ordinary')}`,
    `"needs-absent":${flagJson('needs-absent').replace('"prerequisites":[]', '"prerequisites":[{"key":"valueOf","variation":1}]')}`,
  ].join(',')}},"segments":{"__proto__":{"key":"__proto__","version":1,"included":["member"],"excluded":[],"rules":[],"salt":"s"},` +
  `"valueOf":{"key":"valueOf","version":1,"included":[],"excluded":[],"rules":[],"salt":"s"}}}`;

async function evaluator(table: string, options: { cacheTTL?: number } = {}): Promise<LDClient> {
  const client = init(SDK_KEY, {
    useLdd: true,
    sendEvents: false,
    diagnosticOptOut: true,
    logger: { error() {}, warn() {}, info() {}, debug() {} },
    featureStore: ReadOnlyFeatureStore(table, { clientConfig: localClientConfig(), cacheTTL: options.cacheTTL ?? 0 }),
  });
  await client.waitForInitialization({ timeout: 10 });
  return client;
}

describe('keys that are JavaScript property names', () => {
  let ddb: DynamoDBClient;
  let ld: LaunchDarklyServer;
  let dir: string;
  beforeAll(async () => {
    ddb = localClient();
    ld = await startLaunchDarklyServer({ sdkKey: SDK_KEY });
    ld.setRawPollBody(BODY);
    dir = mkdtempSync(path.join(tmpdir(), 'ld-js-names-'));
  });
  afterAll(async () => {
    ddb?.destroy();
    await ld?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['poll', 'file'] as const)(
    'sync from a %s, appear in status, and evaluate through the SDK next to ordinary flags',
    async (source) => {
      const table = await freshTable(ddb, 'jsnames');
      const file = path.join(dir, 'env.json');
      writeFileSync(file, BODY);
      const from = source === 'poll' ? ['--base-uri', ld.baseUri] : ['--file', file];
      const sync = await runCli(
        ['sync', '--source', source, ...from, '--table', table, '--dynamodb-endpoint', dynamoEndpoint(), '--json'],
        { LD_SDK_KEY: SDK_KEY },
      );
      expect(sync.stderr).toBe('');
      expect(sync.code).toBe(0);
      expect(JSON.parse(sync.stdout)).toMatchObject({ written: 8 });

      const status = await runCli(['status', '--table', table, '--dynamodb-endpoint', dynamoEndpoint(), '--json']);
      expect(JSON.parse(status.stdout)).toMatchObject({ initialized: true, flags: 6, segments: 2 });

      for (const cacheTTL of [0, 15]) {
        const client = await evaluator(table, { cacheTTL });
        try {
          const user = { kind: 'user', key: 'someone' };
          for (const key of [...JS_NAMES.filter((k) => k !== 'hasOwnProperty'), 'ordinary']) {
            expect(await client.variation(key, user, 'default')).toBe(`on-${key}`);
          }
          expect(await client.variation('hasOwnProperty', { kind: 'user', key: 'member' }, 'default')).toBe('in-segment');
          expect(await client.variation('hasOwnProperty', user, 'default')).toBe('on-hasOwnProperty');
          // Absent keys that Object.prototype has are absent, not functions.
          expect(await client.variation('valueOf', user, 'default')).toBe('default');
          expect(await client.variation('isPrototypeOf', user, 'default')).toBe('default');
          expect(await client.variation('needs-absent', user, 'default')).toBe('off');
          // allFlagsState evaluates every flag our reader returns, but the SDK's own FlagsStateBuilder collects
          // the values by assignment into a plain object, where "__proto__" cannot be a key (upstream behaviour).
          const state = (await client.allFlagsState(user)).allValues();
          expect(Object.keys(state).sort()).toEqual(['constructor', 'hasOwnProperty', 'needs-absent', 'ordinary', 'toString']);
          expect(state).toMatchObject({
            constructor: 'on-constructor',
            toString: 'on-toString',
            ordinary: 'on-ordinary',
            'needs-absent': 'off',
          });
        } finally {
          client.close();
        }
      }
    },
  );
});

describe('a stored item that inflates past the limit', () => {
  it('is reported by the reader, which keeps serving every other flag', async () => {
    const ddb = localClient();
    const table = await freshTable(ddb, 'bomb');
    try {
      const ld = await startLaunchDarklyServer({ sdkKey: SDK_KEY });
      ld.setRawPollBody(`{"flags":{"ordinary":${flagJson('ordinary')},"other":${flagJson('other')}},"segments":{}}`);
      const sync = await runCli(
        ['sync', '--source', 'poll', '--base-uri', ld.baseUri, '--table', table, '--dynamodb-endpoint', dynamoEndpoint()],
        { LD_SDK_KEY: SDK_KEY },
      );
      await ld.close();
      expect(sync.code).toBe(0);
      // Under 100 KB of gzip that inflates to just past the limit, written as our writer stores large items.
      const json = flagJson('bomb', `,"padding":"${' '.repeat(MAX_INFLATED_ITEM_BYTES)}"`);
      const gz = gzipSync(json, { level: 9 });
      expect(gz.byteLength).toBeLessThan(100_000);
      await ddb.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            namespace: { S: namespaceFor(undefined, 'features') },
            key: { S: 'bomb' },
            version: { N: '3' },
            [COMPRESSED_ATTRIBUTE]: { B: gz },
          },
        }),
      );

      const warnings: string[] = [];
      const logger = { error: (m: string) => warnings.push(m), warn: (m: string) => warnings.push(m), info() {}, debug() {} };
      const client = init(SDK_KEY, {
        useLdd: true,
        sendEvents: false,
        diagnosticOptOut: true,
        logger,
        featureStore: ReadOnlyFeatureStore(table, { clientConfig: localClientConfig(), cacheTTL: 0, logger }),
      });
      try {
        await client.waitForInitialization({ timeout: 10 });
        const user = { kind: 'user', key: 'someone' };
        const before = process.memoryUsage().rss;
        expect((await client.allFlagsState(user)).allValues()).toEqual({ ordinary: 'on-ordinary', other: 'on-other' });
        expect(await client.variation('bomb', user, 'default')).toBe('default');
        expect(await client.variation('ordinary', user, 'default')).toBe('on-ordinary');
        expect(process.memoryUsage().rss - before).toBeLessThan(2 * MAX_INFLATED_ITEM_BYTES);
        expect(warnings.join('\n')).toMatch(/"bomb".*StoredItemTooLargeError.*inflates past the limit of 67108864 bytes/);
      } finally {
        client.close();
      }
    } finally {
      ddb.destroy();
    }
  });
});
