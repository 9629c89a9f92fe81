// cfn-lint (AWS CloudFormation Linter) over every stack variant the app synthesizes: no error, and no warning
// but W3005 (an explicit DependsOn that CloudFormation would infer anyway, which CDK writes itself for its
// custom resources). cfn-lint is a Python tool: not in Debian bookworm's packages and not on npm, so it comes
// from pip (`pip install cfn-lint`) where PyPI is reachable. Where it is not installed, this file is skipped and
// its title says so.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IMPORTED_SDK_KEY_ARN, templateOf, TOPIC_ARN } from './support.js';

const ALLOWED_WARNINGS = ['W3005'];
const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
const available = version.status === 0;
const title = available
  ? `cfn-lint (${version.stdout.trim()}) on every synthesized template`
  : 'cfn-lint — SKIPPED: cfn-lint is not on PATH (install it with "pip install cfn-lint"; Debian bookworm has no package)';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const variants: Record<string, Record<string, unknown>> = {
  defaults: {},
  'two prefixed environments, streaming, consumer, alarm topic': {
    environments: [
      { name: 'production', prefix: 'prod' },
      { name: 'staging', prefix: 'stg', sdkKeySecretArn: IMPORTED_SDK_KEY_ARN },
    ],
    streaming: true,
    consumerExample: { flagKey: 'new-checkout', environment: 'staging' },
    alarmTopicArn: TOPIC_ARN,
  },
  'unprefixed and prefixed environments': { environments: [{ name: 'production' }, { name: 'staging', prefix: 'stg' }], streaming: true },
  'global table with a customer-managed key': {
    tableEncryption: 'customer-managed',
    replicaRegions: ['eu-west-1'],
    replicaKeyArns: { 'eu-west-1': KEY_ARN },
    consumerExample: true,
  },
  'imported secrets and a named table': {
    environments: [{ name: 'production', sdkKeySecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:ld/prod-AbCdEf' }],
    webhookSecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:ld/webhook-XyZ123',
    tableName: 'launchdarkly-flags',
  },
};

interface Finding {
  Rule: { Id: string };
  Level: string;
  Message: string;
  Location: { Path?: unknown[] };
}

const dir = mkdtempSync(join(tmpdir(), 'ld-cfn-lint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lint(file: string): { findings: Finding[]; status: number | null; stderr: string } {
  const run = spawnSync('cfn-lint', ['--format', 'json', '--', file], { encoding: 'utf8', timeout: 120_000 });
  expect(run.error).toBeUndefined();
  return { findings: (run.stdout.trim() === '' ? [] : JSON.parse(run.stdout)) as Finding[], status: run.status, stderr: run.stderr };
}

describe.skipIf(!available)(title, () => {
  it('is not vacuous: it reports the non-action dynamodb:TransactWriteItems the policies used to grant (W3037)', () => {
    const file = join(dir, 'transact.template.json');
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['dynamodb:TransactWriteItems'], Resource: '*' }] };
    writeFileSync(
      file,
      JSON.stringify({
        Resources: {
          Role: {
            Type: 'AWS::IAM::Role',
            Properties: {
              AssumeRolePolicyDocument: {
                Version: '2012-10-17',
                Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
              },
            },
          },
          Policy: { Type: 'AWS::IAM::Policy', Properties: { PolicyName: 'p', Roles: [{ Ref: 'Role' }], PolicyDocument: policy } },
        },
      }),
    );
    expect(lint(file).findings.map((f) => f.Rule.Id)).toContain('W3037');
  }, 180_000);

  it.each(Object.keys(variants))(
    '%s: no error, no warning but W3005',
    (name) => {
      const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.template.json`);
      writeFileSync(file, JSON.stringify(templateOf(variants[name]!).toJSON()));
      const { findings, status, stderr } = lint(file);
      const unexpected = findings
        .filter((f) => !ALLOWED_WARNINGS.includes(f.Rule.Id))
        .map((f) => `${f.Level} ${f.Rule.Id} at ${JSON.stringify(f.Location.Path)}: ${f.Message}`);
      expect(unexpected).toEqual([]);
      // Exit status: 0 clean, 4 warnings only (cfn-lint's bit flags: 2 error, 4 warning, 8 informational).
      expect(status! & 2, stderr).toBe(0);
    },
    180_000,
  );
});
