// LdDynamoDBSyncStack: everything `cdk deploy` ships. The flag table; the poll, stream and webhook functions that
// write LaunchDarkly's data into it; their schedules and the webhook's Function URL; the secrets they read; a
// failure queue for scheduled runs that fail; alarms; and, optionally, an example consumer reading the table.
//
// Concurrency (why the numbers are what they are): a sync of one environment must not race another sync of the
// same environment inside one function, so poll has a reserved concurrency of 1 (it syncs the environments in
// turn), and streaming uses one function per environment, each with a reserved concurrency of 1: Lambda limits
// concurrency per function, so one shared stream function could run two sessions of one environment while
// another environment waited. One function per environment also lets each read only its own environment's SDK
// key. The webhook is limited to 1 too: a delivery arriving while a sync runs gets 429 and LaunchDarkly retries
// it once; the next poll repairs anything missed. Syncs of different functions may still overlap; the writer's
// version-guarded writes make that safe (an older version never replaces a newer one).
import { CfnOutput, Duration, Stack, Token, Validations, type StackProps } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { FunctionUrlAuthType, type FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EnvironmentAlarms, failedInvocationsAlarm, METRICS_NAMESPACE, SERVICE_NAME } from './alarms.js';
import { ConfigError, resolveConfig, type EnvironmentSettings, type SyncStackConfig, type SyncStackConfigInput } from './config.js';
import { FlagTable } from './flag-table.js';
import { LambdaFunction } from './lambda-function.js';

/** How often a stream session starts; the stream function's timeout is Lambda's maximum, 15 minutes. */
export const STREAM_SESSION = Duration.minutes(15);

export interface LdDynamoDBSyncStackProps extends StackProps {
  /** Validated again here, so typed props get the same checks as context. */
  readonly config: SyncStackConfig | SyncStackConfigInput;
}

/** What one LaunchDarkly environment owns in the stack. */
export interface EnvironmentResources {
  readonly settings: EnvironmentSettings;
  readonly sdkKeySecret: ISecret;
  /** Present when streaming is enabled. */
  readonly stream?: LambdaFunction;
  readonly streamSchedule?: Rule;
  readonly alarms: EnvironmentAlarms;
}

export class LdDynamoDBSyncStack extends Stack {
  readonly config: SyncStackConfig;
  readonly flagTable: FlagTable;
  readonly failureQueue: Queue;
  readonly poll: LambdaFunction;
  readonly pollSchedule: Rule;
  readonly webhook: LambdaFunction;
  readonly webhookUrl: FunctionUrl;
  readonly webhookSecret: ISecret;
  readonly environments: ReadonlyMap<string, EnvironmentResources>;
  readonly consumerExample?: LambdaFunction;

  constructor(scope: Construct, id: string, props: LdDynamoDBSyncStackProps) {
    super(scope, id, props);
    const config = resolveConfig(props.config, 'props.config');
    this.config = config;
    if (config.replicaRegions.length > 0) {
      if (Token.isUnresolved(this.region)) {
        throw new ConfigError(
          `Invalid configuration: "replicaRegions" (${config.replicaRegions.join(', ')}) needs the stack's own region to be known; ` +
            'deploy with a region (AWS_REGION, --profile, or env: { region } in the stack props)',
        );
      }
      if (config.replicaRegions.includes(this.region)) {
        throw new ConfigError(`Invalid configuration: "replicaRegions" lists ${this.region}, which is the stack's own region; expected other regions only`);
      }
    }
    const logRetention = config.logRetentionDays as RetentionDays;
    const actions: IAlarmAction[] = config.alarmTopicArn ? [new SnsAction(Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn))] : [];

    this.flagTable = new FlagTable(this, 'FlagTable', {
      ...(config.tableName !== undefined && { tableName: config.tableName }),
      ...(config.tableNameParameter !== undefined && { parameterName: config.tableNameParameter }),
      replicaRegions: config.replicaRegions,
      encryption: config.tableEncryption,
      replicaKeyArns: config.replicaKeyArns,
    });

    this.failureQueue = new Queue(this, 'FailedInvocations', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failureQueue).acknowledge(
      {
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself the dead-letter target: it receives failed scheduled invocations for an operator to inspect, and nothing consumes it, so there is nothing to redrive.',
      },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason: 'This queue is itself the dead-letter target of the scheduled invocations; a redrive policy applies to queues that have consumers.',
      },
    );
    const onFailure = new SqsDestination(this.failureQueue);

    const common: Record<string, string> = {
      TABLE_NAME: this.flagTable.tableName,
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    };
    if (config.ldBaseUri) common.LD_BASE_URI = config.ldBaseUri;

    // Secrets first: every function's LD_ENVIRONMENTS names them.
    const secrets = new Map<string, { settings: EnvironmentSettings; secret: ISecret; scope: Construct }>();
    for (const settings of config.environments) {
      const envScope = new Construct(this, `Environment-${settings.name}`);
      const secret = settings.sdkKeySecretArn
        ? Secret.fromSecretCompleteArn(envScope, 'SdkKey', settings.sdkKeySecretArn)
        : this.placeholderSecret(envScope, 'SdkKey', `LaunchDarkly server-side SDK key of environment "${settings.name}" (put the key here after deploying)`);
      new CfnOutput(envScope, 'SdkKeySecretArn', {
        value: secret.secretArn,
        description: `Secret to put the SDK key of LaunchDarkly environment "${settings.name}" in`,
      });
      secrets.set(settings.name, { settings, secret, scope: envScope });
    }
    const ldEnvironments = (names: readonly string[]) =>
      this.toJsonString(
        names.map((name) => {
          const { settings, secret } = secrets.get(name)!;
          return { name, ...(settings.prefix !== undefined && { prefix: settings.prefix }), sdkKeySecretId: secret.secretArn };
        }),
      );
    const allNames = config.environments.map((e) => e.name);

    // Poll: every environment in turn, on a schedule. A failed run is not retried: the next scheduled run is the
    // retry, and an event older than one interval is superseded by a newer one.
    const pollInterval = Duration.minutes(config.pollRateMinutes);
    const eventAge = Duration.seconds(Math.max(60, pollInterval.toSeconds()));
    this.poll = new LambdaFunction(this, 'Poll', {
      entry: 'poll.ts',
      description: 'ld-dynamodb-sync: polls LaunchDarkly for each environment and writes the flags to the table',
      memorySize: 512,
      timeout: Duration.seconds(60),
      environment: { ...common, LD_ENVIRONMENTS: ldEnvironments(allNames) },
      logRetention,
      reservedConcurrentExecutions: 1,
      asyncInvoke: { onFailure, retryAttempts: 0, maxEventAge: eventAge },
    });
    this.grantSync(this.poll, allNames.map((n) => secrets.get(n)!.secret));
    new CfnOutput(this, 'PollFunctionName', {
      value: this.poll.fn.functionName,
      description: 'Invoke to sync every environment now (e.g. right after putting the SDK keys)',
    });
    this.pollSchedule = new Rule(this, 'PollSchedule', {
      description: `ld-dynamodb-sync: poll LaunchDarkly every ${config.pollRateMinutes} minute(s)`,
      schedule: Schedule.rate(pollInterval),
      targets: [new LambdaTarget(this.poll.fn, { deadLetterQueue: this.failureQueue, retryAttempts: 2, maxEventAge: eventAge })],
    });

    // Webhook: a Function URL LaunchDarkly calls on every change; the handler's HMAC check is the authenticator.
    this.webhookSecret = config.webhookSecretArn
      ? Secret.fromSecretCompleteArn(this, 'WebhookSecret', config.webhookSecretArn)
      : this.placeholderSecret(this, 'WebhookSecret', 'Signing secret of the LaunchDarkly webhook (put the secret LaunchDarkly shows here after deploying)');
    this.webhook = new LambdaFunction(this, 'Webhook', {
      entry: 'webhook.ts',
      description: 'ld-dynamodb-sync: verifies LaunchDarkly webhook deliveries and re-syncs the environment(s) they concern',
      memorySize: 512,
      timeout: Duration.seconds(30),
      environment: { ...common, LD_ENVIRONMENTS: ldEnvironments(allNames), WEBHOOK_SECRET_ID: this.webhookSecret.secretArn },
      logRetention,
      reservedConcurrentExecutions: 1,
    });
    this.grantSync(this.webhook, [...allNames.map((n) => secrets.get(n)!.secret), this.webhookSecret]);
    // LaunchDarkly cannot sign requests with SigV4, so the URL has no IAM auth; every delivery must carry
    // X-LD-Signature, the HMAC of its body under the webhook secret, which the handler checks before anything else
    // (a request without a valid one gets 401 and touches nothing). Reserved concurrency 1 bounds what a flood costs.
    this.webhookUrl = this.webhook.fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    new CfnOutput(this, 'WebhookUrl', {
      value: this.webhookUrl.url,
      description: 'Register this URL (or <url><environment name> for one environment) as a signed webhook in LaunchDarkly',
    });
    new CfnOutput(this, 'WebhookSecretArn', { value: this.webhookSecret.secretArn, description: 'Secret to put the LaunchDarkly webhook signing secret in' });
    Validations.of(this.webhook).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'The webhook is only invoked synchronously, through its Function URL, so a dead-letter queue never receives anything; ' +
        'LaunchDarkly sees the error status and retries the delivery, and failed syncs raise the SyncFailed alarm.',
    });

    // Streaming: one function and one schedule per environment (see the header for why).
    const resources = new Map<string, EnvironmentResources>();
    for (const { settings, secret, scope } of secrets.values()) {
      let stream: LambdaFunction | undefined;
      let streamSchedule: Rule | undefined;
      if (config.streaming) {
        stream = new LambdaFunction(scope, 'Stream', {
          entry: 'stream.ts',
          description: `ld-dynamodb-sync: holds a LaunchDarkly stream for environment "${settings.name}" until shortly before the timeout`,
          memorySize: 512,
          // Lambda's maximum; the handler closes the stream and flushes its writes shortly before the deadline.
          timeout: STREAM_SESSION,
          environment: {
            ...common,
            LD_ENVIRONMENTS: ldEnvironments([settings.name]),
            ...(config.ldStreamUri && { LD_STREAM_URI: config.ldStreamUri }),
          },
          logRetention,
          reservedConcurrentExecutions: 1,
          // A session starting while the previous one is still closing is throttled and queued by Lambda until
          // the previous one ends; an event older than one session is superseded by the next schedule.
          asyncInvoke: { onFailure, retryAttempts: 0, maxEventAge: STREAM_SESSION },
        });
        this.grantSync(stream, [secret]);
        streamSchedule = new Rule(scope, 'StreamSchedule', {
          description: `ld-dynamodb-sync: start a stream session for LaunchDarkly environment "${settings.name}"`,
          schedule: Schedule.rate(STREAM_SESSION),
          targets: [
            new LambdaTarget(stream.fn, {
              event: RuleTargetInput.fromObject({ environment: settings.name }),
              deadLetterQueue: this.failureQueue,
              retryAttempts: 2,
              maxEventAge: STREAM_SESSION,
            }),
          ],
        });
      }
      const alarms = new EnvironmentAlarms(scope, 'Alarms', { environment: settings.name, stalenessMinutes: config.stalenessMinutes, actions });
      resources.set(settings.name, {
        settings,
        sdkKeySecret: secret,
        alarms,
        ...(stream && { stream }),
        ...(streamSchedule && { streamSchedule }),
      });
    }
    this.environments = resources;
    failedInvocationsAlarm(this, 'FailedInvocationsAlarm', this.failureQueue, actions);

    if (config.consumerExample) {
      const { flagKey, environment } = config.consumerExample;
      const prefix = config.environments.find((e) => e.name === environment)?.prefix;
      this.consumerExample = new LambdaFunction(this, 'ExampleConsumer', {
        entry: 'example-consumer.ts',
        description: `ld-dynamodb-sync example: evaluates flag "${flagKey}" of environment "${environment}" from the table`,
        memorySize: 256,
        timeout: Duration.seconds(10),
        environment: { TABLE_NAME: this.flagTable.tableName, FLAG_KEY: flagKey, ...(prefix !== undefined && { FLAG_PREFIX: prefix }) },
        logRetention,
      });
      this.flagTable.grantReadFlags(this.consumerExample.role);
      Validations.of(this.consumerExample).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason: 'The example consumer is invoked synchronously (aws lambda invoke / the console); the caller receives any error, so a dead-letter queue would stay empty.',
      });
      new CfnOutput(this, 'ExampleConsumerName', { value: this.consumerExample.fn.functionName, description: 'Invoke with {"key":"<context key>"} to evaluate the flag' });
    }
  }

  /** The sync functions' access: sync-write on the table, read on the secrets they were given and no others. */
  private grantSync(fn: LambdaFunction, secrets: readonly ISecret[]): void {
    this.flagTable.grantSyncWrite(fn.role);
    for (const secret of secrets) secret.grantRead(fn.role);
  }

  /**
   * A secret created with a random placeholder: its value is generated by Secrets Manager at deploy time, so no
   * secret ever appears in the template. Syncs fail (401 from LaunchDarkly) until the real value is put.
   */
  private placeholderSecret(scope: Construct, id: string, description: string): Secret {
    const secret = new Secret(scope, id, {
      description: `ld-dynamodb-sync: ${description}`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The value is issued by LaunchDarkly (SDK key or webhook signing secret) and can only be rotated there; Secrets Manager has no rotation function for it. ' +
        'Rotate it in LaunchDarkly and put the new value with "aws secretsmanager put-secret-value"; the functions pick it up within minutes (cached reads).',
    });
    return secret;
  }
}
