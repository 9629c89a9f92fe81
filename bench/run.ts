// `npm run bench`: starts DynamoDB Local, runs the benchmark suite (bench/index.ts) with the configuration
// from BENCH_* environment variables (see bench/lib/config.ts; BENCH_QUICK=1 for a small run), prints one
// table and writes bench/results.json.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDynamoDBLocal } from '../test/support/dynamodb-local.js';
import { runBenchmarks } from './index.js';
import { configFromEnv } from './lib/config.js';
import { renderTable } from './lib/report.js';

// LaunchDarkly's store loads aws-sdk v2, which prints an end-of-support notice to stderr on load.
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const config = configFromEnv(process.env);
const log = (line: string) => process.stderr.write(`${line}\n`);
log(
  `Benchmark: sizes ${config.sizes.join(', ')}${config.oursOnlySizes.length ? ` (ours only: ${config.oursOnlySizes.join(', ')})` : ''}, ${config.reps} repetition(s), ${config.patches} patches`,
);

const ddb = await startDynamoDBLocal();
let failed = false;
try {
  const results = await runBenchmarks(config, { dynamoEndpoint: ddb.endpoint, repoRoot, log });
  const file = path.join(repoRoot, 'bench/results.json');
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  const m = results.machine;
  console.log(
    `\nld-dynamodb-sync vs launchdarkly-node-server-sdk-dynamodb@4 (SDK v7), DynamoDB Local, ${m.cpus} vCPU ${m.cpuModel}, Node ${m.node}; medians of up to ${config.reps} alternating runs\n`,
  );
  console.log(renderTable(results.figures));
  console.log('\nTargets:');
  for (const t of results.targets) console.log(`  ${t.met === null ? '–' : t.met ? '✓' : '✗'} ${t.name}: ${t.detail}`);
  const bad = results.correctness.filter((c) => !c.ok);
  console.log(`\nCorrectness: ${results.correctness.length - bad.length}/${results.correctness.length} checks passed`);
  for (const c of bad) console.log(`  ✗ ${c.name}: ${c.detail ?? ''}`);
  console.log(`\nWrote ${path.relative(process.cwd(), file)} (${Math.round(results.durationMs / 1000)} s)`);
  failed = bad.length > 0;
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await ddb.stop();
}
process.exit(failed ? 1 : 0);
