// Structured logs and CloudWatch metrics for the handlers (Powertools Logger and Metrics, one instance each
// per function, built at cold start). Metrics carry the dimension "environment"; the names are the
// deployment's contract (dashboards and alarms use them), kept in lib/observability/metric-names.ts, which the
// alarms import too.
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { ENVIRONMENT_DIMENSION, METRIC, type MetricName } from '../../lib/observability/metric-names.js';
import type { Logger as CoreLogger } from '../../lib/util/logger.js';
import type { SyncReport } from '../../lib/sync/index.js';
import { redact } from './secrets.js';

export const logger = new Logger();
// Its own warnings (e.g. an invocation with no metrics) go through the logger, as structured lines.
export const metrics = new Metrics({ logger });

/**
 * The logger handed to the sync core, the sources and the store: messages go to Powertools with the
 * environment as a key, and pass through `redact` first.
 */
export function coreLogger(environment: string): CoreLogger {
  const forward =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      const text = args
        .map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : typeof a === 'string' ? a : JSON.stringify(a)))
        .join(' ');
      logger[level]({ message: redact(text), environment });
    };
  return { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error') };
}

export interface SyncOutcome {
  /** Counts so far; for a failed stream session, what it applied before failing. */
  report?: Partial<Pick<SyncReport, 'written' | 'unchanged' | 'deleted' | 'stale' | 'durationMs'>> & {
    reconnects?: number;
    deletesSkipped?: number;
  };
  failed: boolean;
}

let metricsEnvironment: string | undefined;

/**
 * Adds one environment's metrics. EMF gives a blob one value per dimension, so when a second environment
 * starts, the first one's metrics are published; the last environment's are left for logMetrics to flush.
 */
export function recordSyncMetrics(environment: string, outcome: SyncOutcome): void {
  if (metricsEnvironment !== environment && metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  metricsEnvironment = environment;
  metrics.addDimension(ENVIRONMENT_DIMENSION, environment);
  metrics.addMetric(outcome.failed ? METRIC.syncFailed : METRIC.syncSucceeded, MetricUnit.Count, 1);
  const r = outcome.report;
  if (!r) return;
  if (r.written !== undefined) metrics.addMetric(METRIC.itemsWritten, MetricUnit.Count, r.written);
  if (r.unchanged !== undefined) metrics.addMetric(METRIC.itemsUnchanged, MetricUnit.Count, r.unchanged);
  if (r.deleted !== undefined) metrics.addMetric(METRIC.itemsDeleted, MetricUnit.Count, r.deleted);
  // Published even when 0, so the stale alarm's M-of-N window sees the syncs that were clean.
  if (r.stale !== undefined) metrics.addMetric(METRIC.itemsStale, MetricUnit.Count, r.stale);
  if (r.deletesSkipped !== undefined) metrics.addMetric(METRIC.deletesSkipped, MetricUnit.Count, r.deletesSkipped);
  if (r.durationMs !== undefined) metrics.addMetric(METRIC.syncDuration, MetricUnit.Milliseconds, r.durationMs);
  if (r.reconnects !== undefined) metrics.addMetric(METRIC.streamReconnects, MetricUnit.Count, r.reconnects);
}

/** A verified webhook delivery handed to an environment's poll function. */
export function recordWebhookDispatch(environment: string): void {
  if (metricsEnvironment !== environment && metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  metricsEnvironment = environment;
  metrics.addDimension(ENVIRONMENT_DIMENSION, environment);
  metrics.addMetric(METRIC.webhookDispatched, MetricUnit.Count, 1);
}

/** A metric without the environment dimension (e.g. a rejected webhook call, which names no environment we trust). */
export function recordFunctionMetric(name: MetricName, value = 1): void {
  if (metricsEnvironment !== undefined && metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  metricsEnvironment = undefined;
  metrics.addMetric(name, MetricUnit.Count, value);
}

/** Called at the start of each invocation: the previous invocation's metrics were flushed by logMetrics. */
export function resetMetricsEnvironment(): void {
  metricsEnvironment = undefined;
}
