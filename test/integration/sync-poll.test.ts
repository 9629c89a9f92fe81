// runPollSync and runFileSync against DynamoDB Local and the loopback LaunchDarkly: a full sync, a 304 that
// writes nothing, a change applied as a diff, retries of recoverable failures within a bound, a 401 that
// stops after one attempt, and a store failure that does not leave the next poll stuck on a 304.
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpStatusError, PayloadError } from '../../lib/launchdarkly/errors.js';
import { PollingClient } from '../../lib/launchdarkly/polling.js';
import { DynamoDBFlagStore, WriteFailedError } from '../../lib/store/index.js';
import type { FullDataSet } from '../../lib/store/types.js';
import { runFileSync, runPollSync, type SyncProgress } from '../../lib/sync/index.js';
import { startFaultProxy, type DynamoDBFaultProxy } from '../support/ddb-fault-proxy.js';
import { generateEnvironment, withChangedFlags } from '../support/generate-environment.js';
import { startLaunchDarklyServer, type LaunchDarklyServer } from '../support/ld-server.js';
import { dynamoEndpoint, freshTable, localClient, localCredentials } from '../support/tables.js';

const SDK_KEY = 'sdk-poll-sync-test-7c1d';
const env = generateEnvironment({ flags: 40, seed: 7 });
const ITEMS = Object.keys(env.flags).length + Object.keys(env.segments).length;
const fastRetry = { initialDelayMs: 5, maxDelayMs: 20 };

function writeRequests(store: DynamoDBFlagStore): number {
  const r = store.usage.requests;
  return (r.PutItem ?? 0) + (r.DeleteItem ?? 0) + (r.TransactWriteItems ?? 0) + (r.BatchWriteItem ?? 0) + (r.UpdateItem ?? 0);
}

describe('runPollSync', () => {
  const client = localClient();
  let ld: LaunchDarklyServer;
  let store: DynamoDBFlagStore;
  let poller: PollingClient;

  // A server per test, so each test sees only its own requests.
  beforeEach(async () => {
    ld = await startLaunchDarklyServer({ sdkKey: SDK_KEY, data: env });
    store = new DynamoDBFlagStore({ tableName: await freshTable(client, 'poll'), client });
    poller = new PollingClient({ sdkKey: SDK_KEY, baseUri: ld.baseUri });
  });
  afterEach(async () => {
    await ld?.close();
  });
  afterAll(() => client.destroy());

  it('syncs the full data set, records its freshness, and reports progress', async () => {
    const progress: SyncProgress['phase'][] = [];
    const before = Date.now();
    const started = performance.now();
    const report = await runPollSync({ store, poller, onProgress: (p) => progress.push(p.phase) });
    const took = performance.now() - started;

    expect(report).toMatchObject({ source: 'poll', notModified: false, written: ITEMS, unchanged: 0, deleted: 0, stale: 0 });
    // The reported duration is the sync's own, in whole milliseconds, within the time the call took.
    expect(Number.isInteger(report.durationMs)).toBe(true);
    expect(report.durationMs).toBeLessThanOrEqual(Math.ceil(took));
    expect(progress).toEqual(['fetching', 'writing', 'done']);
    expect(Object.keys(await store.all('features')).sort()).toEqual(Object.keys(env.flags).sort());
    expect(Object.keys(await store.all('segments')).sort()).toEqual(Object.keys(env.segments).sort());
    const someKey = Object.keys(env.flags)[3]!;
    expect(await store.get('features', someKey)).toEqual(env.flags[someKey]);
    expect(await store.initialized()).toBe(true);

    const status = await store.syncStatus();
    expect(status?.source).toBe('poll');
    expect(status!.syncedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(status?.summary).toMatchObject({ notModified: false, written: ITEMS });
    expect(ld.requestsTo('/sdk/latest-all')).toHaveLength(1);
  });

  it('writes nothing when LaunchDarkly answers 304, but still records that the data was confirmed current', async () => {
    await runPollSync({ store, poller });
    const firstStatus = await store.syncStatus();
    const writesBefore = writeRequests(store);
    const putsBefore = store.usage.requests.PutItem ?? 0;

    const report = await runPollSync({ store, poller });

    expect(ld.requestsTo('/sdk/latest-all').at(-1)?.status).toBe(304);
    expect(report).toMatchObject({ source: 'poll', notModified: true, written: 0, unchanged: 0, deleted: 0, stale: 0 });
    // The one write is the freshness item; no flag or segment was touched.
    expect(writeRequests(store) - writesBefore).toBe(1);
    expect((store.usage.requests.PutItem ?? 0) - putsBefore).toBe(1);
    const status = await store.syncStatus();
    expect(status?.summary).toMatchObject({ notModified: true });
    expect(status!.syncedAt.getTime()).toBeGreaterThanOrEqual(firstStatus!.syncedAt.getTime());
  });

  it('applies a changed data set as a diff: only changed flags written, removed ones deleted', async () => {
    await runPollSync({ store, poller });
    const changed = withChangedFlags(env, 0.1, 3);
    const removedKey = Object.keys(changed.flags)[0]!;
    const { [removedKey]: _removed, ...flags } = changed.flags;
    const bumped = Object.keys(env.flags).filter((k) => changed.flags[k] !== env.flags[k] && k !== removedKey).length;
    ld.setData({ flags, segments: changed.segments });

    const report = await runPollSync({ store, poller });

    expect(report).toMatchObject({ notModified: false, written: bumped, deleted: 1, unchanged: ITEMS - 1 - bumped, stale: 0 });
    expect(await store.get('features', removedKey)).toBeNull();
    const someBumped = Object.keys(flags).find((k) => flags[k] !== env.flags[k])!;
    expect((await store.get('features', someBumped))?.version).toBe(env.flags[someBumped]!.version + 1);
  });

  it('retries recoverable failures with backoff, within a bound', async () => {
    ld.failNext(503, 2);
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (m: unknown) => void warnings.push(String(m)), error() {} };
    const report = await runPollSync({ store, poller, retry: fastRetry, logger });
    expect(report.written).toBe(ITEMS);
    expect(ld.requestsTo('/sdk/latest-all').map((r) => r.status)).toEqual([503, 503, 200]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^poll: attempt 1 of 3 failed \(HttpStatusError: LaunchDarkly answered HTTP 503/);

    ld.setFailure(429);
    const before = ld.requestsTo('/sdk/latest-all').length;
    const err = await runPollSync({ store, poller, retry: { ...fastRetry, attempts: 4 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpStatusError);
    expect((err as HttpStatusError).status).toBe(429);
    expect(ld.requestsTo('/sdk/latest-all').length - before).toBe(4);
  });

  it('stops at once on a 401 with a clear error: one attempt, nothing written', async () => {
    const rejected = new PollingClient({ sdkKey: 'sdk-wrong-key', baseUri: ld.baseUri });
    const err = await runPollSync({ store, poller: rejected, retry: fastRetry }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(HttpStatusError);
    expect((err as HttpStatusError).status).toBe(401);
    expect((err as Error).message).toMatch(
      /^LaunchDarkly rejected the SDK key \(HTTP 401\) for GET http:\/\/127\.0\.0\.1:\d+\/sdk\/latest-all; .*not recoverable, not retried$/,
    );
    expect((err as Error).message).not.toContain('sdk-wrong-key');
    expect(ld.requestsTo('/sdk/latest-all')).toHaveLength(1);
    expect(writeRequests(store)).toBe(0);
    expect(await store.syncStatus()).toBeNull();
    expect(await store.initialized()).toBe(false);
  });

  it('rejects a malformed response without retrying it or writing anything', async () => {
    ld.setRawPollBody('{"flags": true}');
    const err = await runPollSync({ store, poller, retry: fastRetry }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadError);
    expect((err as Error).message).toMatch(/\/sdk\/latest-all response: "flags" must be an object mapping keys to items, got true/);
    expect(ld.requestsTo('/sdk/latest-all')).toHaveLength(1);
    expect(writeRequests(store)).toBe(0);
  });

  it('records the source it is given (webhook) and rejects unknown options', async () => {
    await runPollSync({ store, poller, source: 'webhook' });
    expect((await store.syncStatus())?.source).toBe('webhook');
    await expect(runPollSync({ store, poller, retries: 3 } as never)).rejects.toThrow(
      "runPollSync: Unknown option 'retries'; expected one of store, poller, source, signal, retry, logger, onProgress",
    );
    await expect(runPollSync({ store, poller, source: 'file' as never })).rejects.toThrow(
      /option 'source' must be 'poll' or 'webhook', got "file"/,
    );
  });
});

describe('runPollSync when the store fails', () => {
  let ld: LaunchDarklyServer;
  let proxy: DynamoDBFaultProxy;
  let client: DynamoDBClient;
  const direct = localClient();

  beforeAll(async () => {
    ld = await startLaunchDarklyServer({ sdkKey: SDK_KEY, data: env });
    proxy = await startFaultProxy({ target: dynamoEndpoint() });
    // One attempt in the AWS SDK, two in the store: the failure surfaces quickly.
    client = new DynamoDBClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: localCredentials, maxAttempts: 1 });
  });
  afterEach(() => proxy.setRules([]));
  afterAll(async () => {
    client?.destroy();
    direct.destroy();
    await proxy?.close();
    await ld?.close();
  });

  it('fails loudly, records no freshness, and makes the next poll fetch the full data again instead of a 304', async () => {
    const tableName = await freshTable(direct, 'poll-fail');
    const store = new DynamoDBFlagStore({ tableName, client, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    const poller = new PollingClient({ sdkKey: SDK_KEY, baseUri: ld.baseUri });
    proxy.setRules([{ fault: 'internal-error', rate: 1, operations: ['PutItem', 'TransactWriteItems'] }]);

    const err = await runPollSync({ store, poller }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteFailedError);
    expect(await store.syncStatus()).toBeNull();

    proxy.setRules([]);
    const report = await runPollSync({ store, poller });
    expect(ld.requestsTo('/sdk/latest-all').map((r) => r.status)).toEqual([200, 200]);
    expect(report.notModified).toBe(false);
    expect(report.written + report.unchanged).toBe(ITEMS);
    expect(Object.keys(await store.all('features'))).toHaveLength(Object.keys(env.flags).length);
    expect((await store.syncStatus())?.source).toBe('poll');
  });
});

describe('runFileSync', () => {
  const client = localClient();
  afterAll(() => client.destroy());
  const example = path.resolve(import.meta.dirname, '../../examples/environment.json');

  it('syncs a latest-all file, then a second time writes nothing', async () => {
    const store = new DynamoDBFlagStore({ tableName: await freshTable(client, 'file'), client });
    const { default: data } = (await import(example, { with: { type: 'json' } })) as { default: FullDataSet };
    const items = Object.keys(data.flags).length + Object.keys(data.segments).length;

    const first = await runFileSync({ store, path: example });
    expect(first).toMatchObject({ source: 'file', notModified: false, written: items, unchanged: 0, deleted: 0 });
    const second = await runFileSync({ store, path: example });
    expect(second).toMatchObject({ written: 0, unchanged: items, deleted: 0 });
    expect((await store.syncStatus())?.source).toBe('file');
  });

  it('names a missing file', async () => {
    const store = new DynamoDBFlagStore({ tableName: await freshTable(client, 'file'), client });
    await expect(runFileSync({ store, path: '/nonexistent/flags.json' })).rejects.toThrow(
      'Cannot read data file /nonexistent/flags.json: no such file',
    );
    expect(await store.syncStatus()).toBeNull();
  });
});
