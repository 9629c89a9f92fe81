// Child process for the init and re-sync benchmarks: one store (ours or LaunchDarkly's) writes the generated
// environment into an empty table, then re-syncs it with 1% of flags changed, then with nothing changed.
// Each run gets a fresh process so that its memory figures are its own. The parent holds the counting proxy:
// before each phase this process says "ready" and waits for "go", so the parent can reset its counters, and
// after it says "done" with its wall time and memory, so the parent can read the counts and the table.
import { createRequire } from 'node:module';
import { DynamoDBFlagStore } from '../../lib/store/flag-store.js';
import type { FullDataSet } from '../../lib/store/types.js';
import { generateEnvironment, withChangedFlags } from '../../test/support/generate-environment.js';
import { clientConfig } from '../lib/tables.js';

export type Impl = 'ours' | 'peer';
export type InitPhase = 'init' | 'resync-1pct' | 'resync-none';

export interface InitWorkerStart {
  type: 'start';
  impl: Impl;
  tableName: string;
  endpoint: string;
  flags: number;
  seed: number;
  phases: InitPhase[];
  /** Report the peer's logged write errors in its summary instead of failing (the service-limits runs count what it loses). */
  tolerateErrors?: boolean;
}

export interface InitPhaseResult {
  phase: InitPhase;
  wallMs: number;
  /** Highest heapUsed seen during the phase, less heapUsed at its start (after a GC). */
  heapGrowthMB: number;
  /** Highest RSS seen during the phase, less RSS at its start. */
  rssGrowthMB: number;
  /** The process's peak RSS so far (getrusage maxRSS). */
  maxRssMB: number;
  /** CPU time (user + system, every thread) the process used during the phase: what a Lambda's share of a
   * CPU must cover, where DynamoDB Local's speed says nothing. */
  cpuMs: number;
  /** What the store said it did (ours: its InitSummary counts; peer: nothing, it reports nothing). */
  summary?: Record<string, unknown>;
}

export type WorkerMessage =
  | { type: 'ready'; phase: InitPhase }
  | { type: 'done'; result: InitPhaseResult }
  | { type: 'failed'; error: string };

const MB = 1024 * 1024;

/** The data each phase writes: the environment, then 1% of its flags changed, then the same again. */
export function phaseData(env: FullDataSet, phase: InitPhase, seed: number, changed = withChangedFlags(env, 0.01, seed + 1)): FullDataSet {
  return phase === 'init' ? env : changed;
}

type Writer = (data: FullDataSet) => Promise<Record<string, unknown> | undefined>;

function makeWriter(start: InitWorkerStart): Writer {
  const config = clientConfig(start.endpoint);
  if (start.impl === 'ours') {
    const store = new DynamoDBFlagStore({ tableName: start.tableName, clientConfig: config });
    return async (data) => {
      try {
        const s = await store.init(data);
        return { written: s.written, unchanged: s.unchanged, deleted: s.deleted, stale: s.stale };
      } catch (err) {
        if (!start.tolerateErrors) throw err;
        return { failed: (err as Error).message.slice(0, 300) };
      }
    };
  }
  const require = createRequire(import.meta.url);
  const { DynamoDBFeatureStore } = require('launchdarkly-node-server-sdk-dynamodb');
  const errors: string[] = [];
  const logger = { error: (...a: unknown[]) => errors.push(a.join(' ')), warn() {}, info() {}, debug() {} };
  // A writer needs no read cache: cacheTTL 0 spares the peer copying every item into its cache on init.
  const store = DynamoDBFeatureStore(start.tableName, { cacheTTL: 0, clientOptions: config })({ logger });
  return async (data) => {
    await new Promise<void>((resolve) => store.init({ features: data.flags, segments: data.segments }, resolve));
    // LaunchDarkly's init logs a failed write and carries on: here that is a failed run, unless the run
    // counts losses (read back from the table) rather than failing on them.
    const logged = errors.splice(0);
    if (logged.length > 0 && !start.tolerateErrors) throw new Error(`LaunchDarkly's store logged errors: ${logged.slice(0, 3).join('; ')}`);
    return logged.length > 0 ? { loggedErrors: logged.length } : undefined;
  };
}

async function measure(phase: InitPhase, run: () => Promise<Record<string, unknown> | undefined>): Promise<InitPhaseResult> {
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage();
  let heapPeak = base.heapUsed;
  let rssPeak = base.rss;
  const sample = () => {
    const m = process.memoryUsage();
    if (m.heapUsed > heapPeak) heapPeak = m.heapUsed;
    if (m.rss > rssPeak) rssPeak = m.rss;
  };
  const timer = setInterval(sample, 5);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let summary: Record<string, unknown> | undefined;
  try {
    summary = await run();
  } finally {
    clearInterval(timer);
  }
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  sample();
  return {
    phase,
    wallMs,
    heapGrowthMB: (heapPeak - base.heapUsed) / MB,
    rssGrowthMB: (rssPeak - base.rss) / MB,
    maxRssMB: (process.resourceUsage().maxRSS * 1024) / MB,
    cpuMs: (cpu.user + cpu.system) / 1000,
    summary,
  };
}

function next(): Promise<unknown> {
  return new Promise((resolve) => process.once('message', resolve));
}

async function main(): Promise<void> {
  const start = (await next()) as InitWorkerStart;
  const env = generateEnvironment({ flags: start.flags, seed: start.seed });
  const changed = withChangedFlags(env, 0.01, start.seed + 1);
  const write = makeWriter(start);
  for (const phase of start.phases) {
    process.send!({ type: 'ready', phase } satisfies WorkerMessage);
    await next();
    const result = await measure(phase, () => write(phaseData(env, phase, start.seed, changed)));
    process.send!({ type: 'done', result } satisfies WorkerMessage);
  }
  await next();
  process.exit(0);
}

if (process.send) {
  main().catch((err: unknown) => {
    process.send!({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies WorkerMessage, () =>
      process.exit(1),
    );
  });
}
