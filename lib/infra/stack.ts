// LdDynamoDBSyncStack: everything `cdk deploy` ships, composed of constructs. The flag table (FlagTable); per
// LaunchDarkly environment, its secret, poll and stream functions, schedules and alarms (EnvironmentSync); the
// public webhook, a thin verifier that hands deliveries to the poll functions (WebhookReceiver); a failure queue
// for asynchronous invocations that fail; stack-wide alarms; and, optionally, an example consumer reading one
// environment's rows. Construct ids of stateful resources (the table, the secrets, the webhook function and its
// URL) are a contract: renaming one replaces the resource.
import { CfnOutput, Duration, Stack, Token, Validations, type StackProps } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { failedInvocationsAlarm, METRICS_NAMESPACE, SERVICE_NAME, webhookRejectedAlarm } from './alarms.js';
import { ConfigError, resolveConfig, type SyncStackConfig, type SyncStackConfigInput } from './config.js';
import { EnvironmentSync } from './environment-sync.js';
import { FlagTable } from './flag-table.js';
import { LambdaFunction } from './lambda-function.js';
import { placeholderSecret } from './placeholder-secret.js';
import { WebhookReceiver } from './webhook-receiver.js';

export { STREAM_SESSION } from './environment-sync.js';

export interface LdDynamoDBSyncStackProps extends StackProps {
  /** Validated again here, so typed props get the same checks as context. */
  readonly config: SyncStackConfig | SyncStackConfigInput;
}

export class LdDynamoDBSyncStack extends Stack {
  readonly config: SyncStackConfig;
  readonly flagTable: FlagTable;
  readonly failureQueue: Queue;
  readonly webhook: WebhookReceiver;
  readonly webhookSecret: ISecret;
  readonly environments: ReadonlyMap<string, EnvironmentSync>;
  readonly consumerExample?: LambdaFunction;

  constructor(scope: Construct, id: string, props: LdDynamoDBSyncStackProps) {
    super(scope, id, props);
    const config = resolveConfig(props.config, 'props.config');
    this.config = config;
    this.checkReplicaRegions(config);
    const logRetention = config.logRetentionDays as RetentionDays;
    const actions: IAlarmAction[] = config.alarmTopicArn
      ? [new SnsAction(Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn))]
      : [];

    this.flagTable = new FlagTable(this, 'FlagTable', {
      ...(config.tableName !== undefined && { tableName: config.tableName }),
      ...(config.tableNameParameter !== undefined && { parameterName: config.tableNameParameter }),
      replicaRegions: config.replicaRegions,
      encryption: config.tableEncryption,
      replicaKeyArns: config.replicaKeyArns,
    });
    this.failureQueue = this.createFailureQueue();

    const powertools = { POWERTOOLS_SERVICE_NAME: SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE };
    const syncVariables: Record<string, string> = {
      TABLE_NAME: this.flagTable.tableName,
      ...powertools,
      ...(config.ldBaseUri && { LD_BASE_URI: config.ldBaseUri }),
      ...(config.streaming && config.ldStreamUri && { LD_STREAM_URI: config.ldStreamUri }),
    };
    const onFailure = new SqsDestination(this.failureQueue);
    const environments = new Map<string, EnvironmentSync>();
    for (const settings of config.environments) {
      environments.set(
        settings.name,
        new EnvironmentSync(this, `Environment-${settings.name}`, {
          settings,
          flagTable: this.flagTable,
          environment: syncVariables,
          pollRateMinutes: config.pollRateMinutes,
          stalenessMinutes: config.stalenessMinutes,
          streaming: config.streaming,
          logRetention,
          onFailure,
          failureQueue: this.failureQueue,
          alarmActions: actions,
        }),
      );
    }
    this.environments = environments;

    this.webhookSecret = config.webhookSecretArn
      ? Secret.fromSecretCompleteArn(this, 'WebhookSecret', config.webhookSecretArn)
      : placeholderSecret(
          this,
          'WebhookSecret',
          'Signing secret of the LaunchDarkly webhook (put the secret LaunchDarkly shows here after deploying)',
        );
    this.webhook = new WebhookReceiver(this, 'Webhook', {
      secret: this.webhookSecret,
      environments: [...environments.values()],
      environment: powertools,
      logRetention,
    });

    failedInvocationsAlarm(this, 'FailedInvocationsAlarm', this.failureQueue, actions);
    webhookRejectedAlarm(this, 'WebhookRejectedAlarm', actions);
    if (config.consumerExample) this.consumerExample = this.createConsumerExample(config, logRetention);
  }

  private checkReplicaRegions(config: SyncStackConfig): void {
    if (config.replicaRegions.length === 0) return;
    if (Token.isUnresolved(this.region)) {
      throw new ConfigError(
        `Invalid configuration: "replicaRegions" (${config.replicaRegions.join(', ')}) needs the stack's own region to be known; ` +
          'deploy with a region (AWS_REGION, --profile, or env: { region } in the stack props)',
      );
    }
    if (config.replicaRegions.includes(this.region)) {
      throw new ConfigError(
        `Invalid configuration: "replicaRegions" lists ${this.region}, which is the stack's own region; expected other regions only`,
      );
    }
  }

  private createFailureQueue(): Queue {
    const queue = new Queue(this, 'FailedInvocations', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge(
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself the dead-letter target: it receives failed asynchronous invocations for an ' +
          'operator to inspect, and nothing consumes it, so there is nothing to redrive.',
      },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason:
          'This queue is itself the dead-letter target of the asynchronous invocations; a redrive policy ' +
          'applies to queues that have consumers.',
      },
    );
    return queue;
  }

  /** The example consumer reads its environment's rows only (grantReadFlags with its prefix). */
  private createConsumerExample(config: SyncStackConfig, logRetention: RetentionDays): LambdaFunction {
    const { flagKey, environment } = config.consumerExample!;
    const prefix = config.environments.find((e) => e.name === environment)?.prefix;
    const consumer = new LambdaFunction(this, 'ExampleConsumer', {
      entry: 'example-consumer.ts',
      description: `ld-dynamodb-sync example: evaluates flag "${flagKey}" of environment "${environment}" from the table`,
      memorySize: 256,
      timeout: Duration.seconds(10),
      environment: { TABLE_NAME: this.flagTable.tableName, FLAG_KEY: flagKey, ...(prefix !== undefined && { FLAG_PREFIX: prefix }) },
      logRetention,
    });
    this.flagTable.grantReadFlags(consumer.role, prefix !== undefined ? { prefix } : {});
    Validations.of(consumer).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'The example consumer is invoked synchronously (aws lambda invoke / the console); the caller ' +
        'receives any error, so a dead-letter queue would stay empty.',
    });
    new CfnOutput(this, 'ExampleConsumerName', {
      value: consumer.fn.functionName,
      description: 'Invoke with {"key":"<context key>"} to evaluate the flag',
    });
    return consumer;
  }
}
