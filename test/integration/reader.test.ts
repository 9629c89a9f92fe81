// ReadOnlyFeatureStore under the real @launchdarkly/node-server-sdk v9 in daemon mode, reading DynamoDB
// Local: evaluations equal those of an SDK fed the same data in memory, cold starts take few requests,
// the cache and its TTL, tombstones, compressed rows, read-only writes and an unreachable endpoint.
// Requests are counted with a client middleware (counting, not mocking). Each case runs with and without
// a key prefix, with a decoy environment under the other prefix in the same table. The 10,000-flag case
// and the factory's option checks are in reader-scale.test.ts.
import { gzipSync } from 'node:zlib';
import { DeleteItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBFlagStore, type Flag, type Segment } from '../../lib/store/index.js';
import { COMPRESSED_ATTRIBUTE, namespaceFor } from '../../lib/store/layout.js';
import { readHintsKey } from '../../lib/store/read-hints.js';
import type { StoreBaseOptions } from '../../lib/store/options.js';
import { ReadOnlyStoreError } from '../../lib/store/reader.js';
import { generateContexts, generateEnvironment } from '../support/generate-environment.js';
import { freshTable, localClient, localClientConfig } from '../support/tables.js';
import { freePort } from '../support/dynamodb-local.js';
import { countRequests } from '../support/request-counter.js';
import { memorySdk } from '../support/memory-sdk.js';
import {
  capturingLogger,
  comparable,
  decoyOf,
  FIVE,
  flag,
  readerSdk,
  segment,
  segmentRule,
  smallEnvironment,
  storeFor,
  user,
} from './reader-support.js';

let admin: DynamoDBClient;
beforeAll(() => {
  admin = localClient();
});
afterAll(() => {
  admin.destroy();
});

for (const prefix of [undefined, 'env-a']) {
  const decoyPrefix = prefix ? undefined : 'decoy';
  describe(`ReadOnlyFeatureStore ${prefix ? `with prefix "${prefix}"` : 'without a prefix'}`, () => {
    let tableName: string;
    let writer: DynamoDBFlagStore;
    const small = smallEnvironment();

    /** A reader SDK on its own counted client, so each case sees a cold start. */
    async function coldReader(extra: StoreBaseOptions = {}, logger = capturingLogger(), table = tableName) {
      const client = localClient();
      const requests = countRequests(client);
      const sdk = await readerSdk(table, { prefix, client, ...extra }, logger);
      return {
        sdk,
        requests,
        logger,
        close: () => {
          sdk.close();
          client.destroy();
        },
      };
    }

    beforeAll(async () => {
      tableName = await freshTable(admin, 'reader');
      writer = new DynamoDBFlagStore({ tableName, prefix, client: admin });
      await writer.init(small);
      await new DynamoDBFlagStore({ tableName, prefix: decoyPrefix, client: admin }).init(decoyOf(small));
    });

    it('evaluates generated flags (targets, rules, rollouts, prerequisites, segments) exactly as an SDK holding the same data in memory', async () => {
      const table = await freshTable(admin, 'reader-eq');
      const env = generateEnvironment({ flags: 300, seed: prefix ? 11 : 12 });
      await new DynamoDBFlagStore({ tableName: table, prefix, client: admin }).init(env);
      const memory = await memorySdk(env);
      const logger = capturingLogger();
      const reader = await readerSdk(table, { prefix, clientConfig: localClientConfig() }, logger);
      const contexts = generateContexts(60, 5);
      const reasons = new Map<string, number>();
      let segmentRuleMatches = 0;
      let prerequisitesPassed = 0;
      for (const context of contexts) {
        const keys = Object.keys(env.flags);
        const [fromTable, fromMemory] = await Promise.all([
          Promise.all(keys.map((k) => reader.variationDetail(k, context, 'default'))),
          Promise.all(keys.map((k) => memory.variationDetail(k, context, 'default'))),
        ]);
        expect(fromTable).toEqual(fromMemory);
        fromTable.forEach((detail, i) => {
          const f = env.flags[keys[i]!]!;
          reasons.set(detail.reason.kind, (reasons.get(detail.reason.kind) ?? 0) + 1);
          if (detail.reason.kind === 'RULE_MATCH') {
            const rule = (f.rules as { clauses: { op: string }[] }[])[detail.reason.ruleIndex!]!;
            if (rule.clauses.some((c) => c.op === 'segmentMatch')) segmentRuleMatches++;
          }
          if ((f.prerequisites?.length ?? 0) > 0 && !['OFF', 'PREREQUISITE_FAILED', 'ERROR'].includes(detail.reason.kind))
            prerequisitesPassed++;
        });
      }
      // The data really exercised every path, and the store never reported a problem.
      expect([...reasons.keys()].sort()).toEqual(['FALLTHROUGH', 'OFF', 'PREREQUISITE_FAILED', 'RULE_MATCH', 'TARGET_MATCH']);
      expect(segmentRuleMatches).toBeGreaterThan(0);
      expect(prerequisitesPassed).toBeGreaterThan(0);
      expect(logger.errors).toEqual([]);

      for (const context of contexts.slice(0, 10)) {
        expect(comparable(await reader.allFlagsState(context, { withReasons: true }))).toEqual(
          comparable(await memory.allFlagsState(context, { withReasons: true })),
        );
      }
      reader.close();
      memory.close();
    });

    it('serves a cold start of five flags evaluated together, with a prerequisite and a segment, in one wave (one batch, each small namespace read whole) and none more within the TTL', async () => {
      const { sdk, requests, close } = await coldReader();
      expect(requests.total()).toBe(0); // daemon mode: initialisation reads nothing
      const contexts = [user('u-tester'), user('blocked'), user('x', { email: 'a@testers.test' }), user('u-target')];
      const first = await Promise.all(FIVE.map((k) => sdk.variation(k, contexts[0]!, 'default')));
      expect(first).toEqual([true, true, 'blue', 10, expect.any(Boolean)]);
      // The batch (the five, the marker, the read hints) and, beside it, a page of each namespace, which held
      // all of it.
      expect(requests.byOp).toEqual({ BatchGetItem: 1, Query: 2 });
      expect(requests.waves()).toBe(1);

      const before = requests.total();
      for (const context of contexts) {
        await Promise.all(FIVE.map((k) => sdk.variation(k, context, 'default')));
        for (const k of FIVE) await sdk.variation(k, context, 'default');
      }
      expect(await sdk.variation('checkout', user('blocked'), 'default')).toBe(false); // prerequisite fails
      expect(await sdk.variation('beta', user('x', { email: 'a@testers.test' }), 'default')).toBe(true); // via the segment's rule
      expect(await sdk.variation('beta', user('y', { email: 'y@example.com' }), 'default')).toBe(false);
      expect(requests.total() - before).toBe(0);
      close();
    });

    it('counts the requests of one flag, and of five flags evaluated one after another, on a cold start', async () => {
      const one = await coldReader();
      expect(await one.sdk.variation('checkout', user('someone'), 'default')).toBe(true);
      // The flag (marker, hints) and a page of each namespace, in one wave.
      expect(one.requests.byOp).toEqual({ BatchGetItem: 1, Query: 2 });
      expect(one.requests.waves()).toBe(1);
      one.close();

      const nested = await coldReader();
      expect(await nested.sdk.variation('internal-tools', user('x', { email: 'x@staff.test' }), 'default')).toBe(true);
      // The flag (with the marker and the read hints) and both namespaces whole, which hold its segment's segment.
      expect(nested.requests.byOp).toEqual({ BatchGetItem: 1, Query: 2 });
      expect(nested.requests.waves()).toBe(1);
      nested.close();

      // A table without read hints (as LaunchDarkly's store writes it): the first wave's pages still find each
      // namespace whole, so nothing more is read.
      const hintsKey = readHintsKey(prefix);
      await admin.send(new DeleteItemCommand({ TableName: tableName, Key: { namespace: { S: hintsKey }, key: { S: hintsKey } } }));
      try {
        const unhinted = await coldReader();
        expect(await unhinted.sdk.variation('internal-tools', user('x', { email: 'x@staff.test' }), 'default')).toBe(true);
        expect(unhinted.requests.byOp).toEqual({ BatchGetItem: 1, Query: 2 });
        expect(unhinted.requests.waves()).toBe(1);
        unhinted.close();
      } finally {
        // An unchanged re-sync finds the hints missing and writes them again, and nothing else.
        expect(await writer.init(small)).toMatchObject({ written: 0, hintsWritten: true });
      }

      const seq = await coldReader();
      for (const k of FIVE) await seq.sdk.variation(k, user('u-tester'), 'default');
      // Whatever the order: the first wave; the other four flags cost nothing.
      expect(seq.requests.byOp).toEqual({ BatchGetItem: 1, Query: 2 });
      expect(seq.requests.waves()).toBe(1);
      const before = seq.requests.total();
      for (const k of FIVE) await seq.sdk.variation(k, user('u-tester'), 'default');
      expect(seq.requests.total()).toBe(before);
      seq.close();
    });

    it('answers initialized() from the marker carried by the first batch, without a request of its own', async () => {
      const client = localClient();
      const requests = countRequests(client);
      const store = storeFor(tableName, { prefix, client });
      const item = await new Promise((resolve) => store.get({ namespace: 'features' }, 'banner', resolve));
      expect(item).toMatchObject({ key: 'banner', version: 1 });
      const afterGet = requests.total();
      expect(await new Promise((resolve) => store.initialized(resolve))).toBe(true);
      expect(requests.total()).toBe(afterGet);
      store.close();

      // A prefix nobody initialised: not initialised.
      const other = storeFor(tableName, { prefix: 'never-written', client });
      expect(await new Promise((resolve) => other.initialized(resolve))).toBe(false);
      other.close();
      client.destroy();
    });

    it('with cacheTTL 0 reads the table on every evaluation and sees changes at once; with a TTL it keeps serving the cached value', async () => {
      const table = await freshTable(admin, 'reader-ttl');
      const w = new DynamoDBFlagStore({ tableName: table, prefix, client: admin });
      await w.init(small);
      const client = localClient();
      const requests = countRequests(client);
      const uncached = await readerSdk(table, { prefix, client, cacheTTL: 0 });
      const cachedClient = localClient();
      const cached = await readerSdk(table, { prefix, client: cachedClient, cacheTTL: 600 });

      expect(await uncached.variation('banner', user('a'), 'default')).toBe('blue');
      expect(await cached.variation('banner', user('a'), 'default')).toBe('blue');
      const afterFirst = requests.total();
      expect(await uncached.variation('banner', user('a'), 'default')).toBe('blue');
      expect(requests.total()).toBeGreaterThan(afterFirst);
      expect(await uncached.variation('checkout', user('a'), 'default')).toBe(true);
      expect(await uncached.variation('checkout', user('a'), 'default')).toBe(true);
      const all = await uncached.allFlagsState(user('a'));
      expect(all.getFlagValue('banner')).toBe('blue');

      await w.upsert('features', { ...small.flags.banner!, version: 2, fallthrough: { variation: 0 } });
      await w.upsert('features', { ...small.flags.payments!, version: 4, on: false });
      expect(await uncached.variation('banner', user('a'), 'default')).toBe('red');
      expect(await uncached.variation('checkout', user('a'), 'default')).toBe(false); // its prerequisite is now off
      expect((await uncached.allFlagsState(user('a'))).getFlagValue('banner')).toBe('red');
      expect(await cached.variation('banner', user('a'), 'default')).toBe('blue');

      uncached.close();
      cached.close();
      client.destroy();
      cachedClient.destroy();
    });

    it('gives the default value for missing, deleted and unreadable items, and leaves them out of allFlagsState', async () => {
      const table = await freshTable(admin, 'reader-del');
      const w = new DynamoDBFlagStore({ tableName: table, prefix, client: admin });
      await w.init(small);
      const ns = namespaceFor(prefix, 'features');
      await w.delete('features', 'banner', 2); // tombstone JSON {"key","version","deleted":true}
      await w.delete('segments', 'testers', 6); // `beta` no longer matches anyone through it
      await admin.send(new PutItemCommand({ TableName: table, Item: { namespace: { S: ns }, key: { S: 'limit' }, version: { N: '5' } } })); // no item
      await admin.send(
        new PutItemCommand({
          TableName: table,
          Item: { namespace: { S: ns }, key: { S: 'broken' }, version: { N: '1' }, item: { S: '{"key":"broken",' } },
        }),
      );
      await admin.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            namespace: { S: ns },
            key: { S: 'malformed' },
            version: { N: '1' },
            item: { S: JSON.stringify({ ...flag('malformed', 1), rules: 'none' }) },
          },
        }),
      );
      await admin.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            namespace: { S: ns },
            key: { S: 'go-tombstone' },
            version: { N: '3' },
            item: { S: JSON.stringify({ ...flag('$deleted', 3), deleted: true }) },
          },
        }),
      );

      for (const cacheTTL of [15, 0]) {
        const logger = capturingLogger();
        const { sdk, close } = await coldReader({ cacheTTL }, logger, table);
        const ctx = user('u-tester');
        const values = await Promise.all(
          ['banner', 'limit', 'broken', 'malformed', 'go-tombstone', 'nope', 'beta', 'checkout'].map((k) =>
            sdk.variation(k, ctx, 'default'),
          ),
        );
        expect(values).toEqual(['default', 'default', 'default', 'default', 'default', 'default', false, true]);
        const state = await sdk.allFlagsState(ctx);
        expect(Object.keys(state.allValues()).sort()).toEqual(['beta', 'checkout', 'internal-tools', 'payments', 'search-v2']);
        expect(logger.warnings.some((w) => w.includes('"broken"') && w.includes('invalid JSON'))).toBe(true);
        expect(logger.warnings.some((w) => w.includes('"malformed"') && w.includes('malformed'))).toBe(true);
        close();
      }
    });

    it('treats keys like __proto__, toString and constructor as plain keys: found when stored, the default when not', async () => {
      const table = await freshTable(admin, 'reader-keys');
      const ns = namespaceFor(prefix, 'features');
      for (const key of ['__proto__', 'toString']) {
        const item = flag(key, 1, { variations: ['stored', 'other'], fallthrough: { variation: 0 } });
        await admin.send(
          new PutItemCommand({
            TableName: table,
            Item: { namespace: { S: ns }, key: { S: key }, version: { N: '1' }, item: { S: JSON.stringify(item) } },
          }),
        );
      }
      for (const cacheTTL of [15, 0]) {
        const { sdk, close } = await coldReader({ cacheTTL }, capturingLogger(), table);
        const ctx = user('u');
        expect(
          await Promise.all(['__proto__', 'toString', 'constructor', 'hasOwnProperty'].map((k) => sdk.variation(k, ctx, 'default'))),
        ).toEqual(['stored', 'stored', 'default', 'default']);
        close();
        // The store hands the SDK both as own keys (what the SDK's allFlagsState then does with `__proto__` is its own affair).
        const store = storeFor(table, { prefix, clientConfig: localClientConfig(), cacheTTL });
        const all = await new Promise<Record<string, unknown>>((resolve) => store.all({ namespace: 'features' }, resolve));
        expect(Object.keys(all).sort()).toEqual(['__proto__', 'toString']);
        expect(Object.hasOwn(all, 'constructor')).toBe(false);
        store.close();
      }
    });

    it('reads items stored gzip-compressed in itemGzip, without an item attribute', async () => {
      const table = await freshTable(admin, 'reader-gz');
      const many = Array.from({ length: 40_000 }, (_, i) => `member-${i}`);
      const bigFlag = flag('huge', 4, {
        targets: [{ values: many, variation: 0 }],
        contextTargets: [{ contextKind: 'user', values: [], variation: 0 }],
        rules: [segmentRule('r', 'crowd')],
      });
      const bigSegment = segment('crowd', 2, { included: many.map((m) => `crowd-${m}`) });
      expect(JSON.stringify(bigFlag).length).toBeGreaterThan(400_000);
      const put = (kind: 'features' | 'segments', item: Flag | Segment) =>
        admin.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              namespace: { S: namespaceFor(prefix, kind) },
              key: { S: item.key },
              version: { N: String(item.version) },
              [COMPRESSED_ATTRIBUTE]: { B: gzipSync(JSON.stringify(item)) },
            },
          }),
        );
      await put('features', bigFlag);
      await put('segments', bigSegment);
      const { sdk, close } = await coldReader({}, capturingLogger(), table);
      expect(await sdk.variation('huge', user('member-39999'), 'default')).toBe(true);
      expect(await sdk.variation('huge', user('crowd-member-7'), 'default')).toBe(true);
      expect(await sdk.variation('huge', user('stranger'), 'default')).toBe(false);
      expect((await sdk.allFlagsState(user('member-1'))).getFlagValue('huge')).toBe(true);
      close();
    });

    it('refuses writes: init, upsert and delete throw ReadOnlyStoreError naming the method and the table, and log it', async () => {
      const logger = capturingLogger();
      const store = storeFor(tableName, { prefix, clientConfig: localClientConfig() }, logger);
      const calls: [string, () => void][] = [
        ['init', () => store.init({ features: {}, segments: {} }, () => {})],
        ['upsert', () => store.upsert({ namespace: 'features' }, { key: 'banner', version: 99 }, () => {})],
        ['delete', () => store.delete({ namespace: 'features' }, 'banner', 99, () => {})],
      ];
      for (const [method, call] of calls) {
        let thrown: unknown;
        try {
          call();
        } catch (err) {
          thrown = err;
        }
        expect(thrown).toBeInstanceOf(ReadOnlyStoreError);
        expect((thrown as Error).name).toBe('ReadOnlyStoreError');
        expect((thrown as Error).message).toContain(`.${method}()`);
        expect((thrown as Error).message).toContain(tableName);
        expect((thrown as Error).message).toMatch(/read-only/);
      }
      expect(logger.errors).toHaveLength(3);
      expect(store.getDescription?.()).toBe('DynamoDB (read-only)');
      store.close();
      // Nothing was written: the table still has the original flag.
      expect((await writer.get('features', 'banner'))?.version).toBe(1);
    });

    it('returns the default value without hanging when DynamoDB is unreachable', async () => {
      const port = await freePort();
      const logger = capturingLogger();
      const sdk = await readerSdk(
        tableName,
        { prefix, clientConfig: { ...localClientConfig(`http://127.0.0.1:${port}`), maxAttempts: 2 }, cacheTTL: 0 },
        logger,
      );
      expect(await Promise.all(FIVE.map((k) => sdk.variation(k, user('u'), 'default')))).toEqual(FIVE.map(() => 'default'));
      expect(await sdk.variation('checkout', user('u'), 'default')).toBe('default');
      const state = await sdk.allFlagsState(user('u'));
      expect(state.allValues()).toEqual({});
      expect(logger.errors.some((e) => e.includes('could not read') && e.includes(tableName))).toBe(true);
      sdk.close();
    });
  });
}
