// The deployment's metric contract, in one place: the namespace, service name, dimension and metric names the
// Lambda handlers publish (functions/shared/observability.ts, Powertools EMF) and the alarms watch
// (lib/infra/alarms.ts). A name spelled differently on one side would leave an alarm watching nothing, so both
// sides import these constants and neither writes a metric name as a string literal. Pure constants: runtime
// code may import this module, and lib/infra may too (it is not under lib/infra, which runtime never imports).

export const METRICS_NAMESPACE = 'LdDynamoDBSync';
export const SERVICE_NAME = 'ld-dynamodb-sync';
/** The dimension naming the LaunchDarkly environment a per-environment metric is about. */
export const ENVIRONMENT_DIMENSION = 'environment';

export const METRIC = {
  /** One per successful sync (poll, stream session, webhook-triggered poll). */
  syncSucceeded: 'SyncSucceeded',
  /** One per failed sync. */
  syncFailed: 'SyncFailed',
  itemsWritten: 'ItemsWritten',
  itemsUnchanged: 'ItemsUnchanged',
  itemsDeleted: 'ItemsDeleted',
  /** Items the table holds at a newer version than LaunchDarkly sent: a hand edit, a bug or a restore. */
  itemsStale: 'ItemsStale',
  /** Deletions a sync did not make because its data set was older than the table (see ItemsStale). */
  deletesSkipped: 'DeletesSkipped',
  syncDuration: 'SyncDuration',
  streamReconnects: 'StreamReconnects',
  /** A webhook delivery refused (bad method, size, signature, body or path); no environment dimension. */
  webhookRejected: 'WebhookRejected',
  /** A verified webhook delivery handed to an environment's sync function. */
  webhookDispatched: 'WebhookDispatched',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
