// Alarms on what the functions publish (Powertools Metrics, EMF). Per LaunchDarkly environment: failing syncs,
// stale data (no successful sync within the configured window), and rows stuck ahead of LaunchDarkly (ItemsStale
// and DeletesSkipped reported by sync after sync). For the stack: invocations that landed in the failure queue,
// and a spike of rejected webhook deliveries. The metric identity is the handlers' own, from one module both
// sides import (lib/observability/metric-names.ts): namespace, dimensions `service` (Powertools adds
// POWERTOOLS_SERVICE_NAME) and `environment`. All sync functions share one service name, so a success from a
// poll, a stream session or a webhook-triggered poll counts alike.
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENVIRONMENT_DIMENSION, METRIC, METRICS_NAMESPACE, SERVICE_NAME, type MetricName } from '../observability/metric-names.js';

export { METRICS_NAMESPACE, SERVICE_NAME };

/** Rejected webhook deliveries within five minutes that raise the alarm: LaunchDarkly itself never gets one. */
export const WEBHOOK_REJECTED_THRESHOLD = 10;
/** Consecutive sync-sized windows a stale row must be seen in before the alarm fires. */
export const STALE_WINDOWS = 3;

export interface EnvironmentAlarmsProps {
  readonly environment: string;
  /** No SyncSucceeded within this many minutes means the table is stale. */
  readonly stalenessMinutes: number;
  /** Minutes between scheduled polls: a window of the stuck-row alarms holds at least one sync. */
  readonly pollRateMinutes: number;
  readonly actions: readonly IAlarmAction[];
}

function metric(metricName: MetricName, period: Duration, statistic: string, environment?: string): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME, ...(environment !== undefined && { [ENVIRONMENT_DIMENSION]: environment }) },
    statistic,
    period,
  });
}

export class EnvironmentAlarms extends Construct {
  readonly syncFailed: Alarm;
  readonly stale: Alarm;
  readonly rowsAhead: Alarm;
  readonly deletesSkipped: Alarm;

  constructor(scope: Construct, id: string, props: EnvironmentAlarmsProps) {
    super(scope, id);
    const env = props.environment;

    // One failed run is routine (LaunchDarkly or DynamoDB hiccups; the next run repairs it). Failures in two of
    // three five-minute windows are a pattern worth a look, before the staleness alarm says it is serious.
    this.syncFailed = new Alarm(this, 'SyncFailed', {
      alarmDescription: `ld-dynamodb-sync: syncs of LaunchDarkly environment "${env}" keep failing (see the sync functions' logs)`,
      metric: metric(METRIC.syncFailed, Duration.minutes(5), 'Sum', env),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    // No data at all is the worst case (nothing runs, or nothing succeeds), hence missing data is breaching.
    this.stale = new Alarm(this, 'Stale', {
      alarmDescription:
        `ld-dynamodb-sync: no successful sync of LaunchDarkly environment "${env}" in ${props.stalenessMinutes} minutes; ` +
        'consumers evaluate flags from stale data',
      metric: metric(METRIC.syncSucceeded, Duration.minutes(props.stalenessMinutes), 'Sum', env),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.BREACHING,
    });

    // A row ahead of LaunchDarkly for one sync is a race (a stream write ahead of a poll's snapshot) the next sync
    // settles. Every sync publishes ItemsStale and DeletesSkipped, zeros included, so the Minimum over a window is
    // at least 1 only when every sync in it found such rows: STALE_WINDOWS such windows in a row is a row stuck
    // ahead (a hand edit, a bug, a restore), which makes every sync skip its deletions. The log names the keys.
    const window = Duration.minutes(Math.max(5, props.pollRateMinutes));
    const persisting = (alarmId: string, metricName: MetricName, what: string) =>
      new Alarm(this, alarmId, {
        alarmDescription:
          `ld-dynamodb-sync: every sync of LaunchDarkly environment "${env}" for ${STALE_WINDOWS} windows of ` +
          `${window.toMinutes()} minutes ` +
          `${what}; the sync functions' logs name the rows (staleKeys)`,
        metric: metric(metricName, window, 'Minimum', env),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: STALE_WINDOWS,
        datapointsToAlarm: STALE_WINDOWS,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    this.rowsAhead = persisting('ItemsStale', METRIC.itemsStale, 'found rows at a version ahead of LaunchDarkly (ItemsStale)');
    this.deletesSkipped = persisting('DeletesSkipped', METRIC.deletesSkipped, 'skipped deletions because of such rows (DeletesSkipped)');

    for (const alarm of [this.syncFailed, this.stale, this.rowsAhead, this.deletesSkipped]) {
      alarm.addAlarmAction(...props.actions);
      alarm.addOkAction(...props.actions);
    }
  }
}

/** Fires as soon as a scheduled invocation could not be delivered or failed for good. */
export function failedInvocationsAlarm(scope: Construct, id: string, queue: IQueue, actions: readonly IAlarmAction[]): Alarm {
  const alarm = new Alarm(scope, id, {
    alarmDescription:
      'ld-dynamodb-sync: a scheduled sync invocation failed and was sent to the failure queue (the message holds the error)',
    metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    threshold: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(...actions);
  return alarm;
}

/**
 * Fires when the public webhook URL refuses many deliveries in five minutes: LaunchDarkly's own deliveries pass,
 * so a spike is someone probing the URL, or a signing secret out of step after a rotation (see docs/security.md).
 */
export function webhookRejectedAlarm(scope: Construct, id: string, actions: readonly IAlarmAction[]): Alarm {
  const alarm = new Alarm(scope, id, {
    alarmDescription:
      `ld-dynamodb-sync: the webhook refused ${WEBHOOK_REJECTED_THRESHOLD} or more deliveries in 5 minutes ` +
      '(forged or unsigned requests, or a webhook secret that differs from LaunchDarkly’s after a rotation)',
    metric: metric(METRIC.webhookRejected, Duration.minutes(5), 'Sum'),
    threshold: WEBHOOK_REJECTED_THRESHOLD,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(...actions);
  alarm.addOkAction(...actions);
  return alarm;
}
