// Who may do what in the stack: each function's DynamoDB actions, rows and secrets, the consumer grant, and
// secrets that never reach the template. The same context as stack.test.ts (every part of the stack present),
// synthesized without bundling: IAM and secrets do not depend on the handlers' code.
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  EVERY_PART,
  functionDescribed,
  IMPORTED_SDK_KEY_ARN,
  joined,
  onlyId,
  resourcesOf,
  roleOfFunction,
  SYNC_ACTIONS,
  statementsOfRole,
  type Statement,
  templateOf,
} from './support.js';

let template: Template;
let tableId: string;

beforeAll(() => {
  template = templateOf(EVERY_PART);
  tableId = onlyId(template, 'AWS::DynamoDB::GlobalTable');
});

const tableArn = () => ({ 'Fn::GetAtt': [tableId, 'Arn'] });

describe('least-privilege IAM', () => {
  const syncFunctions = [
    ['polls LaunchDarkly for environment "production"', 'prod:*'],
    ['polls LaunchDarkly for environment "staging"', 'stg:*'],
    ['stream for environment "production"', 'prod:*'],
    ['stream for environment "staging"', 'stg:*'],
  ] as const;

  it.each(syncFunctions)('the function that %s has exactly the writer’s DynamoDB actions, on this table, on %s rows only', (what, rows) => {
    const statements = statementsOfRole(template, roleOfFunction(template, what));
    expect(actionsOf(statements, 'dynamodb')).toEqual([...SYNC_ACTIONS]);
    expect(resourcesOf(statements, 'dynamodb')).toEqual([tableArn()]);
    const dynamo = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:'))) as (Statement & {
      Condition?: unknown;
    })[];
    const rowsOnly = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [rows] } };
    for (const s of dynamo) {
      // PartiQL statements also need the key present (a request without one passes ForAllValues).
      const partiql = [s.Action].flat().some((a) => a.startsWith('dynamodb:PartiQL'));
      expect(s.Condition).toEqual(partiql ? { ...rowsOnly, Null: { 'dynamodb:LeadingKeys': 'false' } } : rowsOnly);
    }
  });

  it('the consumer grant is GetItem, BatchGetItem and Query on this table, its environment’s rows only', () => {
    const statements = statementsOfRole(template, roleOfFunction(template, 'example: evaluates flag'));
    expect(actionsOf(statements, 'dynamodb')).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query']);
    expect(resourcesOf(statements, 'dynamodb')).toEqual([tableArn()]);
    expect(actionsOf(statements, 'secretsmanager')).toEqual([]);
  });

  it('no statement anywhere grants DynamoDB access beyond this table, or the actions nothing here uses', () => {
    const all = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const dynamo = all.filter((s: { Action: string | string[] }) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.length).toBeGreaterThan(0);
    for (const s of dynamo) {
      expect([s.Resource].flat()).toEqual([tableArn()]);
      for (const action of [s.Action].flat()) {
        expect([...SYNC_ACTIONS, 'dynamodb:BatchGetItem']).toContain(action);
      }
    }
  });

  it('no role has an AWS managed policy (each function writes only to its own log group)', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      const roleId = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
      const statements = statementsOfRole(template, roleId);
      expect(resourcesOf(statements, 'logs')).toEqual([{ 'Fn::GetAtt': [fn.Properties.LoggingConfig.LogGroup.Ref, 'Arn'] }]);
    }
  });

  it('each function reads its own secrets and no others; the webhook reads only the webhook secret', () => {
    const secretIds = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
    const productionKey = secretIds.find((id) => id.startsWith('Environmentproduction'))!;
    const webhookSecret = secretIds.find((id) => id.startsWith('WebhookSecret'))!;
    expect(productionKey && webhookSecret).toBeTruthy();
    const secretsOf = (what: string) => resourcesOf(statementsOfRole(template, roleOfFunction(template, what)), 'secretsmanager');

    expect(secretsOf('polls LaunchDarkly for environment "production"')).toEqual([{ Ref: productionKey }]);
    expect(secretsOf('polls LaunchDarkly for environment "staging"')).toEqual([IMPORTED_SDK_KEY_ARN]);
    expect(secretsOf('stream for environment "production"')).toEqual([{ Ref: productionKey }]);
    expect(secretsOf('stream for environment "staging"')).toEqual([IMPORTED_SDK_KEY_ARN]);
    expect(secretsOf('verifies LaunchDarkly webhook')).toEqual([{ Ref: webhookSecret }]);
    const actions = actionsOf(statementsOfRole(template, roleOfFunction(template, 'verifies LaunchDarkly webhook')), 'secretsmanager');
    expect(new Set(actions)).toEqual(new Set(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret']));
  });
});

describe('secrets', () => {
  it('never appear in the template: created secrets hold a value Secrets Manager generates at deploy time', () => {
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toMatch(/sdk-[0-9a-f]{8}-/i);
    expect(text).not.toMatch(/"SecretString"\s*:/);
    const secrets = Object.values(template.findResources('AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(2); // production's SDK key and the webhook secret; staging's is imported
    for (const secret of secrets) {
      expect(secret.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64 });
      expect(Object.keys(secret.Properties).sort()).toEqual(['Description', 'GenerateSecretString']);
    }
  });

  it('are named to the handlers by ARN in LD_ENVIRONMENTS (each function its own environment) and WEBHOOK_SECRET_ID', () => {
    const variables = (what: string) =>
      (functionDescribed(template, what).props.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(JSON.parse(joined(variables('polls LaunchDarkly for environment "production"').LD_ENVIRONMENTS))).toEqual([
      { name: 'production', prefix: 'prod', sdkKeySecretId: expect.stringMatching(/^\{Ref:Environmentproduction/) },
    ]);
    expect(JSON.parse(joined(variables('polls LaunchDarkly for environment "staging"').LD_ENVIRONMENTS))).toEqual([
      { name: 'staging', prefix: 'stg', sdkKeySecretId: IMPORTED_SDK_KEY_ARN },
    ]);
    const webhook = variables('verifies LaunchDarkly webhook');
    expect(webhook.WEBHOOK_SECRET_ID).toEqual({ Ref: expect.stringMatching(/^WebhookSecret/) });
    expect(webhook.LD_ENVIRONMENTS).toBeUndefined();
    expect(webhook.TABLE_NAME).toBeUndefined();
    const polls = ['production', 'staging'].map((name) => functionDescribed(template, `polls LaunchDarkly for environment "${name}"`).id);
    expect(JSON.parse(joined(webhook.SYNC_FUNCTIONS))).toEqual({ production: `{Ref:${polls[0]}}`, staging: `{Ref:${polls[1]}}` });
  });
});
