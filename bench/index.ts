// The benchmark suite: our store and reader against LaunchDarkly's DynamoDB store (launchdarkly-node-server-sdk-
// dynamodb@4 under launchdarkly-node-server-sdk@7), same generated environment, same table layout, same
// DynamoDB Local and counting proxy, alternating runs. `npm run bench` (bench/run.ts) runs it at full size;
// test/bench/bench.test.ts runs the same code small inside `npm test`.
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { generateEnvironment, withChangedFlags } from '../test/support/generate-environment.js';
import { buildBundles, type Bundles } from './cases/bundle.js';
import { pickFlags, runConsumer, sameValues, scenarios, type ConsumerRun, type Scenario } from './cases/consumer.js';
import { buildFloorBundle, lambdaFigures, lambdaTargets, runLambdaSizesCase, type LambdaSizesResult } from './cases/lambda-sizes.js';
import {
  initPhases,
  runInitCase,
  runInitUnderLimits,
  runInitWorker,
  type InitCaseResult,
  type InitRun,
  type LimitsCaseResult,
} from './cases/init.js';
import { limitsFigures, limitsTargets } from './cases/limits-report.js';
import { runStreamCase, type StreamRun } from './cases/stream.js';
import type { BenchConfig } from './lib/config.js';
import { checkUnsignedBodiesAccepted, startCountingProxy } from './lib/proxy.js';
import { figure, type Figure } from './lib/report.js';
import { median } from './lib/stats.js';
import { clientConfig, dropTable, newTable } from './lib/tables.js';
import type { Impl, InitPhase } from './workers/init-worker.js';

export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface Target {
  name: string;
  /** null when the run did not measure it (e.g. a size left out). */
  met: boolean | null;
  detail: string;
}

type ConsumerRuns = Partial<Record<Scenario, Partial<Record<Impl, ConsumerRun[]>>>>;

export interface SizeResult {
  size: number;
  impls: Impl[];
  init: InitCaseResult;
  consumer: ConsumerRuns;
  /** The 5-flag concurrent cold path with packages loaded from node_modules instead of the bundle. */
  consumerNodeModules: Partial<Record<Impl, ConsumerRun[]>>;
  stream: Partial<Record<Impl, StreamRun>>;
}

export interface BenchResults {
  config: BenchConfig;
  machine: { cpus: number; cpuModel: string; memoryGB: number; node: string; platform: string };
  startedAt: string;
  durationMs: number;
  figures: Figure[];
  correctness: Check[];
  targets: Target[];
  bundles: Bundles['bundled'];
  sizes: SizeResult[];
  /** Cold start under Lambda's CPU share per memory size (run at the first size both stores run). */
  lambdaSizes?: LambdaSizesResult;
  /** Full init and 1% re-sync of both stores under the service-limits model. */
  limits: LimitsCaseResult[];
}

export interface RunOptions {
  /** DynamoDB Local's endpoint; the proxy forwards to it. */
  dynamoEndpoint: string;
  repoRoot: string;
  log?: (line: string) => void;
}

const IMPLS: Impl[] = ['ours', 'peer'];

export async function runBenchmarks(config: BenchConfig, options: RunOptions): Promise<BenchResults> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const log = options.log ?? (() => {});
  const { repoRoot } = options;
  await checkUnsignedBodiesAccepted(options.dynamoEndpoint);
  const proxy = await startCountingProxy(options.dynamoEndpoint);
  const admin = new DynamoDBClient(clientConfig(options.dynamoEndpoint));
  const sizes: SizeResult[] = [];
  const bundleDir = path.join(repoRoot, 'node_modules/.cache/ld-dynamodb-sync-bench', String(process.pid));
  try {
    log('Building consumer bundles');
    // Per process, so that two runs at once (npm test in two checkouts' worth of helpers) never share files.
    const bundles = await buildBundles(repoRoot, bundleDir);
    const floorBundle = config.lambdaMemoryMb.length > 0 ? await buildFloorBundle(repoRoot, bundleDir) : undefined;
    let lambdaSizes: LambdaSizesResult | undefined;

    log('Warming up DynamoDB Local (not measured)');
    for (const impl of IMPLS) {
      const table = await newTable(admin, `warmup-${impl}`);
      await runInitWorker({ proxy, repoRoot, seed: config.seed + 100, impl, tableName: table, size: Math.min(1000, config.sizes[0]!) });
      await dropTable(admin, table);
    }

    const all = [
      ...config.sizes.map((size) => ({ size, impls: IMPLS })),
      ...config.oursOnlySizes.map((size) => ({ size, impls: ['ours'] as Impl[] })),
    ];
    for (const { size, impls } of all) {
      log(`Size ${size.toLocaleString('en-US')} flags (${impls.join(' and ')})`);
      const env = generateEnvironment({ flags: size, seed: config.seed });
      // Sizes for ours alone are there for how figures grow; the unchanged re-sync (0 WCU by construction,
      // checked at the other sizes) is left out to keep the run within its time budget.
      const phases: InitPhase[] = impls.length === 2 ? initPhases : ['init', 'resync-1pct'];
      const init = await runInitCase({
        admin,
        proxy,
        repoRoot,
        size,
        seed: config.seed,
        reps: impls.length === 2 ? config.reps : 1,
        impls,
        expensiveMs: 25_000,
        log,
        keepTable: true,
        phases,
      });
      const current = withChangedFlags(env, 0.01, config.seed + 1);
      const result: SizeResult = { size, impls, init, consumer: {}, consumerNodeModules: {}, stream: {} };
      try {
        const table = init.keptTable!;
        const picked = pickFlags(current, config.seed);
        const consumerScenarios: Scenario[] = impls.length === 2 ? scenarios : ['five-concurrent', 'all'];
        for (const scenario of consumerScenarios) {
          result.consumer[scenario] = await repeatAlternating(impls, impls.length === 2 ? config.reps : 1, config.expensiveMs, (impl) =>
            runConsumer(proxy, repoRoot, {
              impl,
              scenario,
              bundle: bundles.bundled[impl].file,
              tableName: table,
              picked,
              warm: config.warmEvaluations,
            }),
          );
          log(`  consumer ${scenario}: ${describeConsumer(result.consumer[scenario]!)}`);
        }
        if (impls.length === 2 && floorBundle && !lambdaSizes) {
          log(`  cold start at Lambda sizes (${config.lambdaMemoryMb.join(', ')} MB)`);
          const lambdaBundles = { ours: bundles.bundled.ours.file, peer: bundles.bundled.peer.file };
          lambdaSizes = await runLambdaSizesCase({
            proxy,
            repoRoot,
            bundles: lambdaBundles,
            floorBundle,
            tableName: table,
            flags: size,
            picked,
            memorySizes: config.lambdaMemoryMb,
            reps: config.lambdaReps,
            log,
          });
        }
        if (impls.length === 2) {
          result.consumerNodeModules = await repeatAlternating(impls, config.reps, config.expensiveMs, (impl) =>
            runConsumer(proxy, repoRoot, {
              impl,
              scenario: 'five-concurrent',
              bundle: bundles.external[impl],
              tableName: table,
              picked,
              warm: 0,
            }),
          );
          log(`  consumer five-concurrent, packages from node_modules: ${describeConsumer(result.consumerNodeModules)}`);
          for (const impl of impls) {
            result.stream[impl] = await runStreamCase({ admin, proxy, data: env, patches: config.patches, impl });
            const s = result.stream[impl]!;
            log(
              `  stream ${impl}: p50 ${s.p50Ms.toFixed(1)} ms p99 ${s.p99Ms.toFixed(1)} ms, ${s.counts.totalRequests} requests, ${s.counts.writeCapacityUnits} WCU for ${s.patches} patches`,
            );
          }
        }
      } finally {
        if (init.keptTable) await dropTable(admin, init.keptTable);
      }
      sizes.push(result);
    }

    const limits: LimitsCaseResult[] = [];
    for (const size of config.limitsSizes) {
      log(`Size ${size.toLocaleString('en-US')} flags under the service-limits model (both stores)`);
      limits.push(
        await runInitUnderLimits({
          admin,
          dynamoEndpoint: options.dynamoEndpoint,
          repoRoot,
          size,
          seed: config.seed,
          impls: IMPLS,
          expensiveMs: config.expensiveMs,
          log,
        }),
      );
    }

    const correctness = checks(sizes, config);
    const figures = [
      ...buildFigures(sizes, bundles.bundled, config),
      ...limitsFigures(limits),
      ...(lambdaSizes ? lambdaFigures(lambdaSizes) : []),
    ];
    return {
      config,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memoryGB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
      },
      startedAt,
      durationMs: Math.round(performance.now() - started),
      figures,
      correctness,
      targets: [...targets(sizes, bundles.bundled), ...limitsTargets(limits), ...(lambdaSizes ? lambdaTargets(lambdaSizes) : [])],
      bundles: bundles.bundled,
      sizes,
      limits,
      lambdaSizes,
    };
  } finally {
    admin.destroy();
    await proxy.close();
    await rm(bundleDir, { recursive: true, force: true });
  }
}

/** Runs `fn` for each implementation, alternating which goes first; stops repeating once a run is expensive. */
async function repeatAlternating<T>(
  impls: Impl[],
  reps: number,
  expensiveMs: number,
  fn: (impl: Impl) => Promise<T>,
): Promise<Partial<Record<Impl, T[]>>> {
  const out: Partial<Record<Impl, T[]>> = {};
  for (let rep = 0; rep < reps; rep++) {
    const t0 = performance.now();
    for (const impl of rep % 2 === 0 ? impls : [...impls].reverse()) (out[impl] ??= []).push(await fn(impl));
    if ((performance.now() - t0) / impls.length > expensiveMs) break;
  }
  return out;
}

function describeConsumer(runs: Partial<Record<Impl, ConsumerRun[]>>): string {
  return Object.entries(runs)
    .map(
      ([impl, rs]) =>
        `${impl} ${Math.round(median(rs!.map((r) => r.processStartToFirstMs)))} ms / ${median(rs!.map((r) => r.requestsBeforeFirst.totalRequests))} req`,
    )
    .join(', ');
}

const phaseOf = (runs: InitRun[][], phase: InitPhase): InitRun[] =>
  runs.map((r) => r.find((p) => p.phase === phase)).filter((r): r is InitRun => r !== undefined);
const med = <T>(runs: T[] | undefined, pick: (r: T) => number | undefined): number | null => {
  const values = (runs ?? []).map(pick).filter((v): v is number => v !== undefined);
  return values.length ? median(values) : null;
};

function byOperation(runs: InitRun[] | undefined): string | undefined {
  const first = runs?.[0];
  if (!first) return undefined;
  const short: Record<string, string> = { TransactWriteItems: 'Tx', BatchWriteItem: 'BatchWrite', BatchGetItem: 'BatchGet' };
  return Object.entries(first.counts.requests)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${short[op] ?? op} ${n}`)
    .join(', ');
}

function buildFigures(sizes: SizeResult[], bundles: Bundles['bundled'], config: BenchConfig): Figure[] {
  const figures: Figure[] = [];
  const n = (size: number) => size.toLocaleString('en-US');
  const phaseNames: Record<InitPhase, string> = {
    init: 'Full init into an empty table',
    'resync-1pct': 'Re-sync, 1% of flags changed',
    'resync-none': 'Re-sync, nothing changed',
  };

  for (const phase of initPhases) {
    for (const s of sizes) {
      const ours = phaseOf(s.init.runs.ours, phase);
      const peer = s.impls.includes('peer') ? phaseOf(s.init.runs.peer, phase) : undefined;
      if (ours.length === 0) continue;
      const row = (
        key: string,
        label: string,
        unit: string,
        pick: (r: InitRun) => number,
        better: 'lower' | 'higher' = 'lower',
        notes = false,
      ) =>
        figures.push(
          figure({
            id: `${phase}.${key}@${s.size}`,
            group: phaseNames[phase],
            label: `${n(s.size)} flags: ${label}`,
            unit,
            size: s.size,
            ours: med(ours, pick),
            peer: peer ? med(peer, pick) : null,
            oursNote: notes ? byOperation(ours) : undefined,
            peerNote: notes && peer ? byOperation(peer) : undefined,
            better,
          }),
        );
      row('wallMs', 'wall time', 'ms', (r) => r.wallMs);
      row('requests', 'DynamoDB requests', 'count', (r) => r.counts.totalRequests, 'lower', true);
      row('wcu', 'write capacity units', 'WCU', (r) => r.counts.writeCapacityUnits);
      row('rcu', 'read capacity units', 'RCU', (r) => r.counts.readCapacityUnits);
      if (phase === 'init') {
        row('heapMB', 'peak heap growth', 'MB', (r) => r.heapGrowthMB);
        row('maxRssMB', 'peak RSS of the process', 'MB', (r) => r.maxRssMB);
      }
    }
  }

  const scenarioNames: Record<Scenario, string> = {
    one: '1 flag',
    'five-concurrent': '5 flags, concurrently',
    'five-sequential': '5 flags, one after another',
    'first-then-five': 'first variation, then 5 more flags one after another',
    all: 'allFlagsState',
    load: 'the LaunchDarkly SDK alone',
  };
  for (const scenario of scenarios) {
    for (const s of sizes) {
      const runs = s.consumer[scenario];
      if (!runs) continue;
      const row = (
        key: string,
        label: string,
        unit: string,
        pick: (r: ConsumerRun) => number | undefined,
        better: 'lower' | 'higher' = 'lower',
      ) => {
        const ours = med(runs.ours, pick);
        const peer = med(runs.peer, pick);
        if (ours === null && peer === null) return;
        figures.push(
          figure({
            id: `consumer.${scenario}.${key}@${s.size}`,
            group: `Consumer cold path (fresh process, daemon mode): ${scenarioNames[scenario]}`,
            label: `${n(s.size)} flags: ${label}`,
            unit,
            size: s.size,
            ours,
            peer,
            better,
          }),
        );
      };
      row('processStartToFirstMs', 'process start → first result', 'ms', (r) => r.processStartToFirstMs);
      row('clientInitToFirstMs', 'client init → first result', 'ms', (r) => r.clientInitToFirstMs);
      row('requestsBeforeFirst', 'DynamoDB requests before the first result', 'count', (r) => r.requestsBeforeFirst.totalRequests);
      row('requestsAfterFirst', 'requests to repeat it right after (cache TTL 15 s)', 'count', (r) => r.requestsAfterFirst);
      if (scenario === 'first-then-five') {
        row('processStartToFiveMs', 'process start → the 5 more flags evaluated', 'ms', (r) => r.processStartToFiveMs);
        row('requestsFirstPass', 'DynamoDB requests for the 6 flags', 'count', (r) => r.requestsFirstPass.totalRequests);
        row('wavesFirstPass', 'waves of requests (rounds one after another) for the 6 flags', 'count', (r) => r.wavesFirstPass);
        row('rcuFirstPass', 'read capacity units for the 6 flags', 'RCU', (r) => r.requestsFirstPass.readCapacityUnits);
      }
      if (scenario === 'five-concurrent')
        row(
          'warmEvalsPerSecond',
          `warm evaluations per second (${config.warmEvaluations.toLocaleString('en-US')} in a loop)`,
          '/s',
          (r) => r.warmEvalsPerSecond,
          'higher',
        );
    }
  }
  for (const s of sizes) {
    const runs = s.consumerNodeModules;
    if (!runs.ours) continue;
    figures.push(
      figure({
        id: `consumer.nodeModules.processStartToFirstMs@${s.size}`,
        group: 'Consumer cold path, packages loaded from node_modules instead of a bundle: 5 flags, concurrently',
        label: `${n(s.size)} flags: process start → first result`,
        unit: 'ms',
        size: s.size,
        ours: med(runs.ours, (r) => r.processStartToFirstMs),
        peer: med(runs.peer, (r) => r.processStartToFirstMs),
        better: 'lower',
      }),
    );
  }

  figures.push(
    figure({
      id: 'bundle.minifiedBytes',
      group: 'Consumer bundle (esbuild, minified, ESM, node22, AWS SDK included)',
      label: 'minified',
      unit: 'bytes',
      ours: bundles.ours.minifiedBytes,
      peer: bundles.peer.minifiedBytes,
      better: 'lower',
    }),
  );
  figures.push(
    figure({
      id: 'bundle.gzipBytes',
      group: 'Consumer bundle (esbuild, minified, ESM, node22, AWS SDK included)',
      label: 'minified and gzipped',
      unit: 'bytes',
      ours: bundles.ours.gzipBytes,
      peer: bundles.peer.gzipBytes,
      better: 'lower',
    }),
  );

  for (const s of sizes) {
    if (!s.stream.ours) continue;
    const row = (key: string, label: string, unit: string, pick: (r: StreamRun) => number) =>
      figures.push(
        figure({
          id: `stream.${key}@${s.size}`,
          group: `Stream: patch on the LaunchDarkly server → item readable in the table (${s.stream.ours!.patches.toLocaleString('en-US')} patches, one at a time)`,
          label: `${n(s.size)} flags: ${label}`,
          unit,
          size: s.size,
          ours: pick(s.stream.ours!),
          peer: s.stream.peer ? pick(s.stream.peer) : null,
          better: 'lower',
        }),
      );
    row('p50Ms', 'p50', 'ms', (r) => r.p50Ms);
    row('p99Ms', 'p99', 'ms', (r) => r.p99Ms);
    row('requestsPerPatch', 'DynamoDB requests per patch', 'count', (r) => r.counts.totalRequests / r.patches);
    row('wcuPerPatch', 'write capacity units per patch', 'WCU', (r) => r.counts.writeCapacityUnits / r.patches);
  }

  // Scale: how each headline figure grows from the smallest to each larger size.
  const base = sizes[0]!;
  const scaled = [
    'init.wallMs',
    'init.wcu',
    'resync-1pct.wallMs',
    'resync-1pct.wcu',
    'resync-1pct.rcu',
    'resync-none.wallMs',
    'init.maxRssMB',
    'consumer.all.clientInitToFirstMs',
    'consumer.all.requestsBeforeFirst',
    'consumer.five-concurrent.clientInitToFirstMs',
  ];
  for (const s of sizes.slice(1)) {
    for (const id of scaled) {
      const a = figures.find((f) => f.id === `${id}@${base.size}`);
      const b = figures.find((f) => f.id === `${id}@${s.size}`);
      if (!a || !b) continue;
      const grow = (x: number | null, y: number | null) => (x !== null && y !== null && x !== 0 ? y / x : null);
      figures.push(
        figure({
          id: `scale.${id}@${base.size}-${s.size}`,
          group: `Scale: growth from ${n(base.size)} to more flags (×, the figure at the larger size ÷ at ${n(base.size)})`,
          label: `${b.group.replace(/ \(.*\)$/, '').replace('Consumer cold path: ', '')}, ${b.label.replace(/^[\d,]+ flags: /, '')}, ${n(base.size)} → ${n(s.size)}`,
          unit: '×',
          size: s.size,
          ours: grow(a.ours, b.ours),
          peer: grow(a.peer, b.peer),
          better: 'lower',
        }),
      );
    }
  }
  return figures;
}

function checks(sizes: SizeResult[], config: BenchConfig): Check[] {
  const out: Check[] = [];
  for (const s of sizes) {
    const label = `${s.size} flags`;
    for (const [phase, diffs] of Object.entries(s.init.tableDifferences)) {
      out.push({
        name: `${label}: ours and LaunchDarkly's store leave the same table after ${phase}`,
        ok: diffs!.length === 0,
        detail: diffs!.join('; ') || undefined,
      });
    }
    const changed = Math.round(s.size * 0.01);
    const segments = Math.max(1, Math.round(s.size * 0.05));
    for (const runs of s.init.runs.ours) {
      const summary = (p: InitPhase) => runs.find((r) => r.phase === p)?.summary as { written: number; unchanged: number } | undefined;
      const [init, one, none] = [summary('init'), summary('resync-1pct'), summary('resync-none')];
      if (init)
        out.push({
          name: `${label}: our init writes every item`,
          ok: init.written === s.size + segments,
          detail: `written ${init.written}, expected ${s.size + segments}`,
        });
      if (one)
        out.push({
          name: `${label}: our 1% re-sync writes exactly the changed flags`,
          ok: one.written === changed,
          detail: `written ${one.written}, expected ${changed}`,
        });
      if (none)
        out.push({
          name: `${label}: our unchanged re-sync writes nothing`,
          ok: none.written === 0 && none.unchanged === s.size + segments,
          detail: `written ${none.written}, unchanged ${none.unchanged}`,
        });
    }
    for (const [scenario, runs] of Object.entries(s.consumer)) {
      const all = [...(runs.ours ?? []), ...(runs.peer ?? [])];
      const ref = all[0]!;
      out.push({
        name: `${label}: ${scenario} evaluates the same in every run, ours and LaunchDarkly's`,
        ok: all.every((r) => sameValues(r, ref)),
        detail: JSON.stringify(ref.values),
      });
      if (scenario === 'all')
        out.push({
          name: `${label}: allFlagsState returns every flag`,
          ok: all.every((r) => r.allCount === s.size),
          detail: all.map((r) => r.allCount).join(', '),
        });
    }
    for (const [impl, run] of Object.entries(s.stream)) {
      out.push({
        name: `${label}: every patch reached the table (${impl})`,
        ok: run!.patches === config.patches,
        detail: `${run!.patches} of ${config.patches}`,
      });
    }
  }
  return out;
}

function targets(sizes: SizeResult[], bundles: Bundles['bundled']): Target[] {
  const out: Target[] = [];
  const both = sizes.filter((s) => s.impls.length === 2);
  const largest = both.at(-1);
  const phase = (s: SizeResult, impl: Impl, p: InitPhase, pick: (r: InitRun) => number) => med(phaseOf(s.init.runs[impl], p), pick);
  for (const s of sizes) {
    const wcu = phase(s, 'ours', 'resync-none', (r) => r.counts.writeCapacityUnits);
    if (wcu === null) continue;
    out.push({ name: `Re-sync with nothing changed: 0 WCU (${s.size} flags)`, met: wcu === 0, detail: `${wcu} WCU` });
  }
  if (largest) {
    const ours = phase(largest, 'ours', 'resync-1pct', (r) => r.counts.writeCapacityUnits)!;
    const peer = phase(largest, 'peer', 'resync-1pct', (r) => r.counts.writeCapacityUnits)!;
    out.push({
      name: `Re-sync with 1% changed: ≥50× fewer WCU than the peer (${largest.size} flags)`,
      met: largest.size >= 10000 ? peer / ours >= 50 : null,
      detail: `${ours} vs ${peer} WCU: ${(peer / ours).toFixed(0)}× fewer`,
    });
  }
  for (const s of both) {
    const ours = phase(s, 'ours', 'init', (r) => r.wallMs)!;
    const peer = phase(s, 'peer', 'init', (r) => r.wallMs)!;
    out.push({
      name: `Full init at most 1.1× the peer's wall time on DynamoDB Local (${s.size} flags)`,
      met: ours <= 1.1 * peer,
      detail: `${Math.round(ours)} vs ${Math.round(peer)} ms: ${(ours / peer).toFixed(2)}×`,
    });
  }
  for (const s of both) {
    const five = s.consumer['five-concurrent']!;
    const before = med(five.ours, (r) => r.requestsBeforeFirst.totalRequests)!;
    const after = med(five.ours, (r) => r.requestsAfterFirst)!;
    out.push({
      name: `Consumer: ≤3 requests before the first evaluation of 5 flags, none after within the TTL (${s.size} flags)`,
      met: before <= 3 && after === 0,
      detail: `${before} before, ${after} after`,
    });
    const seq = s.consumer['first-then-five'];
    if (seq?.ours) {
      const waves = med(seq.ours, (r) => r.wavesFirstPass)!;
      const again = med(seq.ours, (r) => r.requestsAfterFirst - r.requestsFirstPass.totalRequests + r.requestsBeforeFirst.totalRequests)!;
      const small = s.size <= 500;
      out.push({
        name: `Consumer: first variation then 5 more one after another: ${small ? '≤2 waves' : 'no more waves than flags + 1'}, none after within the TTL (${s.size} flags)`,
        met: (small ? waves <= 2 : waves <= 7) && again === 0,
        detail: `${waves} waves, ${again} requests repeating them`,
      });
    }
    const ours = med(five.ours, (r) => r.processStartToFirstMs)!;
    const peer = med(five.peer, (r) => r.processStartToFirstMs)!;
    out.push({
      name: `Consumer: ≤ half the peer's process start → first evaluation, bundled (${s.size} flags)`,
      met: ours <= peer / 2,
      detail: `${Math.round(ours)} vs ${Math.round(peer)} ms`,
    });
    const oursNm = med(s.consumerNodeModules.ours, (r) => r.processStartToFirstMs)!;
    const peerNm = med(s.consumerNodeModules.peer, (r) => r.processStartToFirstMs)!;
    out.push({
      name: `Consumer: ≤ half the peer's process start → first evaluation, packages from node_modules (${s.size} flags)`,
      met: oursNm <= peerNm / 2,
      detail: `${Math.round(oursNm)} vs ${Math.round(peerNm)} ms`,
    });
    const warmOurs = med(five.ours, (r) => r.warmEvalsPerSecond)!;
    const warmPeer = med(five.peer, (r) => r.warmEvalsPerSecond)!;
    out.push({
      name: `Consumer: warm evaluations per second ≥ the peer's (${s.size} flags)`,
      met: warmOurs >= warmPeer,
      detail: `${Math.round(warmOurs)} vs ${Math.round(warmPeer)} /s`,
    });
  }
  for (const s of sizes.filter((x) => x.size >= 10000)) {
    const all = med(s.consumer.all?.ours, (r) => r.clientInitToFirstMs);
    if (all !== null)
      out.push({
        name: `Consumer: first allFlagsState under 1 s (${s.size} flags)`,
        met: all < 1000,
        detail: `${Math.round(all)} ms from client init`,
      });
  }
  out.push({
    name: 'Consumer bundle no larger than the peer’s',
    met: bundles.ours.gzipBytes <= bundles.peer.gzipBytes && bundles.ours.minifiedBytes <= bundles.peer.minifiedBytes,
    detail: `${bundles.ours.gzipBytes} vs ${bundles.peer.gzipBytes} bytes gzipped`,
  });
  return out;
}
