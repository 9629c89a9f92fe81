// Configuration variants of the stack and the FlagTable construct consumer stacks use. These synthesize without
// bundling (the handlers' bundles are checked in stack.test.ts), so each variant costs a second, not a minute.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Function as LambdaFn, Code, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/infra/config.js';
import { FlagTable } from '../../lib/infra/flag-table.js';
import { LdDynamoDBSyncStack } from '../../lib/infra/stack.js';
import { actionsOf, buildApp, joined, onlyId, resourcesOf, roleOfFunction, statementsOfRole, templateOf } from './support.js';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('the cdk.json defaults', () => {
  const template = templateOf({});

  it('poll every 5 minutes, with no stream functions and no example consumer', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.resourceCountIs('AWS::Lambda::Function', 2); // poll and webhook
    template.resourceCountIs('AWS::Lambda::Url', 1);
  });

  it('raise the staleness alarm after 15 minutes without a successful sync', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'SyncSucceeded',
      Period: 900,
      TreatMissingData: 'breaching',
      AlarmActions: Match.absent(),
    });
  });

  it('create one SDK-key secret for the one environment, and the webhook secret', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
  });
});

describe('a global table (replicas in other regions)', () => {
  const { app, stack } = buildApp({ context: { replicaRegions: ['eu-west-1', 'ap-southeast-2'], consumerExample: true } });
  const template = Template.fromStack(stack);
  const tableId = onlyId(template, 'AWS::DynamoDB::GlobalTable');

  it('has a replica per region, each with point-in-time recovery and deletion protection', () => {
    const replicas = template.findResources('AWS::DynamoDB::GlobalTable')[tableId]!.Properties.Replicas as { Region: string }[];
    expect(replicas.map((r) => r.Region).sort()).toEqual(['ap-southeast-2', 'eu-west-1', 'us-east-1']);
    for (const replica of replicas) {
      expect(replica).toMatchObject({
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    }
  });

  it('lets readers read every replica, while the sync writes the primary only', () => {
    const consumer = statementsOfRole(template, roleOfFunction(template, 'example: evaluates flag'));
    const [primary, ...replicas] = resourcesOf(consumer, 'dynamodb');
    expect(primary).toEqual({ 'Fn::GetAtt': [tableId, 'Arn'] });
    expect(replicas.map(joined).sort()).toEqual([
      `arn:aws:dynamodb:ap-southeast-2:111122223333:table/{Ref:${tableId}}`,
      `arn:aws:dynamodb:eu-west-1:111122223333:table/{Ref:${tableId}}`,
    ]);
    const poll = statementsOfRole(template, roleOfFunction(template, 'polls LaunchDarkly'));
    expect(resourcesOf(poll, 'dynamodb')).toEqual([{ 'Fn::GetAtt': [tableId, 'Arn'] }]);
  });

  it('passes cdk-nag too', () => {
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
    expect(new ServerlessChecks().validateScope(app).violations).toEqual([]);
  });

  it('needs to know the stack’s own region, and that region is not a replica', () => {
    expect(() => buildApp({ context: { replicaRegions: ['eu-west-1'] }, env: null, nag: false })).toThrow(
      /"replicaRegions" \(eu-west-1\) needs the stack's own region to be known/,
    );
    expect(() => buildApp({ context: { replicaRegions: ['us-east-1'] }, nag: false })).toThrow(ConfigError);
  });
});

describe('a customer-managed key', () => {
  const { app, stack } = buildApp({
    context: {
      tableEncryption: 'customer-managed',
      replicaRegions: ['eu-west-1'],
      replicaKeyArns: { 'eu-west-1': KEY_ARN },
      consumerExample: true,
    },
  });
  const template = Template.fromStack(stack);
  const keyId = onlyId(template, 'AWS::KMS::Key');

  it('is created with yearly rotation, retained, and encrypts the table (the replica with its own key)', () => {
    template.hasResource('AWS::KMS::Key', { Properties: Match.objectLike({ EnableKeyRotation: true }), DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: Match.arrayWith([Match.objectLike({ Region: 'eu-west-1', SSESpecification: { KMSMasterKeyId: KEY_ARN } })]),
    });
  });

  it('is granted by name: decrypt for readers; decrypt, encrypt and data keys for the sync, no wildcards', () => {
    const consumer = statementsOfRole(template, roleOfFunction(template, 'example: evaluates flag'));
    expect(actionsOf(consumer, 'kms')).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    expect(resourcesOf(consumer, 'kms')).toEqual([{ 'Fn::GetAtt': [keyId, 'Arn'] }]);
    const poll = statementsOfRole(template, roleOfFunction(template, 'polls LaunchDarkly'));
    expect(actionsOf(poll, 'kms')).toEqual(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']);
  });

  it('passes cdk-nag', () => {
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
    expect(new ServerlessChecks().validateScope(app).violations).toEqual([]);
  });
});

describe('imported secrets and a named table', () => {
  const template = templateOf({
    environments: [{ name: 'production', sdkKeySecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:ld/prod-AbCdEf' }],
    webhookSecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:ld/webhook-XyZ123',
    tableName: 'launchdarkly-flags',
    tableNameParameter: '/shared/flags/table-name',
    ldBaseUri: 'https://sdk.launchdarkly.us',
  });

  it('creates no secret, and passes the imported ARNs and the base URI to the handlers', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ WEBHOOK_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:ld/webhook-XyZ123' }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ LD_BASE_URI: 'https://sdk.launchdarkly.us', TABLE_NAME: Match.anyValue() }) },
    });
  });

  it('names the table and the SSM parameter as configured', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: 'launchdarkly-flags' });
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/shared/flags/table-name' });
  });
});

describe('FlagTable from a consumer stack', () => {
  function consumerTemplate(importTable: (stack: Stack) => FlagTable | ReturnType<typeof FlagTable.fromExport>) {
    const app = new App();
    const stack = new Stack(app, 'Consumer', { env: { account: '444455556666', region: 'eu-west-1' } });
    const fn = new LambdaFn(stack, 'Fn', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('export const handler = async () => 1;'),
    });
    importTable(stack).grantReadFlags(fn);
    const template = Template.fromStack(stack);
    const roleId = onlyId(template, 'AWS::IAM::Role');
    return statementsOfRole(template, roleId);
  }

  it('fromExport grants GetItem, BatchGetItem and Query on the exported table in the consumer’s region only', () => {
    const statements = consumerTemplate((stack) => FlagTable.fromExport(stack, 'Flags', 'LdDynamoDBSync-FlagTableName'));
    expect(statements).toHaveLength(1);
    expect(actionsOf(statements, 'dynamodb')).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query']);
    expect(resourcesOf(statements, 'dynamodb')).toEqual([
      {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':dynamodb:eu-west-1:444455556666:table/',
            { 'Fn::ImportValue': 'LdDynamoDBSync-FlagTableName' },
          ],
        ],
      },
    ]);
  });

  it('fromParameter reads the name from SSM at deploy time', () => {
    const statements = consumerTemplate((stack) => FlagTable.fromParameter(stack, 'Flags', '/LdDynamoDBSync/flag-table-name'));
    expect(JSON.stringify(resourcesOf(statements, 'dynamodb'))).toMatch(
      /:dynamodb:eu-west-1:444455556666:table\/".*\{"Ref":"SsmParameterValue/,
    );
  });

  it('fromTableName with a customer-managed key also grants decrypt on that key', () => {
    const statements = consumerTemplate((stack) =>
      FlagTable.fromTableName(stack, 'Flags', 'launchdarkly-flags', { encryptionKey: Key.fromKeyArn(stack, 'Key', KEY_ARN) }),
    );
    expect(resourcesOf(statements, 'dynamodb')).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:eu-west-1:444455556666:table/launchdarkly-flags']] },
    ]);
    expect(actionsOf(statements, 'kms')).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    expect(resourcesOf(statements, 'kms')).toEqual([KEY_ARN]);
  });
});

describe('typed props', () => {
  const app = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

  it('configure the stack like context does', () => {
    const stack = new LdDynamoDBSyncStack(app(), 'Typed', {
      config: { environments: [{ name: 'production', prefix: 'prod' }], pollRateMinutes: 1, stalenessMinutes: 3 },
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'SyncSucceeded', Period: 180 });
  });

  it('a stack name from context is checked like the rest', () => {
    expect(() => buildApp({ context: { stackName: 'flags_sync' }, nag: false })).toThrow(
      `Invalid configuration: context "stackName" must start with a letter and hold up to 128 letters, digits and '-', got "flags_sync"`,
    );
    expect(buildApp({ context: { stackName: 'FlagsSyncEu' }, nag: false }).stack.stackName).toBe('FlagsSyncEu');
  });

  it('are validated with the same messages', () => {
    expect(
      () =>
        new LdDynamoDBSyncStack(app(), 'Typed', {
          config: { environments: [{ name: 'production' }], streaming: 'yes' as unknown as boolean },
        }),
    ).toThrow('Invalid configuration: props.config "streaming" must be true or false, got "yes"');
  });
});

describe('cdk-nag is not vacuous', () => {
  it('reports findings on a resource nobody acknowledged', () => {
    const app = new App();
    new Queue(new Stack(app, 'Careless'), 'Queue');
    const ids = new AwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName);
    expect(ids).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });
});
