// EnvironmentSync: everything one LaunchDarkly environment owns in the stack. Its SDK-key secret; its poll
// function with its own schedule; with streaming, its stream function with its own schedule; its alarms. Each
// function reads this environment's secret only and may write this environment's rows only (a LeadingKeys
// condition on its prefix, see FlagTable), and has its own deadline, so environments never wait for each other.
//
// Concurrency: a sync of one environment must not race another sync of the same environment inside one
// function, so each function has a reserved concurrency of 1. A scheduled or webhook-triggered invocation that
// arrives while the previous one runs is throttled and kept in Lambda's asynchronous queue until it can run (up
// to its maximum event age), never dropped on the floor. Poll and stream syncs of one environment may overlap;
// the writer's version-guarded writes make that safe (an older version never replaces a newer one).
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import type { IDestination } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EnvironmentAlarms } from './alarms.js';
import type { EnvironmentSettings } from './config.js';
import type { FlagTable } from './flag-table.js';
import { LambdaFunction } from './lambda-function.js';
import { placeholderSecret } from './placeholder-secret.js';

/** How often a stream session starts; the stream function's timeout is Lambda's maximum, 15 minutes. */
export const STREAM_SESSION = Duration.minutes(15);
/** The sync functions' memory, hence their share of a CPU (memory ÷ 1,769 MB): 28.9%. */
export const SYNC_MEMORY_MB = 512;
/** A poll of one environment: a few fetches with retries and one diff; well within a minute. */
export const POLL_TIMEOUT = Duration.seconds(60);

export interface EnvironmentSyncProps {
  readonly settings: EnvironmentSettings;
  readonly flagTable: FlagTable;
  /** Variables every sync function gets (table, metrics, LaunchDarkly URIs). */
  readonly environment: Readonly<Record<string, string>>;
  readonly pollRateMinutes: number;
  readonly stalenessMinutes: number;
  readonly streaming: boolean;
  readonly logRetention: RetentionDays;
  readonly onFailure: IDestination;
  readonly failureQueue: IQueue;
  readonly alarmActions: readonly IAlarmAction[];
}

export class EnvironmentSync extends Construct {
  readonly settings: EnvironmentSettings;
  readonly sdkKeySecret: ISecret;
  readonly poll: LambdaFunction;
  readonly pollSchedule: Rule;
  /** Present when streaming is enabled. */
  readonly stream?: LambdaFunction;
  readonly streamSchedule?: Rule;
  readonly alarms: EnvironmentAlarms;

  constructor(scope: Construct, id: string, props: EnvironmentSyncProps) {
    super(scope, id);
    const { settings } = props;
    this.settings = settings;
    this.sdkKeySecret = settings.sdkKeySecretArn
      ? Secret.fromSecretCompleteArn(this, 'SdkKey', settings.sdkKeySecretArn)
      : placeholderSecret(
          this,
          'SdkKey',
          `LaunchDarkly server-side SDK key of environment "${settings.name}" (put the key here after deploying)`,
        );
    new CfnOutput(this, 'SdkKeySecretArn', {
      value: this.sdkKeySecret.secretArn,
      description: `Secret to put the SDK key of LaunchDarkly environment "${settings.name}" in`,
    });
    // This environment only: its functions know of no other environment, prefix or secret.
    const ldEnvironments = Stack.of(this).toJsonString([
      {
        name: settings.name,
        ...(settings.prefix !== undefined && { prefix: settings.prefix }),
        sdkKeySecretId: this.sdkKeySecret.secretArn,
      },
    ]);
    const environment = { ...props.environment, LD_ENVIRONMENTS: ldEnvironments };

    // A failed run is not retried: the next scheduled run is the retry, and an event older than one interval is
    // superseded by a newer one.
    const pollInterval = Duration.minutes(props.pollRateMinutes);
    const eventAge = Duration.seconds(Math.max(60, pollInterval.toSeconds()));
    this.poll = this.syncFunction(props, environment, {
      id: 'Poll',
      entry: 'poll.ts',
      description: `ld-dynamodb-sync: polls LaunchDarkly for environment "${settings.name}" and writes its flags to the table`,
      timeout: POLL_TIMEOUT,
      maxEventAge: eventAge,
    });
    new CfnOutput(this, 'PollFunctionName', {
      value: this.poll.fn.functionName,
      description: `Invoke to sync environment "${settings.name}" now (e.g. right after putting its SDK key)`,
    });
    this.pollSchedule = this.schedule(props, this.poll, {
      id: 'PollSchedule',
      description: `ld-dynamodb-sync: poll LaunchDarkly environment "${settings.name}" every ${props.pollRateMinutes} minute(s)`,
      rate: pollInterval,
      maxEventAge: eventAge,
    });

    if (props.streaming) {
      // Lambda's maximum timeout; the handler closes the stream and flushes its writes shortly before the
      // deadline. An event older than one session is superseded by the next schedule.
      this.stream = this.syncFunction(props, environment, {
        id: 'Stream',
        entry: 'stream.ts',
        description: `ld-dynamodb-sync: holds a LaunchDarkly stream for environment "${settings.name}" until shortly before the timeout`,
        timeout: STREAM_SESSION,
        maxEventAge: STREAM_SESSION,
      });
      this.streamSchedule = this.schedule(props, this.stream, {
        id: 'StreamSchedule',
        description: `ld-dynamodb-sync: start a stream session for LaunchDarkly environment "${settings.name}"`,
        rate: STREAM_SESSION,
        maxEventAge: STREAM_SESSION,
        event: { environment: settings.name },
      });
    }
    this.alarms = new EnvironmentAlarms(this, 'Alarms', {
      environment: settings.name,
      stalenessMinutes: props.stalenessMinutes,
      pollRateMinutes: props.pollRateMinutes,
      actions: props.alarmActions,
    });
  }

  /**
   * One of this environment's sync functions: reserved concurrency 1 (see the header), no retry of a failed
   * asynchronous run (the next scheduled one is the retry), this environment's rows and SDK key only.
   */
  private syncFunction(
    props: EnvironmentSyncProps,
    environment: Record<string, string>,
    fn: { id: string; entry: string; description: string; timeout: Duration; maxEventAge: Duration },
  ): LambdaFunction {
    const created = new LambdaFunction(this, fn.id, {
      entry: fn.entry,
      description: fn.description,
      memorySize: SYNC_MEMORY_MB,
      timeout: fn.timeout,
      environment,
      logRetention: props.logRetention,
      reservedConcurrentExecutions: 1,
      asyncInvoke: { onFailure: props.onFailure, retryAttempts: 0, maxEventAge: fn.maxEventAge },
    });
    this.grantSync(created, props.flagTable);
    return created;
  }

  /** The rule that invokes a sync function on its schedule, with the stack's dead-letter queue for misses. */
  private schedule(
    props: EnvironmentSyncProps,
    target: LambdaFunction,
    rule: { id: string; description: string; rate: Duration; maxEventAge: Duration; event?: Record<string, string> },
  ): Rule {
    return new Rule(this, rule.id, {
      description: rule.description,
      schedule: Schedule.rate(rule.rate),
      targets: [
        new LambdaTarget(target.fn, {
          ...(rule.event !== undefined && { event: RuleTargetInput.fromObject(rule.event) }),
          deadLetterQueue: props.failureQueue,
          retryAttempts: 2,
          maxEventAge: rule.maxEventAge,
        }),
      ],
    });
  }

  /** This environment's rows of the table and its own SDK key; nothing else. */
  private grantSync(fn: LambdaFunction, table: FlagTable): void {
    table.grantSyncWrite(fn.role, { prefixes: [this.settings.prefix] });
    this.sdkKeySecret.grantRead(fn.role);
  }
}
