// The deployment configuration: defaults, what `-c` strings turn into, and the errors a mistake produces. Each
// error must name the setting, the value received and what was expected; none may echo an SDK key.
import { describe, expect, it } from 'vitest';
import { regionNotice } from '../../lib/infra/app.js';
import { ConfigError, resolveConfig } from '../../lib/infra/config.js';
import { configFromContext } from '../../lib/infra/context.js';

const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:ld/production/sdk-key-AbCdEf';
const env = [{ name: 'production' }];

function fromContext(context: Record<string, unknown>) {
  return configFromContext((key) => context[key], Object.keys(context));
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).name).toBe('ConfigError');
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it('fills in every optional setting', () => {
    expect(resolveConfig({ environments: env })).toEqual({
      environments: [{ name: 'production' }],
      pollRateMinutes: 5,
      streaming: false,
      replicaRegions: [],
      tableEncryption: 'aws-managed',
      replicaKeyArns: {},
      stalenessMinutes: 15,
      logRetentionDays: 30,
    });
  });

  it('consumerExample: true evaluates "example-flag" of the first environment', () => {
    const config = resolveConfig({
      environments: [
        { name: 'a', prefix: 'a' },
        { name: 'b', prefix: 'b' },
      ],
      consumerExample: true,
    });
    expect(config.consumerExample).toEqual({ flagKey: 'example-flag', environment: 'a' });
  });
});

describe('context given on the command line', () => {
  it('turns -c strings into JSON, booleans, numbers and region lists', () => {
    const config = fromContext({
      environments: '[{"name":"production","prefix":"prod"},{"name":"staging","prefix":"stg"}]',
      streaming: 'true',
      pollRateMinutes: '2',
      replicaRegions: 'eu-west-1, ap-southeast-2',
      consumerExample: '{"flagKey":"new-checkout","environment":"staging"}',
    });
    expect(config).toMatchObject({
      environments: [
        { name: 'production', prefix: 'prod' },
        { name: 'staging', prefix: 'stg' },
      ],
      streaming: true,
      pollRateMinutes: 2,
      replicaRegions: ['eu-west-1', 'ap-southeast-2'],
      consumerExample: { flagKey: 'new-checkout', environment: 'staging' },
    });
  });

  it('says where to set the environments when there are none', () => {
    expect(errorOf(() => fromContext({})).message).toMatch(
      /context "environments" is not set; expected a list of LaunchDarkly environments like \[\{"name":"production"/,
    );
  });

  it('points out a setting spelt with the wrong case', () => {
    expect(errorOf(() => fromContext({ environments: env, pollrateminutes: 3 })).message).toMatch(
      /^Invalid configuration: context key 'pollrateminutes' is not a setting; did you mean 'pollRateMinutes'\? known settings: environments, pollRateMinutes, /,
    );
  });

  it('rejects a misspelt setting (-c streamng=true) with the list of known settings, rather than ignoring it', () => {
    expect(errorOf(() => fromContext({ environments: env, streamng: 'true' })).message).toBe(
      "Invalid configuration: context key 'streamng' is not a setting; did you mean 'streaming'? known settings: " +
        'environments, pollRateMinutes, streaming, replicaRegions, tableEncryption, replicaKeyArns, tableName, tableNameParameter, ' +
        'stalenessMinutes, logRetentionDays, webhookSecretArn, alarmTopicArn, consumerExample, ldBaseUri, ldStreamUri, stackName',
    );
    expect(errorOf(() => fromContext({ environments: env, colour: 'blue' })).message).toMatch(
      /^Invalid configuration: context key 'colour' is not a setting; known settings: /,
    );
  });

  it('leaves the CDK’s own context keys alone (feature flags, aws:cdk:…, cached lookups) and accepts stackName', () => {
    const keys = {
      environments: env,
      stackName: 'Flags',
      '@aws-cdk/core:newStyleStackSynthesis': true,
      'aws:cdk:bundling-stacks': [],
      'availability-zones:account=1:region=x': [],
    };
    expect(fromContext(keys).environments).toEqual([{ name: 'production' }]);
  });

  it('rejects malformed JSON without echoing it', () => {
    const message = errorOf(() => fromContext({ environments: '[{"name":"production","sdkKey":"sdk-12345678-…' })).message;
    expect(message).toBe('Invalid configuration: context "environments" starts like JSON but is not valid JSON');
  });
});

describe('validation errors name the setting, the value and what was expected', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no environments', { environments: [] }, /props "environments" lists no environments; expected at least one, like \[/],
    [
      'a bad name',
      { environments: [{ name: 'prod env' }] },
      /props "environments"\[0\]: "name" must be 1 to 64 letters, digits, '\.', '_' or '-'.*got "prod env"/,
    ],
    ['a prefix with a colon', { environments: [{ name: 'p', prefix: 'a:b' }] }, /\[0\] \("p"\): "prefix" must be .*no ':'.*got "a:b"/],
    [
      'two environments without a prefix',
      { environments: [{ name: 'a' }, { name: 'b' }] },
      /props "environments"\[1\] \("b"\) has no prefix, like props "environments"\[0\] \("a"\); environments sharing a table need distinct prefixes/,
    ],
    [
      'a duplicate name',
      {
        environments: [
          { name: 'a', prefix: 'x' },
          { name: 'a', prefix: 'y' },
        ],
      },
      /\[1\] \("a"\): the name is already used by props "environments"\[0\]/,
    ],
    [
      'an unknown environment field',
      { environments: [{ name: 'a', sdkKey: 'x' }] },
      /unknown field 'sdkKey'; expected name, prefix, sdkKeySecretArn; SDK keys never go into configuration/,
    ],
    [
      'a partial secret ARN',
      { environments: [{ name: 'a', sdkKeySecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:ld/a' }] },
      /must be the complete ARN of a Secrets Manager secret .*got "arn:aws:secretsmanager:us-east-1:111122223333:secret:ld\/a"/,
    ],
    [
      'a poll rate of 0',
      { environments: env, pollRateMinutes: 0 },
      /props "pollRateMinutes" must be a whole number of minutes from 1 to 1440, got 0/,
    ],
    [
      'a fractional poll rate',
      { environments: env, pollRateMinutes: 2.5 },
      /props "pollRateMinutes" must be a whole number of minutes from 1 to 1440, got 2\.5/,
    ],
    ['streaming as a string', { environments: env, streaming: 'yes' }, /props "streaming" must be true or false, got "yes"/],
    [
      'a staleness window shorter than the poll rate',
      { environments: env, pollRateMinutes: 10, stalenessMinutes: 5 },
      /props "stalenessMinutes" is 5, shorter than "pollRateMinutes" \(10\).*expected at least 10/,
    ],
    [
      'a retention CloudWatch does not offer',
      { environments: env, logRetentionDays: 10 },
      /props "logRetentionDays" must be one of the retention periods CloudWatch Logs accepts \(1, 3, 5, 7, 14, 30.*\), got 10/,
    ],
    [
      'a misspelt region',
      { environments: env, replicaRegions: ['eu-west'] },
      /props "replicaRegions"\[0\] must be an AWS region like "eu-west-1", got "eu-west"/,
    ],
    ['a region twice', { environments: env, replicaRegions: ['eu-west-1', 'eu-west-1'] }, /lists "eu-west-1" twice/],
    [
      'an unknown encryption',
      { environments: env, tableEncryption: 'none' },
      /props "tableEncryption" must be one of "aws-managed", "customer-managed", got "none"/,
    ],
    [
      'customer-managed replicas without keys',
      { environments: env, tableEncryption: 'customer-managed', replicaRegions: ['eu-west-1'] },
      /needs a KMS key ARN for each replica region; missing: eu-west-1/,
    ],
    [
      'a topic that is not an SNS ARN',
      { environments: env, alarmTopicArn: 'alerts' },
      /props "alarmTopicArn" must be an SNS topic ARN .*got "alerts"/,
    ],
    [
      'an http base URI',
      { environments: env, ldBaseUri: 'http://sdk.example.com' },
      /props "ldBaseUri" must be an https:\/\/ URL .*got "http:\/\/sdk\.example\.com"/,
    ],
    [
      'a consumer example for an unknown environment',
      { environments: env, consumerExample: { flagKey: 'f', environment: 'staging' } },
      /props "consumerExample"\.environment must name a configured environment \("production"\), got "staging"/,
    ],
    ['an unknown setting', { environments: env, pollRate: 5 }, /unknown setting 'pollRate'; expected one of environments, pollRateMinutes/],
  ])('%s', (_what, input, expected) => {
    expect(errorOf(() => resolveConfig(input)).message).toMatch(expected);
  });

  it('refuses more environments than one stack holds (CloudFormation’s 500 resources, the webhook’s 4 KB of variables)', () => {
    const environments = (n: number, name = (i: number) => `environment-number-${i}`) =>
      Array.from({ length: n }, (_, i) => ({ name: name(i), prefix: `p${i}` }));
    expect(errorOf(() => resolveConfig({ environments: environments(23), streaming: true })).message).toMatch(
      /props "environments" lists 23 environments with streaming, about 455 resources in one stack; expected at most about 450 .*deploy them as two stacks/,
    );
    expect(resolveConfig({ environments: environments(22), streaming: true }).environments).toHaveLength(22);
    expect(resolveConfig({ environments: environments(36) }).environments).toHaveLength(36);
    const longNames = environments(30, (i) => `${'a-very-long-environment-name'.repeat(2)}-${i}`);
    expect(errorOf(() => resolveConfig({ environments: longNames })).message).toMatch(
      /lists 30 environments, about \d+ bytes once the webhook is told each one's poll function; expected at most about 3500/,
    );
  });

  it('never echoes an SDK key given where a secret ARN belongs', () => {
    const key = 'sdk-00000000-0000-0000-0000-00000000f4ce'; // fake: the shape of an SDK key, not one
    const message = errorOf(() => resolveConfig({ environments: [{ name: 'production', sdkKeySecretArn: key }] })).message;
    expect(message).toMatch(
      /\("production"\): "sdkKeySecretArn" holds what looks like a LaunchDarkly SDK key; store the key in Secrets Manager/,
    );
    expect(message).not.toContain('f4ce');
  });

  it('accepts a complete secret ARN, replicas with their keys, and https URIs', () => {
    const config = resolveConfig({
      environments: [{ name: 'production', prefix: 'prod', sdkKeySecretArn: ARN }],
      replicaRegions: ['eu-west-1'],
      tableEncryption: 'customer-managed',
      replicaKeyArns: { 'eu-west-1': 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
      ldBaseUri: 'https://sdk.launchdarkly.us/',
    });
    expect(config.environments[0]!.sdkKeySecretArn).toBe(ARN);
    expect(config.ldBaseUri).toBe('https://sdk.launchdarkly.us');
  });
});

describe('the region', () => {
  it('says so when the CDK falls back to us-east-1 because nothing names a region', () => {
    expect(regionNotice({ CDK_DEFAULT_REGION: 'us-east-1' })).toBe(
      'ld-dynamodb-sync: no AWS region is configured (AWS_REGION, AWS_DEFAULT_REGION or AWS_PROFILE), so the CDK assumes us-east-1; set AWS_REGION to deploy elsewhere',
    );
    expect(regionNotice({})).toMatch(/no AWS region is known, so the stack is synthesized environment-agnostic/);
  });

  it('stays quiet when a region was chosen', () => {
    expect(regionNotice({ CDK_DEFAULT_REGION: 'us-east-1', AWS_REGION: 'us-east-1' })).toBeUndefined();
    expect(regionNotice({ CDK_DEFAULT_REGION: 'us-east-1', AWS_PROFILE: 'flags' })).toBeUndefined();
    expect(regionNotice({ CDK_DEFAULT_REGION: 'eu-west-1' })).toBeUndefined();
  });
});
