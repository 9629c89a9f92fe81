// runPollSync and runFileSync: one full sync of a data set into the store. The store's init is a diff, so a
// sync where nothing changed writes nothing; a 304 from LaunchDarkly skips even the diff. Either way the data
// was confirmed current, so the freshness item is written.
import { withRetries } from '../launchdarkly/backoff.js';
import { isRecoverable } from '../launchdarkly/errors.js';
import { readDataFile } from '../launchdarkly/file.js';
import type { FullDataSet } from '../model/types.js';
import { errorText } from '../util/error-text.js';
import { SyncError } from './errors.js';
import { Totals, checkFunction, checkOptions, notify, quiet, summaryForRecord } from './internal.js';
import type { Logger } from '../util/logger.js';
import type { Poller, SyncProgress, SyncReport, SyncStore } from './types.js';

/** Retries of recoverable LaunchDarkly failures within one poll sync. */
export interface PollRetryOptions {
  /** Total attempts, the first included. Default 3. */
  attempts?: number;
  /** Default 1000 ms (LaunchDarkly's initial delay). */
  initialDelayMs?: number;
  /** Default 5000 ms: a scheduled sync retries a few times quickly, then leaves the rest to the next run. */
  maxDelayMs?: number;
}

export interface PollSyncOptions {
  store: SyncStore;
  poller: Poller;
  /** Recorded as the sync's source. Default 'poll'; the webhook handler passes 'webhook'. */
  source?: 'poll' | 'webhook';
  /** Stops waiting for LaunchDarkly (a retry delay or the request itself); a store write under way completes. */
  signal?: AbortSignal;
  retry?: PollRetryOptions;
  logger?: Logger;
  onProgress?: (progress: SyncProgress) => void;
}

const POLL_OPTIONS = ['store', 'poller', 'source', 'signal', 'retry', 'logger', 'onProgress'] as const;
const RETRY_OPTIONS = ['attempts', 'initialDelayMs', 'maxDelayMs'];
const DEFAULT_RETRY: Required<PollRetryOptions> = { attempts: 3, initialDelayMs: 1000, maxDelayMs: 5000 };

/**
 * Fetches LaunchDarkly's full data set and applies it. Recoverable failures (5xx, 400/408/429, network) are
 * retried a bounded number of times with LaunchDarkly's backoff; a final one (401, 403, 404…) is thrown at
 * once. Source and store errors are thrown unchanged (HttpStatusError, NetworkError, PayloadError,
 * WriteFailedError, PartialInitError…); the freshness item is written only when everything was applied.
 */
export async function runPollSync(options: PollSyncOptions): Promise<SyncReport> {
  const where = 'runPollSync';
  checkOptions(where, options, POLL_OPTIONS, ['store', 'poller']);
  if (typeof options.poller.fetchAll !== 'function') throw new SyncError(`${where}: option 'poller' must have a fetchAll() method`);
  checkFunction(where, 'onProgress', options.onProgress);
  const source = options.source ?? 'poll';
  if (source !== 'poll' && source !== 'webhook')
    throw new SyncError(`${where}: option 'source' must be 'poll' or 'webhook', got ${JSON.stringify(source)}`);
  const retry = retryOptions(where, options.retry);
  const { store, poller, signal, onProgress } = options;
  const logger = options.logger ?? quiet;

  const started = performance.now();
  const totals = new Totals();
  notify(onProgress, totals.progress('fetching'), logger);
  // The snapshot is at least as new as the request that fetched it: that moment orders racing full syncs.
  let requestedAt = Date.now();
  const fetchOnce = () => {
    requestedAt = Date.now();
    return poller.fetchAll({ signal });
  };
  const result = await withRetries(fetchOnce, {
    ...retry,
    signal,
    shouldRetry: isRecoverable,
    onRetry: (err, attempt, delayMs) =>
      logger.warn(`poll: attempt ${attempt} of ${retry.attempts} failed (${errorText(err)}); retrying in ${delayMs} ms`),
  });

  if (result.notModified) {
    const report = totals.report(source, true, started);
    logger.info('poll: LaunchDarkly answered 304 Not Modified; nothing to write');
    await store.recordSync({ source, summary: summaryForRecord(report) });
    notify(onProgress, totals.progress('done'), logger);
    return report;
  }
  return apply(store, result.data, source, totals, started, {
    logger,
    onProgress,
    onFailure: () => poller.forgetEtag?.(),
    snapshotAt: requestedAt,
  });
}

export interface FileSyncOptions {
  store: SyncStore;
  /** A JSON file in the `GET /sdk/latest-all` shape. */
  path: string;
  logger?: Logger;
  onProgress?: (progress: SyncProgress) => void;
}

const FILE_OPTIONS = ['store', 'path', 'logger', 'onProgress'] as const;

/** Reads a data file and applies it, as runPollSync does a fetched data set. */
export async function runFileSync(options: FileSyncOptions): Promise<SyncReport> {
  const where = 'runFileSync';
  checkOptions(where, options, FILE_OPTIONS, ['store', 'path']);
  if (typeof options.path !== 'string' || options.path === '')
    throw new SyncError(`${where}: option 'path' must be a file path, got ${JSON.stringify(options.path)}`);
  checkFunction(where, 'onProgress', options.onProgress);
  const logger = options.logger ?? quiet;
  const started = performance.now();
  const totals = new Totals();
  notify(options.onProgress, totals.progress('fetching'), logger);
  const data = await readDataFile(options.path);
  return apply(options.store, data, 'file', totals, started, { logger, onProgress: options.onProgress });
}

async function apply(
  store: SyncStore,
  data: FullDataSet,
  source: SyncReport['source'],
  totals: Totals,
  started: number,
  hooks: { logger: Logger; onProgress?: (p: SyncProgress) => void; onFailure?: () => void; snapshotAt?: number },
): Promise<SyncReport> {
  const { logger, onProgress } = hooks;
  notify(onProgress, totals.progress('writing'), logger);
  try {
    totals.addInit(await store.init(data, hooks.snapshotAt === undefined ? undefined : { snapshotAt: hooks.snapshotAt }));
  } catch (err) {
    // The data could not all be applied: make sure the next poll gets the full body again, not a 304.
    hooks.onFailure?.();
    throw err;
  }
  const report = totals.report(source, false, started);
  await store.recordSync({ source, summary: summaryForRecord(report) });
  logger.info(
    `${source}: synced ${report.written} written, ${report.unchanged} unchanged, ${report.deleted} ` +
      `deleted, ${report.stale} stale in ${report.durationMs} ms`,
  );
  notify(onProgress, totals.progress('done'), logger);
  return report;
}

function retryOptions(where: string, retry: PollRetryOptions | undefined): Required<PollRetryOptions> {
  if (retry === undefined) return DEFAULT_RETRY;
  checkOptions(`${where}: retry`, retry, RETRY_OPTIONS, []);
  const out = { ...DEFAULT_RETRY };
  for (const name of RETRY_OPTIONS as (keyof PollRetryOptions)[]) {
    const value = retry[name];
    if (value === undefined) continue;
    const ok = name === 'attempts' ? Number.isInteger(value) && value >= 1 && value <= 10 : Number.isFinite(value) && value >= 0;
    if (!ok) {
      const expected = name === 'attempts' ? 'an integer from 1 to 10' : 'a non-negative number of milliseconds';
      throw new SyncError(`${where}: option 'retry.${name}' must be ${expected}, got ${JSON.stringify(value)}`);
    }
    out[name] = value;
  }
  return out;
}
