// LaunchDarkly stream faults, end to end: the loopback LaunchDarkly misbehaves while runStreamSync writes to
// DynamoDB Local. Connections dropped mid-event, streams the server ends, 5xx storms, 400/408/429 (retried),
// 401/403/404 (final: no retry loop), a stalled server (read timeouts), malformed and oversized events.
// Afterwards the table must equal what LaunchDarkly serves: nothing half-applied, nothing lost. Poll faults:
// launchdarkly-poll-faults.test.ts.
import { randomBytes } from 'node:crypto';
import { expect, it, describe } from 'vitest';
import { HttpStatusError } from '../../lib/launchdarkly/errors.js';
import { ItemTooLargeError, type Flag } from '../../lib/store/index.js';
import { generateEnvironment } from '../support/generate-environment.js';
import { startCuttingProxy } from './support/cutting-proxy.js';
import { evolve } from './support/data.js';
import {
  AREA,
  cleanups,
  bumped,
  client,
  converged,
  env,
  fastStream,
  SDK_KEY,
  setup,
  someFlags,
  stream,
  recordLevel,
  useLaunchDarklyFaults,
} from './support/launchdarkly-faults.js';
import { record } from './support/report.js';
import { compareWith, describeProblems, readTable, rolledBack } from './support/table-state.js';
import { until } from '../support/until.js';

useLaunchDarklyFaults();

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
    recordLevel(task, 'stream dropped mid-event (3 times)', cutter.cuts, comparison, `${report?.reconnects} reconnects`);
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
    recordLevel(task, 'server ends the stream (3 times)', 3, comparison, `${report?.reconnects} reconnects`);
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
    recordLevel(task, 'stream 5xx storm (10 failed connects)', 10, comparison, `${attempts} connection attempts`);
    expect(error).toBeUndefined();
    expect(attempts).toBe(12);
  });

  it('400, 408 and 429 on connecting are retried', async ({ task }) => {
    const { ld, tableName, store } = await setup();
    for (const status of [400, 408, 429]) ld.failNext(status);
    const s = stream(store, ld.streamUri);
    const comparison = await converged(tableName, ld);
    const { error } = await s.stop();
    recordLevel(task, 'stream 400/408/429 retried', 3, comparison, `${ld.requestsTo('/all').length} connection attempts`);
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
    recordLevel(task, 'stream stalled (read timeout 400 ms)', 1, comparison, `${report?.reconnects} reconnects`);
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
    recordLevel(task, 'stream malformed/ill-shaped events', bad.length, comparison, `${ld.requestsTo('/all').length - 1} reconnects`);
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
