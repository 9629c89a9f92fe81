// Cold start at Lambda's real sizes: each consumer (ours, LaunchDarkly's) and the LaunchDarkly SDK alone (the
// floor nobody avoids) run in a fresh process whose CPU is capped the way Lambda caps a function of 128, 512
// or 1,024 MB (bench/lib/cpu-cap.ts: memory ÷ 1,769 MB of one CPU). DynamoDB Local and the counting proxy run
// in the parent, outside the cap, as DynamoDB is outside the function. Each run is the 'first-then-five'
// scenario: process start → first evaluation, then five more flags one after another. Runs alternate
// between the three so a slow moment of a shared machine does not land on one side only; medians reported.
import path from 'node:path';
import { build } from 'esbuild';
import { openCpuCap } from '../lib/cpu-cap.js';
import type { CountingProxy } from '../lib/proxy.js';
import { figure, type Figure } from '../lib/report.js';
import { median } from '../lib/stats.js';
import type { Impl } from '../workers/init-worker.js';
import { bundleSettings } from './bundle.js';
import { runConsumer, type ConsumerRun, type Picked } from './consumer.js';

/** 'baseline': our consumer built from another checkout, to compare a change (bench/cold-start.ts). */
export type LambdaSide = Impl | 'floor' | 'baseline';

export interface LambdaSize {
  memoryMb: number;
  cap: string;
  runs: Partial<Record<LambdaSide, ConsumerRun[]>>;
}

export interface LambdaSizesResult {
  /** Why the case did not run (no cgroup CPU controller, not root), else undefined. */
  skipped?: string;
  flags: number;
  sizes: LambdaSize[];
}

export interface LambdaSizesOptions {
  proxy: CountingProxy;
  repoRoot: string;
  bundles: Record<Impl, string>;
  floorBundle: string;
  /** Our consumer as built from another checkout; run as 'baseline' when `sides` lists it. */
  baselineBundle?: string;
  /** Which sides to run, alternating in this order and its reverse; default ours, peer, floor. */
  sides?: LambdaSide[];
  tableName: string;
  flags: number;
  picked: Picked;
  memorySizes: number[];
  reps: number;
  log: (line: string) => void;
}

/** The floor's bundle: bench/consumer/sdk-only.ts with the consumers' esbuild settings. */
export async function buildFloorBundle(repoRoot: string, outDir: string): Promise<string> {
  const outfile = path.join(outDir, 'floor.mjs');
  await build({
    ...bundleSettings,
    metafile: false,
    absWorkingDir: repoRoot,
    entryPoints: [path.join(repoRoot, 'bench/consumer/sdk-only.ts')],
    outfile,
  });
  return outfile;
}

export async function runLambdaSizesCase(o: LambdaSizesOptions): Promise<LambdaSizesResult> {
  const result: LambdaSizesResult = { flags: o.flags, sizes: [] };
  for (const memoryMb of o.memorySizes) {
    const cap = await openCpuCap(memoryMb, `ld-dynamodb-sync-bench-${process.pid}-${memoryMb}`);
    if (typeof cap === 'string') {
      result.skipped = `Lambda-sizes cold start skipped: ${cap}`;
      o.log(`  ${result.skipped}`);
      return result;
    }
    const size: LambdaSize = { memoryMb, cap: cap.description, runs: {} };
    const sides = o.sides ?? ['ours', 'peer', 'floor'];
    try {
      for (let rep = 0; rep < o.reps; rep++) {
        for (const side of rep % 2 === 0 ? sides : [...sides].reverse()) {
          const run = await runConsumer(o.proxy, o.repoRoot, {
            impl: side === 'peer' ? 'peer' : 'ours',
            scenario: side === 'floor' ? 'load' : 'first-then-five',
            bundle: side === 'floor' ? o.floorBundle : side === 'baseline' ? o.baselineBundle! : o.bundles[side],
            tableName: o.tableName,
            picked: o.picked,
            warm: 0,
            cap,
          });
          (size.runs[side] ??= []).push(run);
        }
      }
    } finally {
      await cap.close();
    }
    const m = (side: LambdaSide) => Math.round(med(size.runs[side], (r) => r.processStartToFirstMs) ?? Number.NaN);
    const names: Record<LambdaSide, string> = { ours: 'ours', peer: 'peer', floor: 'SDK alone', baseline: 'baseline' };
    const ran = sides.map((side) => `${names[side]} ${m(side)} ms`);
    o.log(`  ${memoryMb} MB (${cap.description}): first evaluation ${ran.join(', ')}`);
    result.sizes.push(size);
  }
  return result;
}

const med = (runs: ConsumerRun[] | undefined, pick: (r: ConsumerRun) => number | undefined): number | null => {
  const values = (runs ?? []).map(pick).filter((v): v is number => v !== undefined);
  return values.length ? median(values) : null;
};

export function lambdaFigures(r: LambdaSizesResult): Figure[] {
  const group = `Cold start at Lambda sizes (fresh process, CPU capped at memory ÷ 1,769 MB of one CPU, ${r.flags.toLocaleString('en-US')} flags, medians)`;
  const figures: Figure[] = [];
  for (const s of r.sizes) {
    const row = (key: string, label: string, pick: (x: ConsumerRun) => number | undefined) =>
      figures.push(
        figure({
          id: `lambda.${key}@${s.memoryMb}MB`,
          group,
          label: `${s.memoryMb} MB: ${label}`,
          unit: 'ms',
          ours: med(s.runs.ours, pick),
          peer: med(s.runs.peer, pick),
          better: 'lower',
        }),
      );
    row('processStartToFirstMs', 'process start → first evaluation', (x) => x.processStartToFirstMs);
    row('processStartToFiveMs', 'process start → 5 more flags evaluated', (x) => x.processStartToFiveMs);
    figures.push(
      figure({
        id: `lambda.floorMs@${s.memoryMb}MB`,
        group,
        label: `${s.memoryMb} MB: LaunchDarkly SDK alone, loaded and initialised (the floor; shown in both columns)`,
        unit: 'ms',
        ours: med(s.runs.floor, (x) => x.processStartToFirstMs),
        peer: med(s.runs.floor, (x) => x.processStartToFirstMs),
        better: 'lower',
      }),
    );
    // CPU used to get there: what the quota is spent on, steadier than the wall time on a shared machine.
    row('cpuToFirstMs', 'CPU used, process start → first evaluation', (x) => x.cpuToFirstMs);
    figures.push(
      figure({
        id: `lambda.floorCpuMs@${s.memoryMb}MB`,
        group,
        label: `${s.memoryMb} MB: CPU used by the LaunchDarkly SDK alone (the floor; shown in both columns)`,
        unit: 'ms',
        ours: med(s.runs.floor, (x) => x.cpuToFirstMs),
        peer: med(s.runs.floor, (x) => x.cpuToFirstMs),
        better: 'lower',
      }),
    );
  }
  return figures;
}

/** The goals of issue 13: near the floor at 128 MB, ≤ 150 ms at 1,024 MB, ≤ 0.25× the peer at every size. */
export function lambdaTargets(r: LambdaSizesResult): { name: string; met: boolean | null; detail: string }[] {
  if (r.skipped) return [{ name: 'Cold start at Lambda sizes', met: null, detail: r.skipped }];
  const out: { name: string; met: boolean | null; detail: string }[] = [];
  for (const s of r.sizes) {
    const ours = med(s.runs.ours, (x) => x.processStartToFirstMs)!;
    const peer = med(s.runs.peer, (x) => x.processStartToFirstMs)!;
    const floor = med(s.runs.floor, (x) => x.processStartToFirstMs)!;
    if (s.memoryMb === 128)
      out.push({
        name: 'Lambda 128 MB: first evaluation ≤ SDK-alone floor + 300 ms',
        met: ours <= floor + 300,
        detail: `${Math.round(ours)} ms vs floor ${Math.round(floor)} ms (+${Math.round(ours - floor)} ms)`,
      });
    if (s.memoryMb === 1024)
      out.push({
        name: 'Lambda 1,024 MB: first evaluation ≤ 150 ms',
        met: ours <= 150,
        detail: `${Math.round(ours)} ms (floor ${Math.round(floor)} ms)`,
      });
    out.push({
      name: `Lambda ${s.memoryMb} MB: first evaluation ≤ 0.25× the peer`,
      met: ours <= 0.25 * peer,
      detail: `${Math.round(ours)} vs ${Math.round(peer)} ms (${(ours / peer).toFixed(2)}×)`,
    });
  }
  return out;
}
