// Consumer cold path: a fresh Node process per run imports a bundled consumer Lambda (ours: SDK v9 with
// ReadOnlyFeatureStore; LaunchDarkly's: SDK v7 with its DynamoDB store, default cache TTL) and evaluates,
// in daemon mode, 1 flag, 5 flags (a prerequisite and a segment match among them) concurrently and one after
// another, or allFlagsState; then a warm loop. Requests are counted by the parent's proxy, by comparing its
// log with the timestamps the child reports.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { FullDataSet } from '../../lib/store/types.js';
import { generateContexts } from '../../test/support/generate-environment.js';
import type { CpuCap } from '../lib/cpu-cap.js';
import { epochNow, type Counts, type CountingProxy, type Exchange } from '../lib/proxy.js';
import { localCredentials } from '../lib/tables.js';
import type { Impl } from '../workers/init-worker.js';

export type Scenario = 'one' | 'five-concurrent' | 'five-sequential' | 'first-then-five' | 'all' | 'load';
/** The scenarios the per-size benchmark runs ('load' is the Lambda-sizes floor, run by bench/cases/lambda-sizes.ts). */
export const scenarios: Scenario[] = ['one', 'five-concurrent', 'five-sequential', 'first-then-five', 'all'];

export interface ConsumerRun {
  /** From spawning the process to the first evaluation's result. */
  processStartToFirstMs: number;
  /** CPU time (user + system, all threads) the process used from its start to the first evaluation's result:
   * under a CPU cap the steadiest figure, since waiting on the network and a busy machine add none. */
  cpuToFirstMs?: number;
  /** From the SDK client's creation (at module load) to the first evaluation's result. */
  clientInitToFirstMs: number;
  /** Loading the bundle: from the driver's first line to the end of the import. */
  importMs: number;
  requestsBeforeFirst: Counts;
  /** 'first-then-five': from spawning to the last of the five flags after the first. */
  processStartToFiveMs?: number;
  /** Requests from process start to the end of the scenario's first pass (the five flags, for 'first-then-five'). */
  requestsFirstPass: Counts;
  /** Rounds of requests in that span: a request that starts after every earlier one ended starts a new wave. */
  wavesFirstPass: number;
  /** Requests after the first evaluation: the same evaluations again and the warm loop, all within the TTL. */
  requestsAfterFirst: number;
  warmEvalsPerSecond?: number;
  values: Record<string, unknown>;
  allCount?: number;
}

export interface Picked {
  one: string[];
  five: string[];
  context: unknown;
  contexts: unknown[];
}

function hasSegmentRule(flag: Record<string, unknown>): boolean {
  const rules = (flag.rules ?? []) as { clauses?: { op?: string }[] }[];
  return rules.some((r) => (r.clauses ?? []).some((c) => c.op === 'segmentMatch'));
}

/**
 * The flags evaluated: 1 plain flag; and 5 flags among which one has a prerequisite and one's first rule
 * is a segment match (so evaluating it reads the segment), the rest plain. All are on, so rules are reached.
 */
export function pickFlags(data: FullDataSet, seed: number): Picked {
  const flags = Object.values(data.flags) as Record<string, unknown>[];
  const on = flags.filter((f) => f.on === true);
  const plain = on.filter((f) => ((f.prerequisites as unknown[]) ?? []).length === 0 && !hasSegmentRule(f));
  const withPrereq = on.find((f) => ((f.prerequisites as unknown[]) ?? []).length > 0);
  const withSegment = on.find((f) => {
    const first = ((f.rules ?? []) as { clauses?: { op?: string }[] }[])[0];
    return first?.clauses?.[0]?.op === 'segmentMatch' && ((f.prerequisites as unknown[]) ?? []).length === 0;
  });
  if (plain.length < 3 || !withPrereq || !withSegment)
    throw new Error('the generated environment lacks plain, prerequisite or segment-matching flags to evaluate');
  const five = [withPrereq, withSegment, ...plain.slice(0, 3)].map((f) => f.key as string);
  const contexts = generateContexts(100, seed);
  return { one: [plain[0]!.key as string], five, context: contexts[0], contexts };
}

export interface ConsumerSpec {
  impl: Impl;
  scenario: Scenario;
  bundle: string;
  tableName: string;
  picked: Picked;
  warm: number;
  /** Run the process under this CPU cap (bench/lib/cpu-cap.ts). */
  cap?: CpuCap;
}

/** Rounds of requests: a request that starts after every earlier one has ended opens a new round. */
export function countWaves(log: Exchange[]): number {
  let waves = 0;
  let lastEnd = -Infinity;
  for (const e of [...log].sort((a, b) => a.startedAt - b.startedAt)) {
    if (e.startedAt > lastEnd) waves++;
    lastEnd = Math.max(lastEnd, e.endedAt);
  }
  return waves;
}

export async function runConsumer(proxy: CountingProxy, repoRoot: string, spec: ConsumerSpec): Promise<ConsumerRun> {
  const flags =
    spec.scenario === 'one'
      ? spec.picked.one
      : spec.scenario === 'first-then-five'
        ? [...spec.picked.one, ...spec.picked.five]
        : spec.picked.five;
  const arg = JSON.stringify({
    bundle: spec.bundle,
    scenario: spec.scenario,
    flags,
    context: spec.picked.context,
    contexts: spec.picked.contexts,
    warm: spec.scenario === 'five-concurrent' ? spec.warm : 0,
  });
  // A Lambda-like environment: only what the function needs, credentials from the environment, and no
  // instance metadata service to fall back on.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    TABLE_NAME: spec.tableName,
    DYNAMODB_ENDPOINT: proxy.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
  };
  proxy.reset();
  const spawnedAt = epochNow();
  const plain = { command: process.execPath, args: [path.join(repoRoot, 'bench/consumer/driver.mjs'), arg] };
  // Under a CPU cap (Lambda sizes) the child moves itself into the cgroup before Node starts.
  const { command, args } = spec.cap ? spec.cap.wrap(plain.command, plain.args) : plain;
  const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`consumer ${spec.impl}/${spec.scenario} exited with ${code}: ${stderr.trim().slice(0, 2000)}`);
  if (stderr.trim()) throw new Error(`consumer ${spec.impl}/${spec.scenario} logged errors: ${stderr.trim().slice(0, 2000)}`);
  const out = JSON.parse(stdout.trim().split('\n').pop()!) as {
    startedAt: number;
    initStartedAt: number;
    importedAt: number;
    firstAt: number;
    firstCpuMs?: number;
    secondAt: number;
    fiveAt?: number;
    endedAt: number;
    values: Record<string, unknown>;
    allCount?: number;
    warm?: { count: number; ms: number };
  };
  return {
    processStartToFirstMs: out.firstAt - spawnedAt,
    cpuToFirstMs: out.firstCpuMs,
    clientInitToFirstMs: out.firstAt - out.initStartedAt,
    importMs: out.importedAt - out.startedAt,
    requestsBeforeFirst: proxy.counts((e) => e.startedAt <= out.firstAt),
    requestsAfterFirst: proxy.counts((e) => e.startedAt > out.firstAt).totalRequests,
    processStartToFiveMs: out.fiveAt === undefined ? undefined : out.fiveAt - spawnedAt,
    requestsFirstPass: proxy.counts((e) => e.startedAt <= (out.fiveAt ?? out.firstAt)),
    wavesFirstPass: countWaves(proxy.log.filter((e) => e.startedAt <= (out.fiveAt ?? out.firstAt))),
    warmEvalsPerSecond: out.warm ? out.warm.count / (out.warm.ms / 1000) : undefined,
    values: out.values,
    allCount: out.allCount,
  };
}

/** Ours and the peer must evaluate the same flags to the same values. */
export function sameValues(a: ConsumerRun, b: ConsumerRun): boolean {
  return isDeepStrictEqual(a.values, b.values) && a.allCount === b.allCount;
}
