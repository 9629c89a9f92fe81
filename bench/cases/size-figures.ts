// The figures of the per-size cases (full init, re-syncs, consumer cold paths, bundle, stream): each a row of
// the printed table, ours against the peer with medians of the alternating runs.
import type { Bundles } from './bundle.js';
import { scenarios, type ConsumerRun, type Scenario } from './consumer.js';
import { initPhases, type InitRun } from './init.js';
import type { StreamRun } from './stream.js';
import type { BenchConfig } from '../lib/config.js';
import type { SizeResult } from '../lib/results.js';
import { figure, type Figure } from '../lib/report.js';
import { median } from '../lib/stats.js';
import type { InitPhase } from '../workers/init-worker.js';

export const phaseOf = (runs: InitRun[][], phase: InitPhase): InitRun[] =>
  runs.map((r) => r.find((p) => p.phase === phase)).filter((r): r is InitRun => r !== undefined);
export const med = <T>(runs: T[] | undefined, pick: (r: T) => number | undefined): number | null => {
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

const n = (size: number) => size.toLocaleString('en-US');

export function buildFigures(sizes: SizeResult[], bundles: Bundles['bundled'], config: BenchConfig): Figure[] {
  const figures: Figure[] = [];
  initFigures(figures, sizes);
  consumerFigures(figures, sizes, config);
  bundleAndStreamFigures(figures, sizes, bundles);
  scaleFigures(figures, sizes);
  return figures;
}

function initFigures(figures: Figure[], sizes: SizeResult[]): void {
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
      row('cpuMs', 'CPU time of the writing process', 'ms', (r) => r.cpuMs);
      if (phase === 'init') {
        row('heapMB', 'peak heap growth', 'MB', (r) => r.heapGrowthMB);
        row('maxRssMB', 'peak RSS of the process', 'MB', (r) => r.maxRssMB);
      }
    }
  }
}

function consumerFigures(figures: Figure[], sizes: SizeResult[], config: BenchConfig): void {
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
}

function bundleAndStreamFigures(figures: Figure[], sizes: SizeResult[], bundles: Bundles['bundled']): void {
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
}

/** Scale: how each headline figure grows from the smallest to each larger size. */
function scaleFigures(figures: Figure[], sizes: SizeResult[]): void {
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
}
