// Lambda: a bounded stream session. Invoked on a schedule with {"environment": "<name>"} (optional when only
// one environment is configured), it holds LaunchDarkly's stream and applies put/patch/delete as they
// arrive, until middy's abort signal shortly before the deadline (or STREAM_SESSION_SECONDS, if set). The
// write under way when the signal fires completes before the function returns; the next invocation
// reconnects, and its put re-syncs whatever changed in between.
import type { Context } from 'aws-lambda';
import { selectEnvironments, type StreamSyncReport, type SyncProgress } from '../lib/sync/index.js';
import { loadSyncConfig } from './shared/config.js';
import { numberEnv } from './shared/env.js';
import { wrapHandler } from './shared/middy.js';
import { logger, recordSyncMetrics } from './shared/observability.js';
import { SyncRuntime } from './shared/runtime.js';
import { describeError, safeError } from './shared/secrets.js';

const runtime = new SyncRuntime(loadSyncConfig());
/** Lambda's maximum timeout is 900 s; a session is never longer than one invocation. */
const sessionSeconds = numberEnv('STREAM_SESSION_SECONDS', undefined, { min: 1, max: 900, unit: 'seconds' });

export interface StreamEvent {
  environment?: string;
  [key: string]: unknown;
}

export type StreamResult = { environment: string } & StreamSyncReport;

async function stream(event: StreamEvent, _context: Context, { signal }: { signal: AbortSignal }): Promise<StreamResult> {
  try {
    const env = environmentOf(event);
    let progress: SyncProgress | undefined;
    try {
      const report = await runtime.stream(
        env,
        signal,
        sessionSeconds === undefined ? undefined : sessionSeconds * 1000,
        (p) => (progress = p),
      );
      recordSyncMetrics(env.name, { failed: false, report });
      logger.info({ message: 'stream session ended', environment: env.name, ...report });
      return { environment: env.name, ...report };
    } catch (err) {
      // What was applied before the failure still counts.
      recordSyncMetrics(env.name, {
        failed: true,
        report: progress && { written: progress.written, unchanged: progress.unchanged, deleted: progress.deleted },
      });
      logger.error({ message: `stream sync failed: ${describeError(err)}`, environment: env.name });
      throw err;
    }
  } catch (err) {
    throw safeError(err);
  }
}

function environmentOf(event: StreamEvent) {
  const all = runtime.config.environments;
  const name = event !== null && typeof event === 'object' ? event.environment : undefined;
  if (name === undefined) {
    if (all.length === 1) return all[0]!;
    throw new TypeError(
      `stream event: "environment" is required when several environments are configured; one of ` +
        `${all.map((e) => JSON.stringify(e.name)).join(', ')}`,
    );
  }
  if (typeof name !== 'string') throw new TypeError(`stream event: "environment" must be a string, got ${JSON.stringify(name)}`);
  return selectEnvironments(all, name, 'stream event')[0]!;
}

export const handler = wrapHandler(stream, { stopBeforeDeadlineMs: 10_000 });
