// runStreamSync: holds LaunchDarkly's stream for one bounded session and applies what it carries to the
// store, strictly in order: put → init (a diff: a reconnect's put rewrites only what changed), patch →
// upsert, delete → tombstone. The session ends on the caller's signal (the Lambda deadline), after
// `durationMs`, on a final HTTP error (401…) or when a write cannot be made; it resolves only after the
// write under way has completed, so nothing received is half-applied.
//
// Freshness is recorded after each put the store took whole, and again at the end of a clean session (the
// patches since were applied too). Items the store rejects as invalid or too large are logged and the
// session goes on, so one bad flag does not stop every other update; but the session then ends in that
// error (unless a later put was taken whole), so the run still fails loudly and the table is not claimed fresh.
import type { StreamRetryOptions } from '../launchdarkly/streaming.js';
import type { Logger } from '../util/logger.js';
import { StreamingClient } from '../launchdarkly/streaming.js';
import type { StreamEvent } from '../launchdarkly/parse.js';
import { ItemTooLargeError, ItemValidationError, PartialInitError } from '../store/errors.js';
import { NoDataError, SyncError } from './errors.js';
import { Totals, checkFunction, checkOptions, notify, quiet, summaryForRecord } from './internal.js';
import type { StreamSyncReport, Streamer, SyncProgress, SyncStore } from './types.js';

export interface StreamSyncOptions {
  store: SyncStore;
  /** The stream source, e.g. a StreamingClient; or leave it out and give sdkKey and streamUri instead. */
  streamer?: Streamer;
  /** Without `streamer`: the environment's server-side SDK key; never logged. */
  sdkKey?: string;
  /** Without `streamer`: https://stream.launchdarkly.com, or a Relay Proxy's URL. */
  streamUri?: string;
  /** Ends the session; the write under way completes first. */
  signal?: AbortSignal;
  /** Ends the session after this long. */
  durationMs?: number;
  logger?: Logger;
  onProgress?: (progress: SyncProgress) => void;
  /** Without `streamer`: reconnect timing; LaunchDarkly's by default (tests shrink the delays). */
  retry?: Partial<StreamRetryOptions>;
}

const STREAM_OPTIONS = ['store', 'sdkKey', 'streamUri', 'signal', 'durationMs', 'logger', 'onProgress', 'retry', 'streamer'] as const;
const CLIENT_OPTIONS = ['sdkKey', 'streamUri', 'retry'] as const;

/** Throws a SyncError naming the option that is missing, unknown, doubled or of the wrong kind. */
function checkStreamOptions(options: StreamSyncOptions): void {
  const where = 'runStreamSync';
  const injected = (options as { streamer?: unknown } | null)?.streamer !== undefined;
  checkOptions(where, options, STREAM_OPTIONS, injected ? ['store'] : ['store', 'sdkKey', 'streamUri']);
  const both = injected ? CLIENT_OPTIONS.find((name) => options[name] !== undefined) : undefined;
  if (both !== undefined)
    throw new SyncError(`${where}: option '${both}' is the streamer's to hold; give either 'streamer' or the client options`);
  if (injected && typeof options.streamer?.session !== 'function') {
    throw new SyncError(`${where}: option 'streamer' must have a session() method`);
  }
  checkFunction(where, 'onProgress', options.onProgress);
  if (options.durationMs !== undefined && !(typeof options.durationMs === 'number' && options.durationMs > 0)) {
    throw new SyncError(
      `${where}: option 'durationMs' must be a positive number of milliseconds, got ${JSON.stringify(options.durationMs)}`,
    );
  }
}

/**
 * Runs one stream session into the store and returns what it did. Rejects with the error that ended it (an
 * HttpStatusError for a final status such as 401, the store's error for a write that could not be made), with
 * a PartialInitError / ItemValidationError / ItemTooLargeError left outstanding by rejected items, or with
 * NoDataError when the session ended before LaunchDarkly sent any data.
 */
export async function runStreamSync(options: StreamSyncOptions): Promise<StreamSyncReport> {
  checkStreamOptions(options);
  const { store, onProgress } = options;
  const logger = options.logger ?? quiet;
  const started = performance.now();
  const totals = new Totals();
  let events = 0;
  let puts = 0;
  /** Items rejected since the last put the store took whole; a later whole put clears it. */
  let outstanding: Error | undefined;

  const summary = () => summaryForRecord(totals.report('stream', false, started), { events, puts });

  const apply = async (event: StreamEvent): Promise<void> => {
    switch (event.type) {
      case 'put': {
        try {
          totals.addInit(await store.init(event.data));
          outstanding = undefined;
        } catch (err) {
          if (!(err instanceof PartialInitError)) throw err;
          totals.addInit(err.summary);
          outstanding = err;
          logger.error(`stream: ${err.message}; the other items were applied and the session goes on`);
        }
        puts++;
        if (!outstanding) await store.recordSync({ source: 'stream', summary: summary() });
        break;
      }
      case 'patch': {
        try {
          if (await store.upsert(event.kind, event.item)) totals.written++;
          else totals.unchanged++; // the table had this version or a newer one
        } catch (err) {
          if (!(err instanceof ItemValidationError || err instanceof ItemTooLargeError)) throw err;
          outstanding = err;
          logger.error(`stream: ${err.message}; patch skipped and the session goes on`);
        }
        break;
      }
      case 'delete': {
        if (await store.delete(event.kind, event.key, event.version)) totals.deleted++;
        else totals.unchanged++;
        break;
      }
    }
    events++;
    notify(onProgress, totals.progress('streaming', events), logger);
  };

  notify(onProgress, totals.progress('streaming', 0), logger);
  const streamer =
    options.streamer ?? new StreamingClient({ sdkKey: options.sdkKey!, streamUri: options.streamUri!, retry: options.retry });
  const session = await streamer.session({ onEvent: apply, signal: options.signal, durationMs: options.durationMs, logger });

  if (session.endedBy === 'error') throw session.error ?? new SyncError('stream: the session ended with an unknown error');
  if (puts === 0) {
    throw new NoDataError(
      `stream: the session ended (${session.endedBy === 'signal' ? 'signal' : 'duration elapsed'}) before LaunchDarkly sent any data, ` +
        `after ${session.reconnects} reconnect(s); nothing was synced`,
    );
  }
  if (outstanding) throw outstanding;
  const report: StreamSyncReport = {
    ...totals.report('stream', false, started),
    events: session.events,
    reconnects: session.reconnects,
    endedBy: session.endedBy,
  };
  await store.recordSync({ source: 'stream', summary: { ...summary(), reconnects: session.reconnects, endedBy: session.endedBy } });
  notify(onProgress, { ...totals.progress('done', events), reconnects: session.reconnects }, logger);
  return report;
}
