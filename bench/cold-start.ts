// `npm exec -- tsx bench/cold-start.ts`: the Lambda-sizes cold-start case (bench/cases/lambda-sizes.ts) alone,
// for work on the consumer's cold start: the full `npm run bench` takes about 13 minutes, this a few.
// Starts DynamoDB Local, writes the bench's generated environment with our writer, builds the bundles as the
// bench does, and runs fresh consumer processes under the CPU caps, sides alternating. Prints per size and
// side the median and range of process start → first evaluation (wall) and of the CPU the process used to
// get there (user + system, every thread): under a cap the CPU figure is the steady one, as a busy machine
// and the wait on DynamoDB Local add nothing to it.
//
// Settings (environment): BENCH_LAMBDA_MB (default 128,512), BENCH_LAMBDA_REPS (default 5), BENCH_COLD_FLAGS
// (default 1000, the size the full bench runs this case at), BENCH_COLD_SIDES (default ours,floor; peer adds LaunchDarkly's
// store, ≈ 20 s a run at 128 MB), BENCH_COLD_BASELINE=<another checkout> (adds 'baseline': our consumer
// built from that checkout, e.g. a `git worktree` of the commit before a change, run alternately with ours).
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBFlagStore } from '../lib/store/flag-store.js';
import { startDynamoDBLocal } from '../test/support/dynamodb-local.js';
import { generateEnvironment, withChangedFlags } from '../test/support/generate-environment.js';
import { buildBundles } from './cases/bundle.js';
import type { ConsumerRun } from './cases/consumer.js';
import { pickFlags } from './cases/consumer.js';
import { buildFloorBundle, runLambdaSizesCase, type LambdaSide } from './cases/lambda-sizes.js';
import { configFromEnv } from './lib/config.js';
import { startCountingProxy } from './lib/proxy.js';
import { median } from './lib/stats.js';
import { clientConfig, newTable } from './lib/tables.js';

const SIDES: LambdaSide[] = ['ours', 'peer', 'floor', 'baseline'];
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string) => process.stderr.write(`${line}\n`);

const env: NodeJS.ProcessEnv = { BENCH_LAMBDA_MB: '128,512', BENCH_LAMBDA_REPS: '5', ...process.env };
const config = configFromEnv(env);
const flags = Number(env.BENCH_COLD_FLAGS ?? 1000);
const baselineRoot = env.BENCH_COLD_BASELINE ? path.resolve(env.BENCH_COLD_BASELINE) : undefined;
const sides = (env.BENCH_COLD_SIDES ?? `ours,floor${baselineRoot ? ',baseline' : ''}`).split(',') as LambdaSide[];
for (const side of sides) if (!SIDES.includes(side)) throw new Error(`BENCH_COLD_SIDES: unknown side "${side}" (${SIDES.join(', ')})`);
if (!Number.isInteger(flags) || flags < 13) throw new Error(`BENCH_COLD_FLAGS must be an integer ≥ 13, got ${env.BENCH_COLD_FLAGS}`);
if (sides.includes('baseline') && !baselineRoot) throw new Error('the side "baseline" needs BENCH_COLD_BASELINE=<checkout>');

process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';
const ddb = await startDynamoDBLocal();
const proxy = await startCountingProxy(ddb.endpoint);
const admin = new DynamoDBClient(clientConfig(ddb.endpoint));
const bundleDir = path.join(repoRoot, 'node_modules/.cache/ld-dynamodb-sync-cold-start', String(process.pid));
try {
  log(`Writing ${flags} generated flags; building bundles`);
  const data = generateEnvironment({ flags, seed: config.seed });
  const tableName = await newTable(admin, 'cold-start');
  await new DynamoDBFlagStore({ tableName, clientConfig: clientConfig(ddb.endpoint) }).init(data);
  const picked = pickFlags(withChangedFlags(data, 0.01, config.seed + 1), config.seed);
  const bundles = (await buildBundles(repoRoot, path.join(bundleDir, 'this'))).bundled;
  const baseline = baselineRoot && (await buildBundles(baselineRoot, path.join(bundleDir, 'baseline'))).bundled.ours;
  log(`  ours: ${bundles.ours.minifiedBytes} bytes loaded at cold start${baseline ? `; baseline: ${baseline.minifiedBytes}` : ''}`);
  const result = await runLambdaSizesCase({
    proxy,
    repoRoot,
    bundles: { ours: bundles.ours.file, peer: bundles.peer.file },
    floorBundle: await buildFloorBundle(repoRoot, bundleDir),
    baselineBundle: baseline ? baseline.file : undefined,
    sides,
    tableName,
    flags,
    picked,
    memorySizes: config.lambdaMemoryMb,
    reps: config.lambdaReps,
    log,
  });
  if (result.skipped) process.exitCode = 1;
  const spread = (runs: ConsumerRun[], pick: (r: ConsumerRun) => number | undefined) => {
    const v = runs.map(pick).filter((x): x is number => x !== undefined);
    return v.length ? `${Math.round(median(v))} (${Math.round(Math.min(...v))}–${Math.round(Math.max(...v))})` : '–';
  };
  console.log(`\n${flags} flags, ${config.lambdaReps} runs per side; median (min–max) ms`);
  console.log('| size | side | start → first evaluation | CPU to first evaluation |\n|---|---|---|---|');
  for (const size of result.sizes)
    for (const side of sides) {
      const runs = size.runs[side] ?? [];
      console.log(
        `| ${size.memoryMb} MB | ${side} | ${spread(runs, (r) => r.processStartToFirstMs)} | ${spread(runs, (r) => r.cpuToFirstMs)} |`,
      );
    }
} finally {
  admin.destroy();
  await proxy.close();
  await ddb.stop();
  await rm(bundleDir, { recursive: true, force: true });
}
