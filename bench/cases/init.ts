// Full init and re-sync: each run forks bench/workers/init-worker.ts (a fresh process, so memory figures are
// its own), which writes into an empty table through the counting proxy: the full environment, then the
// environment with 1% of flags changed, then the same again (nothing changed). Ours and LaunchDarkly's
// store alternate run by run. After each phase of a run the tables of both sides are compared: they must
// hold the same items.
import { fork } from 'node:child_process';
import path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FullDataSet } from '../../lib/store/types.js';
import { ServiceLimits } from '../../test/support/ddb-service-limits.js';
import { generateEnvironment, withChangedFlags } from '../../test/support/generate-environment.js';
import { startCountingProxy, type CountingProxy, type Counts } from '../lib/proxy.js';
import { compareTables, dropTable, newTable, readTable, type StoredItem } from '../lib/tables.js';
import type { Impl, InitPhase, InitPhaseResult, InitWorkerStart, WorkerMessage } from '../workers/init-worker.js';

export const initPhases: InitPhase[] = ['init', 'resync-1pct', 'resync-none'];

export interface InitRun extends InitPhaseResult {
  counts: Counts;
}

export interface InitCaseResult {
  size: number;
  runs: Record<Impl, InitRun[][]>;
  /** Per phase: differences between ours and the peer's table after the first run of each (empty = equal). */
  tableDifferences: Partial<Record<InitPhase, string[]>>;
  /** A table ours wrote and kept (the 1%-changed environment), for the consumer benchmark. */
  keptTable?: string;
}

export interface InitCaseOptions {
  admin: DynamoDBClient;
  proxy: CountingProxy;
  repoRoot: string;
  size: number;
  seed: number;
  reps: number;
  impls: Impl[];
  expensiveMs: number;
  log: (line: string) => void;
  /** Keep ours's first table (for the consumer benchmark) instead of dropping it. */
  keepTable?: boolean;
  /** Default: all of initPhases. */
  phases?: InitPhase[];
}

/** Runs one worker through all phases; `between` runs after each phase, before the next starts. */
export async function runInitWorker(
  opts: Pick<InitCaseOptions, 'proxy' | 'repoRoot' | 'seed' | 'phases'> & {
    impl: Impl;
    tableName: string;
    size: number;
    tolerateErrors?: boolean;
  },
  between: (phase: InitPhase) => Promise<void> = async () => {},
): Promise<InitRun[]> {
  const child = fork(path.join(opts.repoRoot, 'bench/workers/init-worker.ts'), [], {
    cwd: opts.repoRoot,
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const messages: WorkerMessage[] = [];
  let wake: (() => void) | undefined;
  child.on('message', (m) => {
    messages.push(m as WorkerMessage);
    wake?.();
  });
  const nextMessage = async (): Promise<WorkerMessage> => {
    while (messages.length === 0) {
      const gone = await Promise.race([new Promise<false>((resolve) => (wake = () => resolve(false))), exited.then(() => true)]);
      if (gone && messages.length === 0) throw new Error(`init worker (${opts.impl}) exited early: ${stderr.trim().slice(0, 2000)}`);
    }
    const m = messages.shift()!;
    if (m.type === 'failed') throw new Error(`init worker (${opts.impl}) failed: ${m.error}`);
    return m;
  };

  const runs: InitRun[] = [];
  try {
    const phases = opts.phases ?? initPhases;
    const start: InitWorkerStart = {
      type: 'start',
      impl: opts.impl,
      tableName: opts.tableName,
      endpoint: opts.proxy.endpoint,
      flags: opts.size,
      seed: opts.seed,
      phases,
      tolerateErrors: opts.tolerateErrors,
    };
    child.send(start);
    for (const phase of phases) {
      const ready = await nextMessage();
      if (ready.type !== 'ready' || ready.phase !== phase)
        throw new Error(`init worker: expected ready for ${phase}, got ${JSON.stringify(ready)}`);
      opts.proxy.reset();
      child.send({ type: 'go' });
      const done = await nextMessage();
      if (done.type !== 'done') throw new Error(`init worker: expected done, got ${JSON.stringify(done)}`);
      runs.push({ ...done.result, counts: opts.proxy.counts() });
      await between(phase);
    }
    child.send({ type: 'exit' });
    await exited;
  } finally {
    if (child.exitCode === null) child.kill();
  }
  return runs;
}

export async function runInitCase(opts: InitCaseOptions): Promise<InitCaseResult> {
  const result: InitCaseResult = { size: opts.size, runs: { ours: [], peer: [] }, tableDifferences: {} };
  const snapshots: Partial<Record<Impl, Partial<Record<InitPhase, Map<string, StoredItem>>>>> = {};
  for (let rep = 0; rep < opts.reps; rep++) {
    // Alternate which side goes first, so neither always gets the warmer DynamoDB Local.
    const order = rep % 2 === 0 ? opts.impls : [...opts.impls].reverse();
    let slowest = 0;
    for (const impl of order) {
      const tableName = await newTable(opts.admin, `${impl}-${opts.size}`);
      const check = rep === 0 && opts.impls.length === 2;
      const runs = await runInitWorker({ ...opts, impl, tableName }, async (phase) => {
        if (!check) return;
        (snapshots[impl] ??= {})[phase] = await readTable(opts.admin, tableName);
        const other = snapshots[impl === 'ours' ? 'peer' : 'ours']?.[phase];
        if (other) {
          const ours = impl === 'ours' ? snapshots[impl]![phase]! : other;
          const peer = impl === 'peer' ? snapshots[impl]![phase]! : other;
          result.tableDifferences[phase] = compareTables(ours, peer);
        }
      });
      result.runs[impl].push(runs);
      const wall = runs.reduce((s, r) => s + r.wallMs, 0);
      slowest = Math.max(slowest, wall);
      opts.log(
        `  init ${opts.size} ${impl} rep ${rep + 1}: ` +
          runs
            .map(
              (r) =>
                `${r.phase} ${Math.round(r.wallMs)} ms ${r.counts.totalRequests} req ${Math.round(r.counts.writeCapacityUnits)} WCU ${Math.round(r.counts.readCapacityUnits)} RCU`,
            )
            .join(' | '),
      );
      if (impl === 'ours' && rep === 0 && opts.keepTable) result.keptTable = tableName;
      else await dropTable(opts.admin, tableName);
    }
    if (slowest > opts.expensiveMs && rep + 1 < opts.reps) {
      opts.log(`  init ${opts.size}: a run took ${Math.round(slowest)} ms; not repeating`);
      break;
    }
  }
  return result;
}

/** One store's full init and 1% re-sync under the service-limits model, with what the table lacks afterwards. */
export interface LimitsRun extends InitRun {
  /** Items of the phase's data set not in the table at their version afterwards (read back directly). */
  missing: number;
}

export interface LimitsCaseResult {
  size: number;
  runs: Partial<Record<Impl, LimitsRun[]>>;
}

/** Items of `data` the table does not hold live at their version. */
function missingItems(data: FullDataSet, table: Map<string, StoredItem>): number {
  let missing = 0;
  for (const [ns, items] of [
    ['features', data.flags],
    ['segments', data.segments],
  ] as const) {
    for (const [key, item] of Object.entries(items)) {
      const row = table.get(`${ns}/${key}`);
      if (!row || row.version !== item.version || !row.item || (JSON.parse(row.item) as { deleted?: boolean }).deleted) missing++;
    }
  }
  return missing;
}

/**
 * Runs each store's full init and 1% re-sync through a proxy playing real DynamoDB's limits (a fresh model per
 * store, so each starts with a new on-demand table's capacity), then reads the table back directly.
 */
export async function runInitUnderLimits(
  opts: Omit<InitCaseOptions, 'proxy' | 'reps' | 'keepTable' | 'phases'> & { dynamoEndpoint: string },
): Promise<LimitsCaseResult> {
  const result: LimitsCaseResult = { size: opts.size, runs: {} };
  const env = generateEnvironment({ flags: opts.size, seed: opts.seed });
  const changed = withChangedFlags(env, 0.01, opts.seed + 1);
  for (const impl of opts.impls) {
    const limits = new ServiceLimits();
    const proxy = await startCountingProxy(opts.dynamoEndpoint, { limits });
    const tableName = await newTable(opts.admin, `limits-${impl}-${opts.size}`);
    const runs: LimitsRun[] = [];
    try {
      const phases: InitPhase[] = ['init', 'resync-1pct'];
      const raw = await runInitWorker({ ...opts, proxy, impl, tableName, phases, tolerateErrors: true }, async (phase) => {
        const table = await readTable(opts.admin, tableName);
        runs.push({ ...({} as InitRun), phase, missing: missingItems(phase === 'init' ? env : changed, table) });
      });
      raw.forEach((r, i) => {
        Object.assign(runs[i]!, r, { missing: runs[i]!.missing });
      });
      result.runs[impl] = runs;
      opts.log(
        `  limits ${opts.size} ${impl}: ` +
          runs
            .map(
              (r) =>
                `${r.phase} ${Math.round(r.wallMs)} ms ${Math.round(r.counts.writeCapacityUnits)} WCU ${r.counts.throttled}/${r.counts.totalRequests} throttled, ${r.counts.unprocessed} unprocessed, ${r.missing} missing`,
            )
            .join(' | '),
      );
    } finally {
      await proxy.close();
      await dropTable(opts.admin, tableName);
    }
  }
  return result;
}
