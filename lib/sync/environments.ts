// The LaunchDarkly environments one deployment syncs, as configured in LD_ENVIRONMENTS: a JSON array of
// {"name", "prefix"?, "sdkKeySecretId"}. Each environment has its own SDK key (held in Secrets Manager; the
// configuration only names the secret) and its own key prefix in the shared table. Pure: the handlers read
// the variable and pass its text here.
import { checkEnvironmentList, shown } from '../config/environment-list.js';
import { EnvironmentConfigError } from './errors.js';

export { ENVIRONMENT_NAME, KEY_PREFIX, looksLikeSdkKey } from '../config/environment-list.js';

export interface EnvironmentConfig {
  /** Used in logs, as the metrics dimension and in the webhook path ("/<name>"). */
  name: string;
  /** Key prefix in the table; none means LaunchDarkly's unprefixed namespaces. */
  prefix?: string;
  /** Secrets Manager secret id or ARN whose SecretString is the environment's server-side SDK key. */
  sdkKeySecretId: string;
}

// Secrets Manager names allow letters, digits and /_+=.@-; ARNs add ':'.
const SECRET_ID = /^[A-Za-z0-9/_+=.@:-]{1,2048}$/;
const EXAMPLE = '[{"name":"production","prefix":"prod","sdkKeySecretId":"ld-dynamodb-sync/production/sdk-key"}]';

/**
 * Parses and checks the environments configuration with the rules the CDK configuration uses too
 * (lib/config/environment-list.ts). `where` names its origin in messages (e.g. "LD_ENVIRONMENTS"). Throws
 * EnvironmentConfigError naming the bad entry and field; names must be unique, and so must prefixes.
 */
export function parseEnvironments(json: string, where: string): EnvironmentConfig[] {
  if (typeof json !== 'string' || json.trim() === '') {
    throw new EnvironmentConfigError(`${where} is empty; expected a JSON array of environments like ${EXAMPLE}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    // JSON.parse's message quotes the text; the text is not echoed, in case a key was pasted into it.
    throw new EnvironmentConfigError(`${where} is not valid JSON; expected a JSON array of environments like ${EXAMPLE}`);
  }
  const entries = checkEnvironmentList(parsed, {
    where,
    secretField: 'sdkKeySecretId',
    secretRequired: true,
    secretPattern: SECRET_ID,
    secretExpected: 'a Secrets Manager secret name or ARN (letters, digits and /_+=.@:-)',
    example: EXAMPLE,
    fail: (message) => new EnvironmentConfigError(message),
  });
  return entries.map(({ name, prefix, secret }) =>
    prefix === undefined ? { name, sdkKeySecretId: secret! } : { name, prefix, sdkKeySecretId: secret! },
  );
}

/**
 * The environments a request asks for: the one named, or all of them when `name` is undefined. Throws
 * EnvironmentConfigError naming the known environments when the name is unknown.
 */
export function selectEnvironments(
  environments: readonly EnvironmentConfig[],
  name: string | undefined,
  where: string,
): EnvironmentConfig[] {
  if (name === undefined) return [...environments];
  const found = environments.find((e) => e.name === name);
  if (!found) {
    throw new EnvironmentConfigError(
      `${where}: unknown environment ${shown(name)}; configured: ${environments.map((e) => JSON.stringify(e.name)).join(', ')}`,
    );
  }
  return [found];
}
