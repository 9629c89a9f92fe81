// The stack as `cdk synth` builds it: one full synthesis (handlers bundled by esbuild, cdk-nag's AWS Solutions
// and Serverless packs registered, CloudFormation's own validation on), shared by every test in this file.
// Its context (EVERY_PART, support.ts) has every part of the stack present. Who may do what (IAM, secrets):
// stack-access.test.ts.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LdDynamoDBSyncStack } from '../../lib/infra/stack.js';
import { buildApp, EVERY_PART, functionDescribed, IMPORTED_SDK_KEY_ARN, joined, onlyId, TOPIC_ARN } from './support.js';

const execFileAsync = promisify(execFile);

let app: App;
let stack: LdDynamoDBSyncStack;
let template: Template;
let assemblyDir: string;
let tableId: string;

beforeAll(() => {
  ({ app, stack } = buildApp({
    full: true,
    context: EVERY_PART,
  }));
  // Throws if a cdk-nag error is left unacknowledged (the validation report is printed in the message).
  assemblyDir = app.synth().directory;
  template = Template.fromStack(stack);
  tableId = onlyId(template, 'AWS::DynamoDB::GlobalTable');
}, 300_000);

describe('the flag table', () => {
  it("has LaunchDarkly's key schema: partition key namespace, sort key key, both strings", () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'namespace', KeyType: 'HASH' },
        { AttributeName: 'key', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayEquals([
        { AttributeName: 'namespace', AttributeType: 'S' },
        { AttributeName: 'key', AttributeType: 'S' },
      ]),
    });
  });

  it('is on-demand, encrypted with KMS, with point-in-time recovery and deletion protection', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [
        Match.objectLike({
          Region: 'us-east-1',
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      ],
    });
  });

  it('is retained when the stack is deleted or the table replaced', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('publishes its name in an SSM parameter and a stack export for consumer stacks', () => {
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/LdDynamoDBSync/flag-table-name',
      Type: 'String',
      Value: { Ref: tableId },
    });
    const outputs = Object.values(template.findOutputs('*', { Export: { Name: 'LdDynamoDBSync-FlagTableName' } }));
    expect(outputs).toEqual([expect.objectContaining({ Value: { Ref: tableId } })]);
  });
});

describe('functions', () => {
  it('run on Node.js 24 on arm64 with active tracing, from an ESM bundle', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fns).toHaveLength(6); // per environment a poll and a stream function; the webhook; the example consumer
    for (const fn of fns) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
      });
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    }
  });

  it('are bundled as minified ESM with source maps and a require shim for CommonJS dependencies', () => {
    const poll = functionDescribed(template, 'polls LaunchDarkly for environment "production"');
    // The code's S3 key is the asset's hash; the cloud assembly keeps the bundle in asset.<hash>.
    const hash = String((poll.props.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
    const assetDir = join(assemblyDir, `asset.${hash}`);
    const code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    expect(existsSync(join(assetDir, 'index.mjs.map'))).toBe(true);
    expect(code.startsWith("import { createRequire as __ldCreateRequire } from 'node:module';")).toBe(true);
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000); // minified: long lines, few of them
  });

  it('every bundle loads as an ES module on Node.js 22 and exports its handler', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      TABLE_NAME: 'flags',
      LD_ENVIRONMENTS: JSON.stringify([
        { name: 'production', sdkKeySecretId: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:x-AbCdEf' },
      ]),
      WEBHOOK_SECRET_ID: 'webhook',
      SYNC_FUNCTIONS: JSON.stringify({ production: 'poll-production' }),
      FLAG_KEY: 'new-checkout',
    };
    const script =
      'import(process.argv[1]).then((m) => console.log(typeof m.handler), (e) => { console.error(String(e)); process.exit(1); })';
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
      const bundle = pathToFileURL(join(assemblyDir, `asset.${hash}`, 'index.mjs')).href;
      const { stdout } = await execFileAsync(process.execPath, ['-e', script, bundle], { env, timeout: 60_000 });
      expect(stdout.trim(), String(fn.Properties.Description)).toBe('function');
    }
  });

  it.each([
    ['polls LaunchDarkly for environment "production"', 512, 60, 1],
    ['polls LaunchDarkly for environment "staging"', 512, 60, 1],
    ['stream for environment "production"', 512, 900, 1],
    ['stream for environment "staging"', 512, 900, 1],
    ['verifies LaunchDarkly webhook', 256, 10, 5],
  ])('the function that %s has %i MB, a %i s timeout and a reserved concurrency of %i', (what, memory, timeout, reserved) => {
    expect(functionDescribed(template, what).props).toMatchObject({
      MemorySize: memory,
      Timeout: timeout,
      ReservedConcurrentExecutions: reserved,
    });
  });

  it('tell the handlers the table, the metrics namespace and the service name', () => {
    for (const what of ['polls LaunchDarkly for environment "production"', 'stream for environment "staging"']) {
      expect(functionDescribed(template, what).props.Environment).toMatchObject({
        Variables: {
          TABLE_NAME: { Ref: tableId },
          POWERTOOLS_METRICS_NAMESPACE: 'LdDynamoDBSync',
          POWERTOOLS_SERVICE_NAME: 'ld-dynamodb-sync',
        },
      });
    }
    expect(functionDescribed(template, 'verifies LaunchDarkly webhook').props.Environment).toMatchObject({
      Variables: { POWERTOOLS_METRICS_NAMESPACE: 'LdDynamoDBSync', POWERTOOLS_SERVICE_NAME: 'ld-dynamodb-sync' },
    });
    const stream = functionDescribed(template, 'stream for environment "staging"').props.Environment as {
      Variables: Record<string, unknown>;
    };
    expect(JSON.parse(joined(stream.Variables.LD_ENVIRONMENTS))).toEqual([
      { name: 'staging', prefix: 'stg', sdkKeySecretId: IMPORTED_SDK_KEY_ARN },
    ]);
  });

  it('log to their own log group, kept for the configured retention', () => {
    const groups = template.findResources('AWS::Logs::LogGroup');
    expect(Object.keys(groups)).toHaveLength(6);
    for (const group of Object.values(groups)) expect(group.Properties.RetentionInDays).toBe(30);
    const used = Object.values(template.findResources('AWS::Lambda::Function')).map((f) => f.Properties.LoggingConfig.LogGroup.Ref);
    expect(new Set(used)).toEqual(new Set(Object.keys(groups)));
  });

  it('send failed scheduled invocations to an encrypted, TLS-only queue instead of retrying them', () => {
    const queueId = onlyId(template, 'AWS::SQS::Queue');
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig'));
    expect(configs).toHaveLength(4); // the poll and stream functions of both environments
    for (const c of configs) {
      expect(c.Properties).toMatchObject({
        MaximumRetryAttempts: 0,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
      });
    }
  });

  it('the example consumer reads the chosen environment’s prefix and flag', () => {
    expect(functionDescribed(template, 'example: evaluates flag').props.Environment).toEqual({
      Variables: { TABLE_NAME: { Ref: tableId }, FLAG_KEY: 'new-checkout', FLAG_PREFIX: 'stg', NODE_OPTIONS: '--enable-source-maps' },
    });
  });
});

describe('triggers', () => {
  it.each(['production', 'staging'])(
    'polls %s on the configured rate, on its own schedule, with a dead-letter queue for undeliverable events',
    (name) => {
      const poll = functionDescribed(template, `polls LaunchDarkly for environment "${name}"`);
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(2 minutes)',
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [poll.id, 'Arn'] }, DeadLetterConfig: Match.anyValue(), Input: Match.absent() })],
      });
    },
  );

  it.each(['production', 'staging'])('starts a stream session for %s every 15 minutes, naming the environment', (name) => {
    const fn = functionDescribed(template, `stream for environment "${name}"`);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [fn.id, 'Arn'] },
          Input: JSON.stringify({ environment: name }),
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
  });

  it('exposes the webhook on a Function URL (the HMAC check authenticates) and outputs the URL', () => {
    const webhook = functionDescribed(template, 'verifies LaunchDarkly webhook');
    const urlId = onlyId(template, 'AWS::Lambda::Url');
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': [webhook.id, 'Arn'] } });
    template.hasOutput('WebhookUrl', { Value: { 'Fn::GetAtt': [urlId, 'FunctionUrl'] } });
    template.hasOutput('WebhookSecretArn', Match.anyValue());
  });
});

describe('alarms', () => {
  it.each(['production', 'staging'])(
    'for %s: repeated SyncFailed, and no SyncSucceeded within the staleness window (missing data breaching)',
    (name) => {
      // CloudFormation receives the dimensions sorted by name.
      const dimensions = [
        { Name: 'environment', Value: name },
        { Name: 'service', Value: 'ld-dynamodb-sync' },
      ];
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'LdDynamoDBSync',
        MetricName: 'SyncSucceeded',
        Dimensions: dimensions,
        Statistic: 'Sum',
        Period: 600,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: [TOPIC_ARN],
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'LdDynamoDBSync',
        MetricName: 'SyncFailed',
        Dimensions: dimensions,
        Statistic: 'Sum',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [TOPIC_ARN],
      });
    },
  );

  it.each(['production', 'staging'])(
    'for %s: rows ahead of LaunchDarkly (ItemsStale) and skipped deletions (DeletesSkipped) in every sync of 3 windows in a row',
    (name) => {
      for (const metricName of ['ItemsStale', 'DeletesSkipped']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'LdDynamoDBSync',
          MetricName: metricName,
          Dimensions: [
            { Name: 'environment', Value: name },
            { Name: 'service', Value: 'ld-dynamodb-sync' },
          ],
          Statistic: 'Minimum',
          Period: 300,
          EvaluationPeriods: 3,
          DatapointsToAlarm: 3,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [TOPIC_ARN],
        });
      }
    },
  );

  it('for the webhook: a spike of rejected deliveries', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'LdDynamoDBSync',
      MetricName: 'WebhookRejected',
      Dimensions: [{ Name: 'service', Value: 'ld-dynamodb-sync' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 10,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [TOPIC_ARN],
    });
  });
});

describe('cdk-nag', () => {
  it('AWS Solutions and Serverless find nothing unacknowledged: no error and no warning in the validation report', () => {
    const report = JSON.parse(readFileSync(join(assemblyDir, 'validation-report.json'), 'utf8')) as { pluginReports: unknown[] };
    expect(report.pluginReports).toEqual([]);
  });

  it.each([
    ['AwsSolutions', () => new AwsSolutionsChecks()],
    ['Serverless', () => new ServerlessChecks()],
  ])('%s checked directly over the whole app reports zero violations', (_name, pack) => {
    const result = pack().validateScope(app);
    expect(result.violations).toEqual([]);
    expect(result.success).toBe(true);
  });
});
