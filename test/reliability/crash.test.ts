// Crashes: the sync process (the CLI, `ld-dynamodb-sync sync --source file`) is SIGKILLed when its Nth
// DynamoDB write request reaches the proxy, at 20 points spread over an update of 600 flags and 30 segments
// (and 4 points of a first load into an empty table), then run again. Half the time the Nth request is dropped with the process, half the time it reaches
// DynamoDB and is applied without the process ever hearing back. Every time:
// - after the kill, no item went back to an older version, and a first load never left the `$inited` marker;
// - the re-run converges: the table equals the new data set, item for item;
// - a reader polling the table throughout never saw a flag missing that exists before and after the sync.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBFlagStore, type FullDataSet } from '../../lib/store/index.js';
import { startFaultProxy, type DynamoDBFaultProxy } from '../support/ddb-fault-proxy.js';
import { generateEnvironment } from '../support/generate-environment.js';
import { freshTable, localClient, localClientConfig } from '../support/tables.js';
import { evolve } from './support/data.js';
import { startPoller } from './support/poller.js';
import { record } from './support/report.js';
import { SYNC_COMMAND, startSync } from './support/sync-process.js';
import { compareWith, describeProblems, itemCount, readTable, rolledBack } from './support/table-state.js';

const AREA = 'Crashes';
const UPDATE_KILLS = 20;
const FIRST_LOAD_KILLS = 4;

let client: DynamoDBClient;
let proxy: DynamoDBFaultProxy;
let dir: string;
let tableName: string;
let before: FullDataSet;
let after: FullDataSet;
let beforeFile: string;
let afterFile: string;
let mustStay: Set<string>;
let trial = 0;

beforeAll(async () => {
  client = localClient();
  proxy = await startFaultProxy({ target: localClientConfig().endpoint });
  dir = await mkdtemp(path.join(tmpdir(), 'ld-crash-'));
  tableName = await freshTable(client, 'crash');
  before = generateEnvironment({ flags: 600, segments: 30, seed: 41 });
  after = evolve(before, { changed: 0.3, removed: 0.05, added: 0.05, changedSegments: 0.3, seed: 42 });
  beforeFile = path.join(dir, 'before.json');
  afterFile = path.join(dir, 'after.json');
  await writeFile(beforeFile, JSON.stringify(before));
  await writeFile(afterFile, JSON.stringify(after));
  mustStay = new Set(Object.keys(before.flags).filter((k) => k in after.flags));
});
afterAll(async () => {
  await proxy?.close();
  client?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A fresh prefix of the shared table, holding `data` (written directly, not through the proxy). */
async function preparePrefix(data: FullDataSet | undefined): Promise<string> {
  const prefix = `trial${++trial}`;
  if (data) {
    const store = new DynamoDBFlagStore({ tableName, prefix, client });
    await store.init(data);
    store.close();
  }
  return prefix;
}

/** Runs the sync through the proxy; when `killAt` is set, SIGKILLs it as its killAt-th write request arrives. */
async function runSync(prefix: string, killAt?: number, applyKilledRequest = false) {
  let writes = 0;
  let killed = false;
  const run = startSync({ endpoint: proxy.endpoint, tableName, prefix, file: afterFile });
  proxy.setHook(
    killAt === undefined
      ? undefined
      : (request) => {
          if (!request.write || killed) return;
          if (++writes < killAt) return;
          killed = true;
          run.child.kill('SIGKILL');
          return applyKilledRequest ? 'forward-then-drop' : 'drop';
        },
  );
  try {
    return { ...(await run.done), killed };
  } finally {
    proxy.setHook(undefined);
  }
}

describe('SIGKILL of the sync process mid-init, then a re-run', () => {
  let writeRequests = 0;

  it('calibration: an uninterrupted update converges and counts its write requests', async () => {
    const prefix = await preparePrefix(before);
    proxy.resetStats();
    const result = await runSync(prefix);
    expect(result.code, result.stderr).toBe(0);
    writeRequests = proxy.writeRequests();
    expect(writeRequests).toBeGreaterThan(UPDATE_KILLS);
    expect(describeProblems(compareWith(await readTable(client, tableName, prefix), after))).toBe('none');
  });

  it(`killed at ${UPDATE_KILLS} points of an update: each re-run converges, nothing rolls back, no flag goes missing`, {
    timeout: 600_000,
  }, async ({ task }) => {
    expect(writeRequests, 'calibration ran').toBeGreaterThan(0);
    const points = [
      ...new Set(Array.from({ length: UPDATE_KILLS }, (_, i) => 1 + Math.floor((i * (writeRequests - 1)) / (UPDATE_KILLS - 1)))),
    ];
    let checked = 0;
    let lost = 0;
    let back = 0;
    let kills = 0;
    const failures: string[] = [];
    for (const [i, point] of points.entries()) {
      const prefix = await preparePrefix(before);
      const start = await readTable(client, tableName, prefix);
      const poller = startPoller(client, tableName, prefix, mustStay, 50);
      const applied = i % 2 === 1;
      const crashed = await runSync(prefix, point, applied);
      const mid = await readTable(client, tableName, prefix);
      const rerun = await runSync(prefix);
      const report = await poller.stop();
      const end = await readTable(client, tableName, prefix);
      const comparison = compareWith(end, after);
      const regressions = [...rolledBack(start, mid), ...rolledBack(mid, end), ...report.regressions];
      if (crashed.killed && crashed.signal === 'SIGKILL') kills++;
      else failures.push(`point ${point}: the process was not killed (code ${crashed.code}, signal ${crashed.signal})`);
      if (rerun.code !== 0) failures.push(`point ${point}: the re-run failed: ${rerun.stderr.trim()}`);
      if (describeProblems(comparison) !== 'none')
        failures.push(`point ${point} (${applied ? 'applied' : 'dropped'}): ${describeProblems(comparison)}`);
      if (report.missing.length > 0)
        failures.push(`point ${point}: the reader saw ${report.missing.length} flag(s) missing: ${report.missing.slice(0, 3).join(', ')}`);
      if (regressions.length > 0) failures.push(`point ${point}: versions went down: ${regressions.slice(0, 3).join(', ')}`);
      checked += comparison.checked;
      lost += comparison.missing.length + comparison.different.length + report.missing.length;
      back += regressions.length + comparison.extra.length;
    }
    record(task, {
      area: AREA,
      name: `SIGKILL at ${points.length} points of an update (${writeRequests} write requests), then re-run`,
      injected: kills,
      checked,
      lost,
      rolledBack: back,
      note: `the CLI, ${SYNC_COMMAND}`,
    });
    expect(points.length).toBeGreaterThanOrEqual(20);
    expect(failures).toEqual([]);
  });

  it(`killed at ${FIRST_LOAD_KILLS} points of a first load: no $inited marker until a run completes, then the table converges`, {
    timeout: 300_000,
  }, async ({ task }) => {
    // Count a first load's write requests (segments, then flag levels, then the marker), then kill across them.
    const calibration = await preparePrefix(undefined);
    proxy.resetStats();
    expect((await runSync(calibration)).code).toBe(0);
    const total = proxy.writeRequests();
    const points = [...new Set([0.1, 0.4, 0.7, 0.95].map((f) => Math.max(1, Math.round(total * f))))];
    const failures: string[] = [];
    let checked = 0;
    let lost = 0;
    let kills = 0;
    for (const point of points) {
      const prefix = await preparePrefix(undefined);
      const crashed = await runSync(prefix, point, point % 2 === 0);
      if (crashed.killed) kills++;
      else failures.push(`point ${point}: the process finished before its ${point}th write`);
      const mid = await readTable(client, tableName, prefix);
      // The marker may be there only if the load had written everything first (a kill on the marker's own
      // write, applied by DynamoDB): never over a half-written table.
      if (mid.inited && describeProblems(compareWith(mid, after)) !== 'none') {
        failures.push(
          `point ${point}: the killed first load left the $inited marker over an incomplete table: ${describeProblems(compareWith(mid, after))}`,
        );
      }
      const rerun = await runSync(prefix);
      if (rerun.code !== 0) failures.push(`point ${point}: the re-run failed: ${rerun.stderr.trim()}`);
      const end = await readTable(client, tableName, prefix);
      const comparison = compareWith(end, after);
      if (!end.inited) failures.push(`point ${point}: no $inited marker after the re-run`);
      if (describeProblems(comparison) !== 'none') failures.push(`point ${point}: ${describeProblems(comparison)}`);
      checked += comparison.checked;
      lost += comparison.missing.length + comparison.different.length;
    }
    record(task, {
      area: AREA,
      name: `SIGKILL at ${points.length} points of a first load, then re-run`,
      injected: kills,
      checked,
      lost,
      rolledBack: 0,
      note: `${itemCount(after)} items; $inited only after a complete run`,
    });
    expect(failures).toEqual([]);
  });
});
