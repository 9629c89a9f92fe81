// parseEnvironments / selectEnvironments: the LD_ENVIRONMENTS configuration every handler reads. A mistake
// here must be named precisely (which entry, which field, what was given), and must never echo an SDK key
// pasted where the secret's id belongs.
import { describe, expect, it } from 'vitest';
import { EnvironmentConfigError, parseEnvironments, selectEnvironments } from '../../lib/sync/index.js';

const W = 'LD_ENVIRONMENTS';
const parse = (value: unknown) => parseEnvironments(typeof value === 'string' ? value : JSON.stringify(value), W);

function failure(value: unknown): EnvironmentConfigError {
  try {
    parse(value);
  } catch (err) {
    expect(err).toBeInstanceOf(EnvironmentConfigError);
    expect((err as Error).name).toBe('EnvironmentConfigError');
    return err as EnvironmentConfigError;
  }
  throw new Error('expected parseEnvironments to throw');
}

describe('parseEnvironments', () => {
  it('accepts environments with and without a prefix, secret names and ARNs', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ld/staging/sdk-key-AbCdEf';
    expect(
      parse([
        { name: 'production', sdkKeySecretId: 'ld-dynamodb-sync/production/sdk-key' },
        { name: 'staging', prefix: 'staging', sdkKeySecretId: arn },
      ]),
    ).toEqual([
      { name: 'production', sdkKeySecretId: 'ld-dynamodb-sync/production/sdk-key' },
      { name: 'staging', prefix: 'staging', sdkKeySecretId: arn },
    ]);
  });

  it('rejects text that is not a non-empty JSON array, without echoing the text', () => {
    expect(failure('').message).toMatch(/LD_ENVIRONMENTS is empty; expected a JSON array/);
    const bad = failure('[{"name":"prod","sdkKeySecretId":"sdk-00000000-0000-0000-0000-00000000beef"');
    expect(bad.message).toMatch(/LD_ENVIRONMENTS is not valid JSON; expected a JSON array of environments like \[/);
    expect(bad.message).not.toContain('beef');
    expect(failure({ name: 'prod' }).message).toMatch(/must be a list of environments like \[.*, got an object$/);
    expect(failure([]).message).toMatch(/lists no environments/);
  });

  it('names the entry and field that is wrong, with the value received', () => {
    expect(failure([{ name: 'ok', sdkKeySecretId: 's1' }, 'staging']).message).toBe(
      'LD_ENVIRONMENTS[1] must be an object like {"name":"production","prefix":"prod"}, got "staging"',
    );
    expect(failure([{ name: 'bad name!', sdkKeySecretId: 's' }]).message).toMatch(
      /^LD_ENVIRONMENTS\[0\]: "name" must be 1 to 64 letters.*got "bad name!"$/,
    );
    expect(failure([{ sdkKeySecretId: 's' }]).message).toMatch(/LD_ENVIRONMENTS\[0\]: "name" .* got nothing$/);
    expect(failure([{ name: 'prod', prefix: 'a:b', sdkKeySecretId: 's' }]).message).toMatch(
      /^LD_ENVIRONMENTS\[0\] \("prod"\): "prefix" must be .*no ':'.*got "a:b"$/,
    );
    expect(failure([{ name: 'prod', prefix: '', sdkKeySecretId: 's' }]).message).toMatch(/"prefix" must be .* got ""$/);
    expect(failure([{ name: 'prod' }]).message).toMatch(
      /^LD_ENVIRONMENTS\[0\] \("prod"\): "sdkKeySecretId" must be a Secrets Manager secret name or ARN.*got nothing$/,
    );
    expect(failure([{ name: 'prod', sdkKeySecretId: 'has space' }]).message).toMatch(/got "has space"$/);
    expect(failure([{ name: 'prod', sdkKeySecretId: 's', region: 'eu-west-1' }]).message).toBe(
      'LD_ENVIRONMENTS[0] ("prod"): unknown field \'region\'; expected name, prefix, sdkKeySecretId',
    );
  });

  it('never echoes an SDK key put where a secret id belongs, or under another field', () => {
    const key = 'sdk-00000000-0000-0000-0000-00000000cafe'; // fake: the shape of an SDK key, not one
    const asId = failure([{ name: 'prod', sdkKeySecretId: key }]);
    expect(asId.message).toMatch(/"sdkKeySecretId" holds what looks like a LaunchDarkly SDK key; store the key in Secrets Manager/);
    const asField = failure([{ name: 'prod', sdkKey: key, sdkKeySecretId: 's' }]);
    expect(asField.message).toMatch(/unknown field 'sdkKey'.*SDK keys never go into configuration: keep them in Secrets Manager/);
    for (const err of [asId, asField]) expect(err.message).not.toContain(key);
  });

  it('requires unique names and unique prefixes (no prefix counts as one)', () => {
    expect(
      failure([
        { name: 'prod', sdkKeySecretId: 'a' },
        { name: 'prod', prefix: 'p2', sdkKeySecretId: 'b' },
      ]).message,
    ).toBe('LD_ENVIRONMENTS[1] ("prod"): the name is already used by LD_ENVIRONMENTS[0]; names must be unique');
    expect(
      failure([
        { name: 'prod', sdkKeySecretId: 'a' },
        { name: 'staging', sdkKeySecretId: 'b' },
      ]).message,
    ).toBe(
      'LD_ENVIRONMENTS[1] ("staging") has no prefix, like LD_ENVIRONMENTS[0] ("prod"); environments sharing a table need distinct prefixes',
    );
    expect(
      failure([
        { name: 'prod', prefix: 'x', sdkKeySecretId: 'a' },
        { name: 'staging', prefix: 'x', sdkKeySecretId: 'b' },
      ]).message,
    ).toMatch(/has the prefix "x", as does LD_ENVIRONMENTS\[0\] \("prod"\)/);
  });
});

describe('selectEnvironments', () => {
  const envs = parse([
    { name: 'production', sdkKeySecretId: 'a' },
    { name: 'staging', prefix: 'stg', sdkKeySecretId: 'b' },
  ]);

  it('returns all environments when none is named, or the one named', () => {
    expect(selectEnvironments(envs, undefined, 'event').map((e) => e.name)).toEqual(['production', 'staging']);
    expect(selectEnvironments(envs, 'staging', 'event')).toEqual([{ name: 'staging', prefix: 'stg', sdkKeySecretId: 'b' }]);
  });

  it('names the configured environments when asked for an unknown one', () => {
    expect(() => selectEnvironments(envs, 'prod', 'poll event')).toThrow(
      'poll event: unknown environment "prod"; configured: "production", "staging"',
    );
  });
});
