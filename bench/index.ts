// The benchmark suite: our store and reader against LaunchDarkly's DynamoDB store (launchdarkly-node-server-sdk-
// dynamodb@4 under launchdarkly-node-server-sdk@7), same generated environment, same table layout, same
// DynamoDB Local and counting proxy, alternating runs. `npm run bench` (bench/run.ts) runs it at full size;
// test/bench/bench.test.ts runs the same code small inside `npm test`.
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { encodeItem } from '../lib/store/item-codec.js';
import { generateEnvironment, withChangedFlags } from '../test/support/generate-environment.js';
import { buildBundles, type Bundles } from './cases/bundle.js';
import { pickFlags, runConsumer, scenarios, type ConsumerRun, type Picked, type Scenario } from './cases/consumer.js';
import { buildFloorBundle, lambdaFigures, lambdaTargets, runLambdaSizesCase, type LambdaSizesResult } from './cases/lambda-sizes.js';
import { initPhases, runInitCase, runInitUnderLimits, runInitWorker, type LimitsCaseResult } from './cases/init.js';
import { limitsFigures, limitsTargets } from './cases/limits-report.js';
import { runStreamCase } from './cases/stream.js';
import type { BenchConfig } from './lib/config.js';
import { checkUnsignedBodiesAccepted, startCountingProxy, type CountingProxy } from './lib/proxy.js';
import { median } from './lib/stats.js';
import { clientConfig, dropTable, newTable } from './lib/tables.js';
import type { Impl } from './workers/init-worker.js';
import type { BenchResults, RunOptions, SizeResult } from './lib/results.js';
import { buildFigures } from './cases/size-figures.js';
import { checks, targets } from './cases/size-verdicts.js';

export type { BenchResults, Check, RunOptions, SizeResult, Target } from './lib/results.js';

const IMPLS: Impl[] = ['ours', 'peer'];

/** What every case of one run shares. */
interface RunContext {
  config: BenchConfig;
  options: RunOptions;
  log: (line: string) => void;
  proxy: CountingProxy;
  admin: DynamoDBClient;
  bundles: Bundles;
  floorBundle: string | undefined;
  /** Filled by the first size both stores run. */
  lambdaSizes?: LambdaSizesResult;
}

export async function runBenchmarks(config: BenchConfig, options: RunOptions): Promise<BenchResults> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const log = options.log ?? (() => {});
  const { repoRoot } = options;
  await checkUnsignedBodiesAccepted(options.dynamoEndpoint);
  const proxy = await startCountingProxy(options.dynamoEndpoint);
  const admin = new DynamoDBClient(clientConfig(options.dynamoEndpoint));
  // Per process, so that two runs at once (npm test in two checkouts' worth of helpers) never share files.
  const bundleDir = path.join(repoRoot, 'node_modules/.cache/ld-dynamodb-sync-bench', String(process.pid));
  try {
    log('Building consumer bundles');
    const bundles = await buildBundles(repoRoot, bundleDir);
    const floorBundle = config.lambdaMemoryMb.length > 0 ? await buildFloorBundle(repoRoot, bundleDir) : undefined;
    const ctx: RunContext = { config, options, log, proxy, admin, bundles, floorBundle };

    log('Warming up DynamoDB Local (not measured)');
    for (const impl of IMPLS) {
      const table = await newTable(admin, `warmup-${impl}`);
      await runInitWorker({ proxy, repoRoot, seed: config.seed + 100, impl, tableName: table, size: Math.min(1000, config.sizes[0]!) });
      await dropTable(admin, table);
    }

    const sizes: SizeResult[] = [];
    for (const size of config.sizes) sizes.push(await runSize(ctx, size, IMPLS));
    for (const size of config.oursOnlySizes) sizes.push(await runSize(ctx, size, ['ours']));
    const limits = await runLimits(ctx);
    const { lambdaSizes } = ctx;
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
      figures: [
        ...buildFigures(sizes, bundles.bundled, config),
        ...limitsFigures(limits),
        ...(lambdaSizes ? lambdaFigures(lambdaSizes) : []),
      ],
      correctness: checks(sizes, config),
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

/** One environment size: full init and re-syncs, then the consumer cases and the stream on the table they left. */
async function runSize(ctx: RunContext, size: number, impls: Impl[]): Promise<SizeResult> {
  const { config, options, log } = ctx;
  log(`Size ${size.toLocaleString('en-US')} flags (${impls.join(' and ')})`);
  const env = generateEnvironment({ flags: size, seed: config.seed });
  const both = impls.length === 2;
  const init = await runInitCase({
    admin: ctx.admin,
    proxy: ctx.proxy,
    repoRoot: options.repoRoot,
    size,
    seed: config.seed,
    reps: both ? config.reps : 1,
    impls,
    expensiveMs: 25_000,
    log,
    keepTable: true,
    // Sizes for ours alone are there for how figures grow; the unchanged re-sync (0 WCU by construction,
    // checked at the other sizes) is left out to keep the run within its time budget.
    phases: both ? initPhases : ['init', 'resync-1pct'],
  });
  const flagBytes = Object.values(env.flags).reduce((sum, f) => sum + encodeItem(undefined, 'features', f, 0).bytes, 0);
  const result: SizeResult = { size, flagBytes, impls, init, consumer: {}, consumerNodeModules: {}, stream: {} };
  try {
    const table = init.keptTable!;
    const picked = pickFlags(withChangedFlags(env, 0.01, config.seed + 1), config.seed);
    await runConsumerCases(ctx, result, table, picked);
    // At config.lambdaFlags when that size runs for both stores, else at the first size that does.
    const lambdaHere = config.sizes.includes(config.lambdaFlags) ? size === config.lambdaFlags : true;
    if (both && ctx.floorBundle && !ctx.lambdaSizes && lambdaHere) {
      log(`  cold start at Lambda sizes (${config.lambdaMemoryMb.join(', ')} MB)`);
      ctx.lambdaSizes = await runLambdaSizesCase({
        proxy: ctx.proxy,
        repoRoot: options.repoRoot,
        bundles: { ours: ctx.bundles.bundled.ours.file, peer: ctx.bundles.bundled.peer.file },
        floorBundle: ctx.floorBundle,
        tableName: table,
        flags: size,
        picked,
        memorySizes: config.lambdaMemoryMb,
        reps: config.lambdaReps,
        log,
      });
    }
    if (both) {
      result.consumerNodeModules = await repeatAlternating(impls, config.reps, config.expensiveMs, (impl) =>
        runConsumer(ctx.proxy, options.repoRoot, {
          impl,
          scenario: 'five-concurrent',
          bundle: ctx.bundles.external[impl],
          tableName: table,
          picked,
          warm: 0,
        }),
      );
      log(`  consumer five-concurrent, packages from node_modules: ${describeConsumer(result.consumerNodeModules)}`);
      for (const impl of impls) {
        const s = await runStreamCase({ admin: ctx.admin, proxy: ctx.proxy, data: env, patches: config.patches, impl });
        result.stream[impl] = s;
        log(
          `  stream ${impl}: p50 ${s.p50Ms.toFixed(1)} ms p99 ${s.p99Ms.toFixed(1)} ms, ` +
            `${s.counts.totalRequests} requests, ${s.counts.writeCapacityUnits} WCU for ${s.patches} patches`,
        );
      }
    }
  } finally {
    if (init.keptTable) await dropTable(ctx.admin, init.keptTable);
  }
  return result;
}

/** The bundled consumer's cold paths, each scenario in fresh processes, the two stores alternating. */
async function runConsumerCases(ctx: RunContext, result: SizeResult, table: string, picked: Picked): Promise<void> {
  const both = result.impls.length === 2;
  const consumerScenarios: Scenario[] = both ? scenarios : ['five-concurrent', 'all'];
  for (const scenario of consumerScenarios) {
    result.consumer[scenario] = await repeatAlternating(result.impls, both ? ctx.config.reps : 1, ctx.config.expensiveMs, (impl) =>
      runConsumer(ctx.proxy, ctx.options.repoRoot, {
        impl,
        scenario,
        bundle: ctx.bundles.bundled[impl].file,
        tableName: table,
        picked,
        warm: ctx.config.warmEvaluations,
      }),
    );
    ctx.log(`  consumer ${scenario}: ${describeConsumer(result.consumer[scenario]!)}`);
  }
}

/** Full init and 1% re-sync of both stores under the service-limits model, at each configured size. */
async function runLimits(ctx: RunContext): Promise<LimitsCaseResult[]> {
  const limits: LimitsCaseResult[] = [];
  for (const size of ctx.config.limitsSizes) {
    ctx.log(`Size ${size.toLocaleString('en-US')} flags under the service-limits model (both stores)`);
    limits.push(
      await runInitUnderLimits({
        admin: ctx.admin,
        dynamoEndpoint: ctx.options.dynamoEndpoint,
        repoRoot: ctx.options.repoRoot,
        size,
        seed: ctx.config.seed,
        impls: IMPLS,
        expensiveMs: ctx.config.expensiveMs,
        log: ctx.log,
      }),
    );
  }
  return limits;
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
