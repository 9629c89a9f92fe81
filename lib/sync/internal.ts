// Small helpers the sync functions share: option checking, running totals, and the report they end with.
import { type Logger, silentLogger } from '../util/logger.js';
import { unknownOption } from '../util/options.js';
import { SyncError } from './errors.js';
import type { ItemCounts, SyncProgress, SyncReport, SyncSource } from './types.js';

export const quiet: Logger = silentLogger;

/** Rejects unknown option keys (a typo would otherwise silently fall back to a default) and missing required ones. */
export function checkOptions(where: string, options: unknown, known: readonly string[], required: readonly string[]): void {
  if (options === null || typeof options !== 'object')
    throw new SyncError(`${where}: options must be an object, got ${options === null ? 'null' : typeof options}`);
  const unknown = unknownOption(options, known);
  if (unknown !== undefined) throw new SyncError(`${where}: ${unknown}`);
  for (const name of required) {
    if ((options as Record<string, unknown>)[name] === undefined) throw new SyncError(`${where}: option '${name}' is required`);
  }
}

export function checkFunction(where: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function')
    throw new SyncError(`${where}: option '${name}' must be a function, got ${typeof value}`);
}

/** Written / unchanged / deleted / stale, summed over the inits and single writes of one sync. */
export class Totals implements ItemCounts {
  written = 0;
  unchanged = 0;
  deleted = 0;
  stale = 0;

  /** Adds what one init (an InitSummary) or another count did. */
  addInit(summary: ItemCounts): void {
    this.written += summary.written;
    this.unchanged += summary.unchanged;
    this.deleted += summary.deleted;
    this.stale += summary.stale;
  }

  counts(): ItemCounts {
    return { written: this.written, unchanged: this.unchanged, deleted: this.deleted, stale: this.stale };
  }

  progress(phase: SyncProgress['phase'], events = 0): SyncProgress {
    return { phase, events, ...this.counts() };
  }

  report(source: SyncSource, notModified: boolean, startedAt: number): SyncReport {
    return { source, notModified, ...this.counts(), durationMs: Math.round(performance.now() - startedAt) };
  }
}

/** Calls a progress callback without letting its failure fail the sync. */
export function notify(onProgress: ((p: SyncProgress) => void) | undefined, progress: SyncProgress, logger: Logger): void {
  if (!onProgress) return;
  try {
    onProgress(progress);
  } catch (err) {
    logger.warn(`sync: the progress callback threw (${(err as Error)?.message ?? String(err)}); ignored`);
  }
}

/** The parts of an init summary worth keeping in the freshness item (no request or capacity details). */
export function summaryForRecord(report: SyncReport, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    notModified: report.notModified,
    written: report.written,
    unchanged: report.unchanged,
    deleted: report.deleted,
    stale: report.stale,
    durationMs: report.durationMs,
    ...extra,
  };
}
