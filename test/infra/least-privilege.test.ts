// Least privilege per environment, on the synthesized template: every DynamoDB grant of a sync function carries a
// dynamodb:LeadingKeys condition limited to its own environment's namespaces, so the poll or stream function of
// one environment cannot write another's rows; the public webhook holds no SDK key and no table access, only the
// webhook secret and an invoke of the poll functions; a consumer given a prefix reads that environment only. And
// the rule for the unprefixed environment (an exact list of namespaces) is checked against what the real writer
// creates in DynamoDB Local, so a new kind of row cannot slip outside the grant unnoticed.
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFn, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { FlagTable, leadingKeysCondition, UNPREFIXED_NAMESPACES } from '../../lib/infra/flag-table.js';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import { generateEnvironment } from '../support/generate-environment.js';
import { freshTable, localClient } from '../support/tables.js';
import {
  SYNC_ACTIONS,
  actionsOf,
  functionDescribed,
  onlyId,
  roleOfFunction,
  statementsOfRole,
  templateOf,
  type Statement,
} from './support.js';

type Conditioned = Statement & { Condition?: Record<string, Record<string, string[]>> };

const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate'];
const leadingKeys = (s: Conditioned) => s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
const dynamoStatements = (statements: Statement[]) =>
  (statements as Conditioned[]).filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));

/** IAM's StringLike: '*' any run of characters, '?' any one; everything else literal. */
function stringLike(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  );
  return re.test(value);
}

describe('two prefixed environments with streaming', () => {
  const template = templateOf({
    environments: [
      { name: 'production', prefix: 'prod' },
      { name: 'staging', prefix: 'stg' },
    ],
    streaming: true,
    consumerExample: { flagKey: 'new-checkout', environment: 'staging' },
  });
  const all = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as Conditioned[],
  );

  it('every statement granting a DynamoDB write carries a LeadingKeys condition', () => {
    const writes = all.filter((s) => [s.Action].flat().some((a) => WRITE_ACTIONS.includes(a)));
    expect(writes).toHaveLength(8); // poll and stream of each environment: single writes, and PartiQL batches
    for (const s of writes) expect(leadingKeys(s)).toEqual([expect.stringMatching(/^(prod|stg):\*$/)]);
    // ForAllValues passes a request without any partition key; the PartiQL grants demand one.
    const partiql = writes.filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:PartiQL')));
    expect(partiql).toHaveLength(4);
    for (const s of partiql) expect(s.Condition?.Null).toEqual({ 'dynamodb:LeadingKeys': 'false' });
  });

  it.each([
    ['polls LaunchDarkly for environment "production"', 'prod:*'],
    ['stream for environment "production"', 'prod:*'],
    ['polls LaunchDarkly for environment "staging"', 'stg:*'],
    ['stream for environment "staging"', 'stg:*'],
  ])('the function that %s may touch %s rows only', (what, pattern) => {
    const statements = dynamoStatements(statementsOfRole(template, roleOfFunction(template, what)));
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) expect(leadingKeys(s)).toEqual([pattern]);
    expect(actionsOf(statements, 'dynamodb')).toEqual([...SYNC_ACTIONS]);
  });

  it('no policy lists dynamodb:TransactWriteItems, which is not an IAM action', () => {
    expect(JSON.stringify(all)).not.toContain('TransactWriteItems');
  });

  it('the webhook has no DynamoDB access and no SDK key: only its secret and an invoke of each poll function', () => {
    const statements = statementsOfRole(template, roleOfFunction(template, 'verifies LaunchDarkly webhook'));
    expect(actionsOf(statements, 'dynamodb')).toEqual([]);
    const webhookSecret = onlyId(template, 'AWS::SecretsManager::Secret', {
      Description: 'ld-dynamodb-sync: Signing secret of the LaunchDarkly webhook (put the secret LaunchDarkly shows here after deploying)',
    });
    const secretResources = (statements as Conditioned[])
      .filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')))
      .flatMap((s) => [s.Resource].flat());
    expect(secretResources).toEqual([{ Ref: webhookSecret }]);
    const invoke = (statements as Conditioned[]).filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    expect(actionsOf(statements, 'lambda')).toEqual(['lambda:InvokeFunction']);
    const polls = ['production', 'staging'].map((name) => ({
      'Fn::GetAtt': [functionDescribed(template, `polls LaunchDarkly for environment "${name}"`).id, 'Arn'],
    }));
    expect(invoke.flatMap((s) => [s.Resource].flat())).toEqual(polls);
    const env = functionDescribed(template, 'verifies LaunchDarkly webhook').props.Environment as { Variables: Record<string, unknown> };
    expect(Object.keys(env.Variables).sort()).toEqual([
      'NODE_OPTIONS',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
      'SYNC_FUNCTIONS',
      'WEBHOOK_SECRET_ID',
    ]);
  });

  it('the example consumer reads its own environment only', () => {
    const statements = dynamoStatements(statementsOfRole(template, roleOfFunction(template, 'example: evaluates flag')));
    expect(statements.map(leadingKeys)).toEqual([['stg:*']]);
  });
});

describe('an unprefixed environment beside a prefixed one', () => {
  const template = templateOf({ environments: [{ name: 'production' }, { name: 'staging', prefix: 'stg' }] });

  it('the unprefixed environment may touch exactly the unprefixed namespaces, which never match another environment', () => {
    const statements = dynamoStatements(
      statementsOfRole(template, roleOfFunction(template, 'polls LaunchDarkly for environment "production"')),
    );
    for (const s of statements) expect(leadingKeys(s)).toEqual([...UNPREFIXED_NAMESPACES]);
    for (const pattern of UNPREFIXED_NAMESPACES) expect(stringLike(pattern, 'stg:features')).toBe(false);
  });
});

describe('the rule matches what the writer creates', () => {
  it.each([undefined, 'prod'])(
    'every row the writer creates for prefix %s falls under its own condition and under no other environment’s',
    async (prefix) => {
      const client = localClient();
      try {
        const tableName = await freshTable(client, 'leading-keys');
        const store = new DynamoDBFlagStore({ tableName, client, ...(prefix !== undefined && { prefix }) });
        await store.init(generateEnvironment({ flags: 30, segments: 5, seed: 7 }));
        await store.recordSync({ source: 'poll' });
        const namespaces = new Set(
          ((await client.send(new ScanCommand({ TableName: tableName }))).Items ?? []).map((i) => i.namespace!.S!),
        );
        expect(namespaces.size).toBeGreaterThanOrEqual(4);
        const own = leadingKeysCondition([prefix])['ForAllValues:StringLike']!['dynamodb:LeadingKeys']!;
        const other = leadingKeysCondition([prefix === undefined ? 'stg' : undefined])['ForAllValues:StringLike']!['dynamodb:LeadingKeys']!;
        for (const ns of namespaces) {
          expect(
            own.some((p) => stringLike(p, ns)),
            ns,
          ).toBe(true);
          expect(
            other.some((p) => stringLike(p, ns)),
            ns,
          ).toBe(false);
        }
      } finally {
        client.destroy();
      }
    },
  );
});

describe('FlagTable.grantReadFlags from a consumer stack', () => {
  function readStatements(options?: { prefix?: string }) {
    const app = new App();
    const stack = new Stack(app, 'Consumer', { env: { account: '444455556666', region: 'eu-west-1' } });
    const fn = new LambdaFn(stack, 'Fn', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('export const handler = async () => 1;'),
    });
    FlagTable.fromTableName(stack, 'Flags', 'launchdarkly-flags').grantReadFlags(fn, options);
    const template = Template.fromStack(stack);
    return statementsOfRole(template, onlyId(template, 'AWS::IAM::Role')) as Conditioned[];
  }

  it('with a prefix, reads that environment’s rows only (its Big Segments rows included)', () => {
    const [statement, ...rest] = readStatements({ prefix: 'prod' });
    expect(rest).toEqual([]);
    expect(leadingKeys(statement!)).toEqual(['prod:*']);
    for (const ns of ['prod:features', 'prod:big_segments_user', 'prod:big_segments_metadata']) expect(stringLike('prod:*', ns)).toBe(true);
    for (const ns of ['features', 'stg:features', 'prod2:features']) expect(stringLike('prod:*', ns)).toBe(false);
  });

  it('without a prefix, reads the whole table as before', () => {
    const statements = readStatements();
    expect(statements).toHaveLength(1);
    expect(statements[0]!.Condition).toBeUndefined();
  });

  it('refuses a prefix the sync could never have written', () => {
    expect(() => readStatements({ prefix: 'a:b' })).toThrow(
      `grantReadFlags: "prefix" must be a key prefix as the sync uses it (letters, digits, '.', '_' or '-', no ':'), got "a:b"`,
    );
  });
});
