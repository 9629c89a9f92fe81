// What the sync handlers (poll, stream) share around the sync core: which of the function's configured
// environments an event names, and one sync of it recorded the same way whatever the source, as the
// environment's metrics and one log line, on success and on failure.
import { type EnvironmentConfig, selectEnvironments } from '../../lib/sync/index.js';
import { logger, recordSyncMetrics, type SyncOutcome } from './observability.js';
import { describeError } from './error-report.js';

/**
 * The configured environment `event.environment` names. It may be left out only when one environment is
 * configured (a deployed function knows one); `where` names the event in messages ("poll event").
 */
export function eventEnvironment(event: unknown, all: readonly EnvironmentConfig[], where: string, whyRequired = ''): EnvironmentConfig {
  const name = event !== null && typeof event === 'object' ? (event as { environment?: unknown }).environment : undefined;
  if (name === undefined) {
    if (all.length === 1) return all[0]!;
    const names = all.map((e) => JSON.stringify(e.name)).join(', ');
    throw new TypeError(`${where}: "environment" is required when several environments are configured${whyRequired}; one of ${names}`);
  }
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`${where}: "environment" must be the name of a configured environment, got ${JSON.stringify(name)}`);
  }
  return selectEnvironments([...all], name, where)[0]!;
}

export interface SyncLogMessages {
  /** Logged with the report on success, e.g. "poll sync succeeded". */
  readonly succeeded: string;
  /** Logged with the (redacted) error on failure, e.g. "poll sync failed". */
  readonly failed: string;
}

/**
 * Runs one sync of `environment` and records it: the metrics and an info line with the report, or the failure
 * metric (with what `soFar` says was applied before it, when it knows) and an error line, then rethrows.
 */
export async function recordedSync<R extends NonNullable<SyncOutcome['report']>>(
  environment: string,
  messages: SyncLogMessages,
  run: () => Promise<R>,
  soFar?: () => SyncOutcome['report'],
): Promise<R> {
  try {
    const report = await run();
    recordSyncMetrics(environment, { failed: false, report });
    logger.info({ message: messages.succeeded, environment, ...report });
    return report;
  } catch (err) {
    const applied = soFar?.();
    recordSyncMetrics(environment, { failed: true, ...(applied !== undefined && { report: applied }) });
    logger.error({ message: `${messages.failed}: ${describeError(err)}`, environment });
    throw err;
  }
}
