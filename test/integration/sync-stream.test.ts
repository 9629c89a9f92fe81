// runStreamSync against DynamoDB Local and the loopback LaunchDarkly (real launchdarkly-eventsource, real
// store): put/patch/delete applied in order; a dropped connection whose reconnect `put` re-syncs as a diff;
// a 401 that ends the session after one attempt; malformed events that cost a reconnect, not data; the
// abort signal arriving while a write is in flight; a store failure that ends the session loudly.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpStatusError } from '../../lib/launchdarkly/errors.js';
import { StreamingClient } from '../../lib/launchdarkly/streaming.js';
import { DynamoDBFlagStore, PartialInitError, WriteFailedError, type InitSummary } from '../../lib/store/index.js';
import type { FullDataSet } from '../../lib/store/types.js';
import { NoDataError, runStreamSync, type StreamSyncOptions, type SyncProgress } from '../../lib/sync/index.js';
import { startFaultProxy, type DynamoDBFaultProxy } from '../support/ddb-fault-proxy.js';
import { captureLogger } from '../support/capture-logger.js';
import { startLaunchDarklyServer, type LaunchDarklyServer } from '../support/ld-server.js';
import { dynamoEndpoint, freshTable, localClient, localCredentials } from '../support/tables.js';
import { until } from '../support/until.js';

const SDK_KEY = 'sdk-stream-sync-test-93fe';
const data: FullDataSet = {
  flags: {
    'dark-mode': { key: 'dark-mode', version: 3, on: true, variations: [false, true], offVariation: 0, fallthrough: { variation: 1 } },
    'new-checkout': { key: 'new-checkout', version: 7, on: false, variations: ['a', 'b'], offVariation: 0, fallthrough: { variation: 0 } },
    'search-v2': {
      key: 'search-v2',
      version: 1,
      on: true,
      variations: [1, 2],
      offVariation: 0,
      fallthrough: { variation: 0 },
      prerequisites: [{ key: 'dark-mode', variation: 1 }],
    },
  },
  segments: { beta: { key: 'beta', version: 2, included: ['u1'] } },
};
const ITEMS = 4;
/** LaunchDarkly's reconnect rules with the delays shrunk. */
const fastRetry = { initialDelayMs: 10, maxDelayMs: 50 };

/** The real store, with each init's summary kept so a test can read what a given put wrote. */
function observed(store: DynamoDBFlagStore) {
  const inits: InitSummary[] = [];
  const target = {
    init: async (d: FullDataSet) => {
      const summary = await store.init(d);
      inits.push(summary);
      return summary;
    },
    upsert: store.upsert.bind(store),
    delete: store.delete.bind(store),
    recordSync: store.recordSync.bind(store),
  };
  return { target, inits };
}

describe('runStreamSync', () => {
  const client = localClient();
  let ld: LaunchDarklyServer;
  let store: DynamoDBFlagStore;
  let controller: AbortController;

  beforeEach(async () => {
    ld = await startLaunchDarklyServer({ sdkKey: SDK_KEY, data });
    store = new DynamoDBFlagStore({ tableName: await freshTable(client, 'stream'), client });
    controller = new AbortController();
  });
  afterEach(async () => {
    controller.abort();
    await ld?.close();
  });
  afterAll(() => client.destroy());

  function start(overrides: Partial<StreamSyncOptions> = {}) {
    return runStreamSync({ store, sdkKey: SDK_KEY, streamUri: ld.streamUri, signal: controller.signal, retry: fastRetry, ...overrides });
  }

  it('applies put, patch and delete in order, records freshness, and reports what it did', async () => {
    const progress: SyncProgress[] = [];
    const session = start({ onProgress: (p) => progress.push(p) });
    await until(async () => (await store.syncStatus()) !== null, 'the first put to be applied and recorded');
    const afterPut = await store.syncStatus();
    expect(afterPut).toMatchObject({ source: 'stream', summary: { written: ITEMS, events: 0, puts: 1 } });

    ld.sendPatch('features', { ...data.flags['dark-mode']!, version: 4, on: false });
    ld.sendPatch('segments', { key: 'beta', version: 1, included: [] }); // older than the table's: not applied
    ld.sendDelete('features', 'new-checkout', 8);
    ld.sendPatch('features', {
      key: 'brand-new',
      version: 1,
      on: true,
      variations: [true],
      offVariation: 0,
      fallthrough: { variation: 0 },
    });
    await until(() => progress.at(-1)?.events === 5, 'five events to be applied');
    controller.abort();
    const report = await session;

    expect(report).toMatchObject({
      source: 'stream',
      notModified: false,
      events: 5,
      reconnects: 0,
      endedBy: 'signal',
      written: ITEMS + 2,
      unchanged: 1,
      deleted: 1,
      stale: 0,
    });
    expect(await store.get('features', 'dark-mode')).toMatchObject({ version: 4, on: false });
    expect(await store.get('segments', 'beta')).toMatchObject({ version: 2, included: ['u1'] });
    expect(await store.get('features', 'new-checkout')).toBeNull();
    expect(await store.getIncludingDeleted('features', 'new-checkout')).toEqual({ key: 'new-checkout', version: 8, deleted: true });
    expect(await store.get('features', 'brand-new')).toMatchObject({ version: 1 });
    const status = await store.syncStatus();
    expect(status!.syncedAt.getTime()).toBeGreaterThanOrEqual(afterPut!.syncedAt.getTime());
    expect(status?.summary).toMatchObject({ events: 5, puts: 1, endedBy: 'signal' });
    expect(progress.at(-1)).toMatchObject({ phase: 'done', events: 5, reconnects: 0 });
  });

  it('after a dropped connection, reconnects and the new put re-syncs as a diff: unchanged items are not rewritten', async () => {
    const { target, inits } = observed(store);
    const session = start({ store: target });
    await until(() => inits.length === 1, 'the first put');
    expect(inits[0]).toMatchObject({ written: ITEMS, unchanged: 0 });

    // A reconnect with nothing changed: the put rewrites nothing.
    ld.dropStreams();
    await until(() => inits.length === 2, 'the put after the first reconnect');
    expect(inits[1]).toMatchObject({ written: 0, unchanged: ITEMS, deleted: 0 });

    // Changes made without an event (as if while disconnected) reach the table through the reconnect's put alone.
    const changed = structuredClone(data);
    changed.flags['dark-mode']!.version = 5;
    delete changed.flags['new-checkout'];
    ld.setData(changed);
    ld.dropStreams();
    await until(() => inits.length === 3, 'the put after the second reconnect');
    expect(inits[2]).toMatchObject({ written: 1, unchanged: ITEMS - 2, deleted: 1 });

    controller.abort();
    const report = await session;
    expect(report).toMatchObject({ events: 3, reconnects: 2, endedBy: 'signal', written: ITEMS + 1, unchanged: 2 * ITEMS - 2, deleted: 1 });
    expect(ld.requestsTo('/all')).toHaveLength(3);
    expect(await store.get('features', 'dark-mode')).toMatchObject({ version: 5 });
    expect(await store.get('features', 'new-checkout')).toBeNull();
  });

  it('stops on a 401 after one attempt, with a clear error, writing nothing', async () => {
    const err = await start({ sdkKey: 'sdk-revoked-key' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpStatusError);
    expect((err as HttpStatusError).status).toBe(401);
    expect((err as Error).message).toMatch(
      /^LaunchDarkly rejected the SDK key \(HTTP 401\) for GET http:\/\/127\.0\.0\.1:\d+\/all; .*not recoverable, not retried$/,
    );
    expect((err as Error).message).not.toContain('sdk-revoked-key');
    expect(ld.requestsTo('/all')).toHaveLength(1);
    expect(await store.initialized()).toBe(false);
    expect(await store.syncStatus()).toBeNull();
  });

  it('skips malformed and ill-shaped events by reconnecting; the new put restores a consistent state', async () => {
    const { said, logger } = captureLogger();
    const { target, inits } = observed(store);
    const session = start({ store: target, logger });
    await until(() => inits.length === 1, 'the first put');

    ld.sendRaw('patch', '{"path":"/flags/dark-mode","data":{"key":"dark-mode","version":9,');
    await until(() => inits.length === 2, 'the put after the malformed event');
    ld.sendRaw('delete', '{"path":"/flags/dark-mode","version":"no"}');
    await until(() => inits.length === 3, 'the put after the ill-shaped event');
    ld.sendRaw('reconnect', '{}'); // unknown event names are ignored, not a reason to reconnect
    ld.sendPatch('features', { ...data.flags['search-v2']!, version: 2 });
    await until(async () => (await store.get('features', 'search-v2'))?.version === 2, 'the patch after the bad events');

    controller.abort();
    const report = await session;
    expect(report).toMatchObject({ reconnects: 2, events: 4, endedBy: 'signal' });
    expect(inits.slice(1).every((s) => s.written === 0 && s.unchanged === ITEMS)).toBe(true);
    expect(await store.get('features', 'dark-mode')).toMatchObject({ version: 3 });
    expect(said().filter((l) => /dropping the connection and reconnecting/.test(l))).toHaveLength(2);
    expect(said().some((l) => l.startsWith('warn: stream: patch event: data is not valid JSON'))).toBe(true);
    expect(said().some((l) => l.startsWith('warn: stream: delete event: "version" must be a non-negative integer, got "no"'))).toBe(true);
  });

  it('goes on past a flag the store rejects, but ends in that error and records no freshness unless a later put is whole', async () => {
    const bad = structuredClone(data);
    bad.flags['broken'] = { key: 'broken', version: -1 };
    ld.setData(bad);
    const { said, logger } = captureLogger();
    let session = start({ logger });
    await until(async () => (await store.get('features', 'dark-mode')) !== null, 'the good items of the put');
    ld.sendPatch('features', { ...data.flags['dark-mode']!, version: 10 });
    await until(async () => (await store.get('features', 'dark-mode'))?.version === 10, 'the patch after the partial put');
    controller.abort();
    const err = await session.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartialInitError);
    expect((err as Error).message).toMatch(/Invalid flag "broken"/);
    expect(said().some((l) => l.startsWith('error: stream: Init stored every valid item but rejected 1'))).toBe(true);
    expect(await store.syncStatus()).toBeNull();

    // The next session's put is whole again: it succeeds and records freshness.
    ld.setData(data);
    controller = new AbortController();
    const progress: SyncProgress[] = [];
    session = start({ onProgress: (p) => progress.push(p) });
    await until(() => progress.at(-1)?.events === 1, 'the clean put');
    controller.abort();
    await expect(session).resolves.toMatchObject({ events: 1, endedBy: 'signal' });
    expect((await store.syncStatus())?.source).toBe('stream');
  });

  it('fails with NoDataError when the session ends before LaunchDarkly sent anything', async () => {
    ld.setFailure(503);
    const err = await start({ durationMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoDataError);
    expect((err as Error).message).toMatch(
      /^stream: the session ended \(duration elapsed\) before LaunchDarkly sent any data, after \d+ reconnect\(s\); nothing was synced$/,
    );
    expect(await store.syncStatus()).toBeNull();
  });

  it('takes its stream source as a streamer (a StreamingClient), as runPollSync takes a poller', async () => {
    const streamer = new StreamingClient({ sdkKey: SDK_KEY, streamUri: ld.streamUri, retry: fastRetry });
    const session = runStreamSync({ store, streamer, signal: controller.signal });
    await until(async () => (await store.syncStatus()) !== null, 'the put to be applied through the streamer');
    controller.abort();
    await expect(session).resolves.toMatchObject({ events: 1, endedBy: 'signal' });
    await expect(start({ streamer })).rejects.toThrow(
      "runStreamSync: option 'sdkKey' is the streamer's to hold; give either 'streamer' or the client options",
    );
  });

  it('rejects unknown and invalid options', async () => {
    await expect(start({ duration: 5 } as never)).rejects.toThrow(
      /runStreamSync: Unknown option 'duration'; expected one of store, sdkKey, streamUri/,
    );
    await expect(start({ durationMs: -1 })).rejects.toThrow(
      "runStreamSync: option 'durationMs' must be a positive number of milliseconds, got -1",
    );
  });
});

describe('runStreamSync with a slow or failing DynamoDB', () => {
  let ld: LaunchDarklyServer;
  let proxy: DynamoDBFaultProxy;
  let client: DynamoDBClient;
  const direct = localClient();

  beforeAll(async () => {
    proxy = await startFaultProxy({ target: dynamoEndpoint() });
    client = new DynamoDBClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: localCredentials, maxAttempts: 1 });
  });
  beforeEach(async () => {
    ld = await startLaunchDarklyServer({ sdkKey: SDK_KEY, data });
  });
  afterEach(async () => {
    proxy.setHook(undefined);
    proxy.setRules([]);
    await ld?.close();
  });
  afterAll(async () => {
    client?.destroy();
    direct.destroy();
    await proxy?.close();
  });

  it('when the abort signal arrives mid-write, the write completes, is in the table, and the session then ends', async () => {
    const tableName = await freshTable(direct, 'stream-abort');
    const store = new DynamoDBFlagStore({ tableName, client });
    const reader = new DynamoDBFlagStore({ tableName, client: direct, consistentReads: true });
    const controller = new AbortController();
    const progress: SyncProgress[] = [];
    const session = runStreamSync({
      store,
      sdkKey: SDK_KEY,
      streamUri: ld.streamUri,
      signal: controller.signal,
      retry: fastRetry,
      onProgress: (p) => progress.push(p),
    });
    await until(() => progress.at(-1)?.events === 1, 'the first put');

    // Hold the patch's PutItem inside the proxy: the write is in flight when the signal arrives.
    let arrived!: () => void;
    const held = new Promise<void>((resolve) => (arrived = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    proxy.setHook(async (req) => {
      const item = req.body.Item as { version?: { N?: string } } | undefined;
      if (req.operation === 'PutItem' && item?.version?.N === '42') {
        arrived();
        await released;
      }
    });
    ld.sendPatch('features', { ...data.flags['new-checkout']!, version: 42, on: true });
    await held;
    controller.abort();
    let settled = false;
    void session.then(
      () => (settled = true),
      () => (settled = true),
    );
    // The session must be waiting for the write, not resolved without it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    expect((await reader.get('features', 'new-checkout'))?.version).toBe(7);
    release();

    const report = await session;
    expect(report).toMatchObject({ endedBy: 'signal', events: 2, written: ITEMS + 1 });
    expect(await reader.get('features', 'new-checkout')).toMatchObject({ version: 42, on: true });
    expect((await reader.syncStatus())?.summary).toMatchObject({ events: 2, endedBy: 'signal' });
    await until(() => ld.openStreams() === 0, 'the stream to be closed');
  });

  it('a write that cannot be made ends the session with the store error', async () => {
    const tableName = await freshTable(direct, 'stream-fail');
    const store = new DynamoDBFlagStore({ tableName, client, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    const { said, logger } = captureLogger();
    const progress: SyncProgress[] = [];
    const session = runStreamSync({
      store,
      sdkKey: SDK_KEY,
      streamUri: ld.streamUri,
      retry: fastRetry,
      logger,
      onProgress: (p) => progress.push(p),
    });
    await until(() => progress.at(-1)?.events === 1, 'the first put');
    proxy.setRules([{ fault: 'internal-error', rate: 1, operations: ['PutItem'] }]);
    ld.sendPatch('features', { ...data.flags['dark-mode']!, version: 11 });

    const err = await session.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteFailedError);
    expect((err as Error).message).toMatch(/^1 item\(s\) could not be written to DynamoDB after retries: features\/dark-mode/);
    expect(said().some((l) => /^error: stream: applying patch of flag "dark-mode" version 11 failed \(WriteFailedError/.test(l))).toBe(
      true,
    );
    await until(() => ld.openStreams() === 0, 'the stream to be closed');
    expect((await store.syncStatus())?.summary).toMatchObject({ puts: 1, events: 0 });
  });
});
