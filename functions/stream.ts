// Lambda: a bounded stream session. Invoked on a schedule with {"environment": "<name>"} (optional when only
// one environment is configured), it holds LaunchDarkly's stream and applies put/patch/delete as they
// arrive, until middy's abort signal shortly before the deadline (or STREAM_SESSION_SECONDS, if set). The
// write under way when the signal fires completes before the function returns; the next invocation
// reconnects, and its put re-syncs whatever changed in between.
import type { Context } from 'aws-lambda';
import type { StreamSyncReport, SyncProgress } from '../lib/sync/index.js';
import { loadSyncConfig } from './shared/config.js';
import { numberEnv } from './shared/env.js';
import { wrapHandler } from './shared/middy.js';
import { SyncRuntime } from './shared/runtime.js';
import { eventEnvironment, recordedSync } from './shared/sync-run.js';

const runtime = new SyncRuntime(loadSyncConfig());
/** Lambda's maximum timeout is 900 s; a session is never longer than one invocation. */
const sessionSeconds = numberEnv('STREAM_SESSION_SECONDS', undefined, { min: 1, max: 900, unit: 'seconds' });

export interface StreamEvent {
  environment?: string;
  [key: string]: unknown;
}

export type StreamResult = { environment: string } & StreamSyncReport;

async function stream(event: StreamEvent, _context: Context, { signal }: { signal: AbortSignal }): Promise<StreamResult> {
  const env = eventEnvironment(event, runtime.config.environments, 'stream event');
  const durationMs = sessionSeconds === undefined ? undefined : sessionSeconds * 1000;
  let progress: SyncProgress | undefined;
  const report = await recordedSync(
    env.name,
    { succeeded: 'stream session ended', failed: 'stream sync failed' },
    () => runtime.stream(env, signal, durationMs, (p) => (progress = p)),
    // What was applied before the failure still counts.
    () => progress && { written: progress.written, unchanged: progress.unchanged, deleted: progress.deleted },
  );
  return { environment: env.name, ...report };
}

export const handler = wrapHandler(stream, { stopBeforeDeadlineMs: 10_000 });
