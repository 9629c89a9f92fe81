// LaunchDarkly poll faults, end to end: the loopback LaunchDarkly misbehaves while runPollSync writes to
// DynamoDB Local. 5xx storms shorter and longer than the retry bound, 400/408/429 (retried), 401/403/404
// (final: one attempt, a clear error, no retry loop), a stalled server (read timeouts), malformed and
// oversized payloads. Afterwards the table must equal what LaunchDarkly serves, or, when the sync gives up,
// still hold what it held before. Stream faults: launchdarkly-stream-faults.test.ts.
import { randomBytes } from 'node:crypto';
import { expect, it, describe } from 'vitest';
import { HttpStatusError, NetworkError, PayloadError } from '../../lib/launchdarkly/errors.js';
import { PollingClient } from '../../lib/launchdarkly/polling.js';
import { ItemTooLargeError, PartialInitError, type Flag, type FullDataSet } from '../../lib/store/index.js';
import { runPollSync } from '../../lib/sync/index.js';
import type { LaunchDarklyServer } from '../support/ld-server.js';
import { evolve } from './support/data.js';
import {
  AREA,
  client,
  env,
  fastPoll,
  SDK_KEY,
  setup,
  someFlags,
  recordLevel,
  useLaunchDarklyFaults,
} from './support/launchdarkly-faults.js';
import { record } from './support/report.js';
import { compareWith, describeProblems, itemCount, readTable, rolledBack } from './support/table-state.js';

useLaunchDarklyFaults();

describe('poll faults', () => {
  const poller = (server: LaunchDarklyServer, timeoutMs?: number) =>
    new PollingClient({ sdkKey: SDK_KEY, baseUri: server.baseUri, timeoutMs });

  it('a 5xx storm shorter than the retry bound: the poll succeeds and the table is level', async ({ task }) => {
    const { ld, tableName, store } = await setup();
    ld.failNext(503);
    ld.failNext(500);
    await runPollSync({ store, poller: poller(ld), retry: fastPoll });
    const comparison = compareWith(await readTable(client, tableName), env);
    recordLevel(task, 'poll 5xx storm within the retry bound', 2, comparison, `${ld.requestsTo('/sdk/latest-all').length} requests`);
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
    recordLevel(task, 'poll 400/408/429 retried', 3, comparison);
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
    recordLevel(task, 'poll stalled (timeout 300 ms)', 2, comparison, `NetworkError, timedOut`);
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
