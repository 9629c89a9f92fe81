// Figures and targets of the service-limits runs (cases/init.ts runInitUnderLimits): for each store, wall
// time, write units, throttled requests and items missing afterwards, and the targets for a full
// init under the model: within 1.2 × (write units ÷ 1,000) seconds, nothing lost, few requests throttled.
import { SYNC_MEMORY_MB } from '../../lib/infra/environment-sync.js';
import { FULL_CPU_MB } from '../lib/cpu-cap.js';
import { figure, type Figure } from '../lib/report.js';
import type { Impl, InitPhase } from '../workers/init-worker.js';
import type { LimitsCaseResult, LimitsRun } from './init.js';

interface Target {
  name: string;
  met: boolean | null;
  detail: string;
}

const phaseName: Partial<Record<InitPhase, string>> = { init: 'full init', 'resync-1pct': 're-sync, 1% changed' };

const run = (r: LimitsCaseResult, impl: Impl, phase: InitPhase): LimitsRun | undefined => r.runs[impl]?.find((x) => x.phase === phase);

export function limitsFigures(results: LimitsCaseResult[]): Figure[] {
  const out: Figure[] = [];
  for (const r of results) {
    for (const phase of ['init', 'resync-1pct'] as const) {
      const ours = run(r, 'ours', phase);
      const peer = run(r, 'peer', phase);
      if (!ours) continue;
      const row = (key: string, label: string, unit: string, pick: (x: LimitsRun) => number) =>
        out.push(
          figure({
            id: `limits.${phase}.${key}@${r.size}`,
            group:
              'Under the service-limits model (1,000 WCU/s per partition key, 4,000 WRU/s per table, 2–8 ms latency; docs/service-limits.md)',
            label: `${r.size.toLocaleString('en-US')} flags, ${phaseName[phase]}: ${label}`,
            unit,
            size: r.size,
            ours: pick(ours),
            peer: peer ? pick(peer) : null,
            better: 'lower',
          }),
        );
      row('wallMs', 'wall time', 'ms', (x) => x.wallMs);
      row('cpuMs', 'CPU time of the writing process', 'ms', (x) => x.cpuMs);
      row('wcu', 'write units', 'WCU', (x) => x.counts.writeCapacityUnits);
      row('requests', 'requests', 'count', (x) => x.counts.totalRequests);
      row('throttled', 'throttled requests', 'count', (x) => x.counts.throttled);
      row('unprocessed', 'batch entries held back (unprocessed items, throttled statements)', 'count', (x) => x.counts.unprocessed);
      row('missing', 'items missing afterwards (read back)', 'count', (x) => x.missing);
    }
  }
  return out;
}

export function limitsTargets(results: LimitsCaseResult[]): Target[] {
  const out: Target[] = [];
  for (const r of results) {
    const ours = run(r, 'ours', 'init');
    if (!ours) continue;
    const bound = 1.2 * (ours.counts.writeCapacityUnits / 1000) * 1000;
    out.push({
      name: `Under the model: full init within 1.2 × (write units ÷ 1,000) s (${r.size} flags)`,
      met: r.size >= 10000 ? ours.wallMs <= bound : null,
      detail: `${Math.round(ours.wallMs)} ms for ${Math.round(ours.counts.writeCapacityUnits)} WCU (bound ${Math.round(bound)} ms)`,
    });
    // The model limits throughput, not the writer's CPU; on Lambda the sync function gets SYNC_MEMORY_MB ÷
    // 1,769 of one CPU (bench/lib/cpu-cap.ts), so the init's CPU time stretched by that share must fit too.
    const cpuShare = SYNC_MEMORY_MB / FULL_CPU_MB;
    out.push({
      name: `Under the model: the init's CPU fits the sync function (${SYNC_MEMORY_MB} MB, ${(cpuShare * 100).toFixed(1)}% of a CPU) within the same bound (${r.size} flags)`,
      met: r.size >= 10000 ? ours.cpuMs / cpuShare <= bound : null,
      detail: `${Math.round(ours.cpuMs)} ms of CPU ÷ ${cpuShare.toFixed(3)} = ${Math.round(ours.cpuMs / cpuShare)} ms (bound ${Math.round(bound)} ms)`,
    });
    const resync = run(r, 'ours', 'resync-1pct');
    const lost = ours.missing + (resync?.missing ?? 0);
    out.push({
      name: `Under the model: nothing lost by our store (${r.size} flags)`,
      met: lost === 0,
      detail: `${lost} items missing after init and re-sync`,
    });
    // A throttled write is a throttled request or a batch entry held back (a PartiQL statement's throttling
    // error, an unprocessed item): each must be sent again. Counted against every write sent, batch entries one by one.
    const throttledWrites = ours.counts.throttled + ours.counts.unprocessed;
    const share = throttledWrites / Math.max(1, ours.counts.entries);
    out.push({
      name: `Under the model: throttled writes a small share (≤ 5%) of our init's (${r.size} flags)`,
      met: share <= 0.05,
      detail: `${throttledWrites} of ${ours.counts.entries} writes (${(share * 100).toFixed(1)}%; ${ours.counts.throttled} requests, ${ours.counts.unprocessed} batch entries) in ${ours.counts.totalRequests} requests`,
    });
    const peer = run(r, 'peer', 'init');
    if (peer)
      out.push({
        name: `Under the model: the peer's losses reported (${r.size} flags)`,
        met: null,
        detail: `peer: ${peer.missing} items missing after init, ${run(r, 'peer', 'resync-1pct')?.missing ?? '—'} after the 1% re-sync; ${peer.counts.throttled} throttled, ${peer.counts.unprocessed} unprocessed`,
      });
  }
  return out;
}
