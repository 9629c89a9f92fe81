// The benchmark suite (bench/index.ts) at a small size inside `npm test`, so that it cannot rot: the same
// code as `npm run bench`, asserting only that every figure was produced as a finite number and that the
// correctness checks hold (ours and LaunchDarkly's store leave equal tables, evaluate alike, every patch
// lands). Never a time: timings on a shared test machine say nothing.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runBenchmarks } from '../../bench/index.js';
import { quickConfig } from '../../bench/lib/config.js';
import { dynamoEndpoint } from '../support/tables.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// LaunchDarkly's store loads aws-sdk v2, which prints an end-of-support notice on load.
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';

it('runs every benchmark at a small size: all figures finite, ours and LaunchDarkly’s store agree', async () => {
  const config = { ...quickConfig, sizes: [200], patches: 50, reps: 1, warmEvaluations: 500 };
  const results = await runBenchmarks(config, { dynamoEndpoint: dynamoEndpoint(), repoRoot });

  const failed = results.correctness.filter((c) => !c.ok);
  expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
  const names = results.correctness.map((c) => c.name).join('\n');
  for (const phase of ['init', 'resync-1pct', 'resync-none']) expect(names).toContain(`same table after ${phase}`);
  expect(names).toContain('allFlagsState returns every flag');
  expect(names).toContain('every patch reached the table (ours)');
  expect(names).toContain('every patch reached the table (peer)');

  const ids = results.figures.map((f) => f.id);
  const expected = [
    ...['init', 'resync-1pct', 'resync-none'].flatMap((p) => ['wallMs', 'requests', 'wcu', 'rcu', 'cpuMs'].map((k) => `${p}.${k}@200`)),
    'init.heapMB@200',
    'init.maxRssMB@200',
    ...['one', 'five-concurrent', 'five-sequential', 'all'].flatMap((s) =>
      ['processStartToFirstMs', 'clientInitToFirstMs', 'requestsBeforeFirst', 'requestsAfterFirst'].map((k) => `consumer.${s}.${k}@200`),
    ),
    'consumer.five-concurrent.warmEvalsPerSecond@200',
    'consumer.nodeModules.processStartToFirstMs@200',
    'bundle.minifiedBytes',
    'bundle.gzipBytes',
    ...['p50Ms', 'p99Ms', 'requestsPerPatch', 'wcuPerPatch'].map((k) => `stream.${k}@200`),
  ];
  expect(ids).toEqual(expect.arrayContaining(expected));
  const notFinite = results.figures.filter((f) => !Number.isFinite(f.ours) || !Number.isFinite(f.peer));
  expect(notFinite.map((f) => `${f.id}: ${f.ours} / ${f.peer}`)).toEqual([]);
  // Every target has been evaluated (met or not): the figures it needs exist.
  expect(results.targets.length).toBeGreaterThan(0);
}, 300_000);
