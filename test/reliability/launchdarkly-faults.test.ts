// LaunchDarkly faults, end to end: the loopback LaunchDarkly misbehaves while the sync core (runPollSync,
// runStreamSync) writes to DynamoDB Local. Connections dropped mid-event, streams the server ends, 5xx
// storms, 400/408/429 (retried), 401/403/404 (final: one attempt, a clear error, no retry loop), a stalled
// server (read timeouts), malformed and oversized payloads. Afterwards the table must equal what LaunchDarkly
// serves, or, when the sync gives up, still hold what it held before: nothing half-applied, nothing lost.
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpStatusError, NetworkError, PayloadError } from '../../lib/launchdarkly/errors.js';
import { PollingClient } from '../../lib/launchdarkly/polling.js';
import { DynamoDBFlagStore, ItemTooLargeError, PartialInitError, type Flag, type FullDataSet } from '../../lib/store/index.js';
import { runPollSync, runStreamSync, type StreamSyncReport } from '../../lib/sync/index.js';
import { generateEnvironment } from '../support/generate-environment.js';
import { startLaunchDarklyServer, type LaunchDarklyServer } from '../support/ld-server.js';
import { freshTable, localClient } from '../support/tables.js';
import { startCuttingProxy } from './support/cutting-proxy.js';
import { evolve } from './support/data.js';
import { record } from './support/report.js';
import { compareWith, describeProblems, itemCount, readTable, rolledBack } from './support/table-state.js';
import { until } from '../support/until.js';

const AREA = 'LaunchDarkly faults';
const SDK_KEY = 'sdk-reliability-0000-1111';
const fastStream = { initialDelayMs: 20, maxDelayMs: 100 };
const fastPoll = { attempts: 3, initialDelayMs: 10, maxDelayMs: 50 };

let client: DynamoDBClient;
let env: FullDataSet;
let ld: LaunchDarklyServer | undefined;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeAll(() => {
  client = localClient();
  env = generateEnvironment({ flags: 300, segments: 15, seed: 71 });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await ld?.close();
  ld = undefined;
});
afterAll(() => client?.destroy());

async function setup(data: FullDataSet = env, preload?: FullDataSet) {
  ld = await startLaunchDarklyServer({ sdkKey: SDK_KEY, data });
  const tableName = await freshTable(client, 'ldfault');
  const store = new DynamoDBFlagStore({ tableName, client });
  if (preload) await store.init(preload);
  cleanups.push(() => store.close());
  return { ld, tableName, store };
}

/** Starts a stream sync; stop() ends it and returns its report (or error). */
function stream(store: DynamoDBFlagStore, streamUri: string, retry: Record<string, number> = fastStream) {
  const controller = new AbortController();
  const logs: string[] = [];
  const logger = { debug() {}, info() {}, warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
  const running = runStreamSync({ store, sdkKey: SDK_KEY, streamUri, signal: controller.signal, retry, logger }).then(
    (report) => ({ report, error: undefined as unknown }),
    (error: unknown) => ({ report: undefined as StreamSyncReport | undefined, error }),
  );
  cleanups.push(() => {
    controller.abort();
    return running;
  });
  return {
    logs,
    running,
    async stop() {
      controller.abort();
      return running;
    },
  };
}

/** Waits until the table equals what the server serves now. */
async function converged(tableName: string, server: LaunchDarklyServer, timeoutMs = 20_000) {
  let last = '';
  await until(
    async () => {
      last = describeProblems(compareWith(await readTable(client, tableName), server.currentData()));
      return last === 'none';
    },
    () => `the table to equal LaunchDarkly's data (last seen: ${last})`,
    timeoutMs,
  );
  return compareWith(await readTable(client, tableName), server.currentData());
}

const bumped = (flag: Flag, by = 1): Flag => ({ ...flag, version: flag.version + by, on: !flag.on });
const someFlags = (n: number) => Object.values(env.flags).slice(0, n);

describe('stream faults', () => {
  it('a connection dropped in the middle of a patch event: nothing half-applied, a fresh put after reconnecting brings the table level', async ({
    task,
  }) => {
    const { ld, tableName, store } = await setup();
    const cutter = await startCuttingProxy(ld.streamUri);
    cleanups.push(() => cutter.close());
    const s = stream(store, cutter.uri);
    await converged(tableName, ld);
    const [a, b] = someFlags(2);
    for (let i = 0; i < 3; i++) {
      const connections = ld.requestsTo('/all').length;
      cutter.armCut('event: patch');
      ld.sendPatch('features', bumped(a!, i + 1));
      await until(() => cutter.cuts === i + 1, 'the cut', 20_000);
      // The patch reaches the table only through the put of the new connection.
      await until(() => ld.requestsTo('/all').length > connections, 'a reconnect', 20_000);
      await converged(tableName, ld);
    }
    ld.sendPatch('features', bumped(b!));
    const comparison = await converged(tableName, ld);
    const { report, error } = await s.stop();
    record(task, {
      area: AREA,
      name: 'stream dropped mid-event (3 times)',
      injected: cutter.cuts,
      checked: comparison.checked,
      lost: comparison.missing.length,
      rolledBack: 0,
      note: `${report?.reconnects} reconnects`,
    });
    expect(error).toBeUndefined();
    expect(report!.reconnects).toBeGreaterThanOrEqual(3);
  });

  it('the server ends the stream three times: each time it reconnects, and patches sent in between are not lost', async ({ task }) => {
    const { ld, tableName, store } = await setup();
    const s = stream(store, ld.streamUri);
    await converged(tableName, ld);
    for (const [i, flag] of someFlags(3).entries()) {
      ld.endStreams();
      // Changed while no stream is open: only the put on reconnect carries it.
      ld.setData({ ...ld.currentData(), flags: { ...ld.currentData().flags, [flag.key]: bumped(flag) } });
      await until(() => ld.requestsTo('/all').length >= i + 2, 'a reconnect', 20_000);
      await ld.waitForStreams(1);
    }
    ld.sendPatch('features', bumped(someFlags(4)[3]!));
    const comparison = await converged(tableName, ld);
    const { report, error } = await s.stop();
    record(task, {
      area: AREA,
      name: 'server ends the stream (3 times)',
      injected: 3,
      checked: comparison.checked,
      lost: comparison.missing.length,
      rolledBack: 0,
      note: `${report?.reconnects} reconnects`,
    });
    expect(error).toBeUndefined();
    expect(report!.reconnects).toBeGreaterThanOrEqual(3);
  });

  it('a 5xx storm on connecting and again mid-session: retried with backoff until the stream opens, then level', async ({ task }) => {
    const { ld, tableName, store } = await setup();
    ld.failNext(503, 3);
    ld.failNext(500, 2);
    ld.failNext(502, 1);
    const s = stream(store, ld.streamUri);
    await converged(tableName, ld);
    ld.failNext(503, 4);
    ld.dropStreams();
    ld.setData(evolve(ld.currentData(), { seed: 72 }));
    const comparison = await converged(tableName, ld);
    const { error } = await s.stop();
    const attempts = ld.requestsTo('/all').length;
    record(task, {
      area: AREA,
      name: 'stream 5xx storm (10 failed connects)',
      injected: 10,
      checked: comparison.checked,
      lost: comparison.missing.length,
      rolledBack: 0,
      note: `${attempts} connection attempts`,
    });
    expect(error).toBeUndefined();
    expect(attempts).toBe(12);
  });

  it('400, 408 and 429 on connecting are retried', async ({ task }) => {
    const { ld, tableName, store } = await setup();
    for (const status of [400, 408, 429]) ld.failNext(status);
    const s = stream(store, ld.streamUri);
    const comparison = await converged(tableName, ld);
    const { error } = await s.stop();
    record(task, {
      area: AREA,
      name: 'stream 400/408/429 retried',
      injected: 3,
      checked: comparison.checked,
      lost: comparison.missing.length,
      rolledBack: 0,
      note: `${ld.requestsTo('/all').length} connection attempts`,
    });
    expect(error).toBeUndefined();
    expect(ld.requestsTo('/all').map((r) => r.status)).toEqual([400, 408, 429, 200]);
  });

  for (const status of [401, 403, 404]) {
    it(`${status} ends the session after one attempt with a clear error; the table is untouched`, async ({ task }) => {
      const older = evolve(env, { seed: 73, changed: 0.1 });
      const { ld, tableName, store } = await setup(env, older);
      const before = await readTable(client, tableName);
      ld.setFailure(status);
      const s = stream(store, ld.streamUri);
      const { error } = await s.running;
      // Give a retry loop, if there were one, time to show itself.
      await new Promise((r) => setTimeout(r, 300));
      const after = await readTable(client, tableName);
      const comparison = compareWith(after, older);
      record(task, {
        area: AREA,
        name: `stream ${status}: stop, no retry loop`,
        injected: 1,
        checked: comparison.checked,
        lost: comparison.missing.length,
        rolledBack: rolledBack(before, after).length,
        note: `${ld.requestsTo('/all').length} connection attempt(s)`,
      });
      expect(error).toBeInstanceOf(HttpStatusError);
      expect(error).toMatchObject({ status, recoverable: false });
      expect((error as Error).message).toContain(`HTTP ${status}`);
      expect((error as Error).message).not.toContain(SDK_KEY);
      expect(ld.requestsTo('/all')).toHaveLength(1);
      expect(describeProblems(comparison)).toBe('none');
    });
  }

  it('a stalled server: the read timeout drops the silent stream, and the held reconnect catches up once it answers', async ({ task }) => {
    const { ld, tableName, store } = await setup();
    const s = stream(store, ld.streamUri, { ...fastStream, readTimeoutMs: 400 });
    await converged(tableName, ld);
    ld.stall(true);
    ld.setData(evolve(ld.currentData(), { seed: 74 }));
    await until(() => ld.requestsTo('/all').length >= 2, 'a reconnect attempt while stalled', 20_000);
    ld.stall(false);
    const comparison = await converged(tableName, ld);
    const { report, error } = await s.stop();
    record(task, {
      area: AREA,
      name: 'stream stalled (read timeout 400 ms)',
      injected: 1,
      checked: comparison.checked,
      lost: comparison.missing.length,
      rolledBack: 0,
      note: `${report?.reconnects} reconnects`,
    });
    expect(error).toBeUndefined();
    expect(report!.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('malformed and ill-shaped events drop the connection; nothing from them is written and a fresh put brings the table level', async ({
    task,
  }) => {
    const { ld, tableName, store } = await setup();
    const s = stream(store, ld.streamUri);
    await converged(tableName, ld);
    const bad: [string, string][] = [
      ['put', '{"path":"/","data":{"flags":'],
      ['put', '{"path":"/","data":{"flags":true}}'],
      ['patch', 'not json at all'],
      ['patch', '{"path":"/flags/poison","data":true}'],
      ['patch', '{"path":"/flags/poison","data":{"key":"other","version":3}}'],
      ['patch', '{"path":"/flags/poison","data":{"key":"poison","version":"3"}}'],
      ['delete', '{"path":"/flags/poison","version":"no"}'],
    ];
    for (const [i, [name, data]] of bad.entries()) {
      await ld.waitForStreams(1);
      const connections = ld.requestsTo('/all').length;
      ld.sendRaw(name, data);
      await until(() => ld.requestsTo('/all').length > connections, `a reconnect after bad event ${i}`, 20_000);
    }
    await ld.waitForStreams(1);
    ld.sendRaw('unknown-event', '{"whatever":true}');
    ld.sendPatch('features', bumped(someFlags(1)[0]!));
    const comparison = await converged(tableName, ld);
    const state = await readTable(client, tableName);
    const { error } = await s.stop();
    record(task, {
      area: AREA,
      name: 'stream malformed/ill-shaped events',
      injected: bad.length,
      checked: comparison.checked,
      lost: comparison.missing.length,
      rolledBack: 0,
      note: `${ld.requestsTo('/all').length - 1} reconnects`,
    });
    expect(error).toBeUndefined();
    expect(state.features.has('poison')).toBe(false);
    expect(state.features.has('other')).toBe(false);
  });

  it('an oversized patch is rejected by name while the session goes on; a 14 MB put of 10,000 flags arrives whole', async ({ task }) => {
    const big = generateEnvironment({ flags: 10_000, segments: 500, seed: 75 });
    const { ld, tableName, store } = await setup(big);
    const s = stream(store, ld.streamUri);
    const comparison = await converged(tableName, ld, 120_000);
    const victim = Object.values(big.flags)[0]!;
    const huge: Flag = { ...victim, version: victim.version + 1, variations: [randomBytes(600_000).toString('hex'), 'b'] };
    ld.sendPatch('features', huge);
    const next = bumped(Object.values(big.flags)[1]!);
    ld.sendPatch('features', next);
    await until(async () => (await store.get('features', next.key))?.version === next.version, 'the patch after the oversized one', 20_000);
    const state = await readTable(client, tableName);
    const { error } = await s.stop();
    record(task, {
      area: AREA,
      name: 'stream: 14 MB put, then a 1.2 MB patch',
      injected: 2,
      checked: comparison.checked + 2,
      lost: comparison.missing.length + (state.features.get(next.key)?.version === next.version ? 0 : 1),
      rolledBack: state.features.get(victim.key)!.version < victim.version ? 1 : 0,
      note: `session ended with ${(error as Error)?.name}`,
    });
    expect(state.features.get(victim.key)?.version).toBe(victim.version);
    expect(error).toBeInstanceOf(ItemTooLargeError);
    expect((error as Error).message).toContain(victim.key);
  });
});

describe('poll faults', () => {
  const poller = (server: LaunchDarklyServer, timeoutMs?: number) =>
    new PollingClient({ sdkKey: SDK_KEY, baseUri: server.baseUri, timeoutMs });

  it('a 5xx storm shorter than the retry bound: the poll succeeds and the table is level', async ({ task }) => {
    const { ld, tableName, store } = await setup();
    ld.failNext(503);
    ld.failNext(500);
    await runPollSync({ store, poller: poller(ld), retry: fastPoll });
    const comparison = compareWith(await readTable(client, tableName), env);
    record(task, {
      area: AREA,
      name: 'poll 5xx storm within the retry bound',
      injected: 2,
      checked: comparison.checked,
      lost: comparison.missing.length,
      rolledBack: 0,
      note: `${ld.requestsTo('/sdk/latest-all').length} requests`,
    });
    expect(describeProblems(comparison)).toBe('none');
    expect(ld.requestsTo('/sdk/latest-all')).toHaveLength(3);
  });

  it('a 5xx storm longer than the retry bound: the poll fails loudly after its attempts, the table keeps what it had', async ({ task }) => {
    const older = evolve(env, { seed: 76 });
    const { ld, tableName, store } = await setup(evolve(older, { seed: 77 }), older);
    const before = await readTable(client, tableName);
    ld.setFailure(500);
    const error = await runPollSync({ store, poller: poller(ld), retry: fastPoll }).catch((e: unknown) => e);
    const after = await readTable(client, tableName);
    const comparison = compareWith(after, older);
    record(task, {
      area: AREA,
      name: 'poll 5xx storm past the retry bound',
      injected: ld.requestsTo('/sdk/latest-all').length,
      checked: comparison.checked,
      lost: comparison.missing.length,
      rolledBack: rolledBack(before, after).length,
      note: (error as Error).name,
    });
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error).toMatchObject({ status: 500, recoverable: true });
    expect(ld.requestsTo('/sdk/latest-all')).toHaveLength(3);
    expect(describeProblems(comparison)).toBe('none');
    expect(await store.syncStatus()).toBeNull();
  });

  it('400, 408 and 429 are retried', async ({ task }) => {
    const { ld, tableName, store } = await setup();
    for (const status of [400, 408, 429]) ld.failNext(status);
    await runPollSync({ store, poller: poller(ld), retry: { ...fastPoll, attempts: 4 } });
    const comparison = compareWith(await readTable(client, tableName), env);
    record(task, {
      area: AREA,
      name: 'poll 400/408/429 retried',
      injected: 3,
      checked: comparison.checked,
      lost: comparison.missing.length,
      rolledBack: 0,
    });
    expect(ld.requestsTo('/sdk/latest-all').map((r) => r.status)).toEqual([400, 408, 429, 200]);
    expect(describeProblems(comparison)).toBe('none');
  });

  for (const status of [401, 403, 404]) {
    it(`${status} stops at once with a clear error and no retry; nothing is written`, async ({ task }) => {
      const { ld, tableName, store } = await setup();
      ld.setFailure(status);
      const error = await runPollSync({ store, poller: poller(ld), retry: { ...fastPoll, attempts: 5 } }).catch((e: unknown) => e);
      const state = await readTable(client, tableName);
      record(task, {
        area: AREA,
        name: `poll ${status}: stop, no retry loop`,
        injected: 1,
        checked: 0,
        lost: 0,
        rolledBack: 0,
        note: `${ld.requestsTo('/sdk/latest-all').length} request(s)`,
      });
      expect(error).toBeInstanceOf(HttpStatusError);
      expect(error).toMatchObject({ status, recoverable: false });
      expect((error as Error).message).toMatch(status === 404 ? /HTTP 404/ : /rejected the SDK key/);
      expect((error as Error).message).not.toContain(SDK_KEY);
      expect(ld.requestsTo('/sdk/latest-all')).toHaveLength(1);
      expect(state.features.size + state.segments.size).toBe(0);
      expect(await store.syncStatus()).toBeNull();
    });
  }

  it('a stalled server: each request times out, the poll fails with a NetworkError after its attempts, and the next poll works', async ({
    task,
  }) => {
    const { ld, tableName, store } = await setup();
    ld.stall(true);
    const error = await runPollSync({ store, poller: poller(ld, 300), retry: { ...fastPoll, attempts: 2 } }).catch((e: unknown) => e);
    ld.stall(false);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ timedOut: true });
    expect((await readTable(client, tableName)).features.size).toBe(0);
    await runPollSync({ store, poller: poller(ld, 5_000), retry: fastPoll });
    const comparison = compareWith(await readTable(client, tableName), env);
    record(task, {
      area: AREA,
      name: 'poll stalled (timeout 300 ms)',
      injected: 2,
      checked: comparison.checked,
      lost: comparison.missing.length,
      rolledBack: 0,
      note: `NetworkError, timedOut`,
    });
    expect(describeProblems(comparison)).toBe('none');
  });

  it('malformed and ill-shaped bodies fail the poll with a PayloadError and touch nothing (a body without "flags" deletes no flag)', async ({
    task,
  }) => {
    const { ld, tableName, store } = await setup(env, env);
    const before = await readTable(client, tableName);
    const bodies = [
      '{"flags":{"a":',
      'null',
      '[]',
      '{"flags":[],"segments":{}}',
      '{"segments":{}}',
      '{"flags":{"a":true}}',
      '<html>502 Bad Gateway</html>',
    ];
    const wrong: string[] = [];
    const p = poller(ld);
    for (const body of bodies) {
      ld.setRawPollBody(body);
      const error = await runPollSync({ store, poller: p, retry: fastPoll }).catch((e: unknown) => e);
      if (!(error instanceof PayloadError)) wrong.push(`${body}: ${(error as Error)?.name ?? 'accepted'}`);
    }
    ld.setRawPollBody(null);
    const after = await readTable(client, tableName);
    const comparison = compareWith(after, env);
    // The ETag of a rejected body is not kept: the next poll gets the data, not a 304.
    ld.setData(evolve(env, { seed: 78 }));
    await runPollSync({ store, poller: p, retry: fastPoll });
    const level = compareWith(await readTable(client, tableName), ld.currentData());
    record(task, {
      area: AREA,
      name: 'poll malformed/ill-shaped bodies',
      injected: bodies.length,
      checked: comparison.checked + level.checked,
      lost: comparison.missing.length + level.missing.length,
      rolledBack: rolledBack(before, after).length,
    });
    expect(wrong).toEqual([]);
    expect(describeProblems(comparison)).toBe('none');
    expect(describeProblems(level)).toBe('none');
  });

  it('oversized items in a poll: the one too large even compressed is rejected by name, one over 400 KB is stored compressed, the rest is written', async ({
    task,
  }) => {
    const [a, b] = someFlags(2);
    const tooLarge: Flag = { ...a!, version: a!.version + 1, variations: [randomBytes(600_000).toString('hex'), 'x'] };
    const compressible: Flag = { ...b!, version: b!.version + 1, variations: ['y'.repeat(900_000), 'x'] };
    const data: FullDataSet = { flags: { ...env.flags, [a!.key]: tooLarge, [b!.key]: compressible }, segments: env.segments };
    const { ld, tableName, store } = await setup(data);
    const error = await runPollSync({ store, poller: poller(ld), retry: fastPoll }).catch((e: unknown) => e);
    const state = await readTable(client, tableName);
    const comparison = compareWith(state, data, { skip: new Set([`features/${a!.key}`]) });
    record(task, {
      area: AREA,
      name: 'poll with a 1.2 MB and a 900 KB flag',
      injected: 2,
      checked: comparison.checked,
      lost: comparison.missing.length + comparison.different.length,
      rolledBack: 0,
      note: (error as Error)?.name,
    });
    expect(error).toBeInstanceOf(PartialInitError);
    const problems = (error as PartialInitError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBeInstanceOf(ItemTooLargeError);
    expect(problems[0]!.message).toContain(a!.key);
    expect(describeProblems(comparison)).toBe('none');
    expect(state.features.has(a!.key)).toBe(false);
    expect(await store.get('features', b!.key)).toEqual(compressible);
    expect(itemCount(data) - 1).toBe(comparison.checked);
  });
});
