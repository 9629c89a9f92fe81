// Alarms on what the sync functions publish (Powertools Metrics, EMF): per LaunchDarkly environment, one alarm
// for failing syncs and one for stale data (no successful sync within the configured window), plus one for
// invocations that landed in the failure queue. The metric identity must match what the handlers emit exactly:
// namespace POWERTOOLS_METRICS_NAMESPACE, dimensions `service` (Powertools adds POWERTOOLS_SERVICE_NAME) and
// `environment`. All sync functions share one service name, so a success from poll, stream or webhook counts.
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export const METRICS_NAMESPACE = 'LdDynamoDBSync';
export const SERVICE_NAME = 'ld-dynamodb-sync';

export interface EnvironmentAlarmsProps {
  readonly environment: string;
  /** No SyncSucceeded within this many minutes means the table is stale. */
  readonly stalenessMinutes: number;
  readonly actions: readonly IAlarmAction[];
}

export class EnvironmentAlarms extends Construct {
  readonly syncFailed: Alarm;
  readonly stale: Alarm;

  constructor(scope: Construct, id: string, props: EnvironmentAlarmsProps) {
    super(scope, id);
    const metric = (metricName: string, period: Duration) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: SERVICE_NAME, environment: props.environment },
        statistic: 'Sum',
        period,
      });

    // One failed run is routine (LaunchDarkly or DynamoDB hiccups; the next run repairs it). Failures in two of
    // three five-minute windows are a pattern worth a look, before the staleness alarm says it is serious.
    this.syncFailed = new Alarm(this, 'SyncFailed', {
      alarmDescription: `ld-dynamodb-sync: syncs of LaunchDarkly environment "${props.environment}" keep failing (see the sync functions' logs)`,
      metric: metric('SyncFailed', Duration.minutes(5)),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    // No data at all is the worst case (nothing runs, or nothing succeeds), hence missing data is breaching.
    this.stale = new Alarm(this, 'Stale', {
      alarmDescription:
        `ld-dynamodb-sync: no successful sync of LaunchDarkly environment "${props.environment}" in ${props.stalenessMinutes} minutes; ` +
        'consumers evaluate flags from stale data',
      metric: metric('SyncSucceeded', Duration.minutes(props.stalenessMinutes)),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.BREACHING,
    });

    for (const alarm of [this.syncFailed, this.stale]) {
      alarm.addAlarmAction(...props.actions);
      alarm.addOkAction(...props.actions);
    }
  }
}

/** Fires as soon as a scheduled invocation could not be delivered or failed for good. */
export function failedInvocationsAlarm(scope: Construct, id: string, queue: IQueue, actions: readonly IAlarmAction[]): Alarm {
  const alarm = new Alarm(scope, id, {
    alarmDescription: 'ld-dynamodb-sync: a scheduled sync invocation failed and was sent to the failure queue (the message holds the error)',
    metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    threshold: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(...actions);
  return alarm;
}
