// The LaunchDarkly environments one deployment syncs, as configured in LD_ENVIRONMENTS: a JSON array of
// {"name", "prefix"?, "sdkKeySecretId"}. Each environment has its own SDK key (held in Secrets Manager; the
// configuration only names the secret) and its own key prefix in the shared table. Pure: the handlers read
// the variable and pass its text here.
import { EnvironmentConfigError } from './errors.js';

export interface EnvironmentConfig {
  /** Used in logs, as the metrics dimension and in the webhook path ("/<name>"). */
  name: string;
  /** Key prefix in the table; none means LaunchDarkly's unprefixed namespaces. */
  prefix?: string;
  /** Secrets Manager secret id or ARN whose SecretString is the environment's server-side SDK key. */
  sdkKeySecretId: string;
}

const FIELDS = ['name', 'prefix', 'sdkKeySecretId'];
/** An environment's name; the CDK configuration (lib/infra/config.ts) checks with the same rule. */
export const ENVIRONMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A key prefix: no ':' (it separates the prefix from the namespace) and nothing that needs quoting in logs or consoles. */
export const KEY_PREFIX = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
// Secrets Manager names allow letters, digits and /_+=.@-; ARNs add ':'.
const SECRET_ID = /^[A-Za-z0-9/_+=.@:-]{1,2048}$/;
/**
 * Whether text holds what looks like a LaunchDarkly server-side SDK key ("sdk-" and 8 hex digits, so a
 * truncated key counts too). Such a value, put where a secret's id belongs, would end up in logs and
 * templates; checks use this to refuse it without echoing it.
 */
export function looksLikeSdkKey(text: string): boolean {
  return /sdk-[0-9a-f]{8}-/i.test(text);
}

const EXAMPLE = '[{"name":"production","prefix":"prod","sdkKeySecretId":"ld-dynamodb-sync/production/sdk-key"}]';

/**
 * Parses and checks the environments configuration. `where` names its origin in messages (e.g.
 * "LD_ENVIRONMENTS"). Throws EnvironmentConfigError naming the bad entry and field; names must be unique, and
 * so must prefixes (two environments without a prefix would overwrite each other's flags).
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
  if (!Array.isArray(parsed)) {
    throw new EnvironmentConfigError(`${where} must be a JSON array of environments, got ${kindOf(parsed)}; for example ${EXAMPLE}`);
  }
  if (parsed.length === 0) throw new EnvironmentConfigError(`${where} lists no environments; expected at least one, like ${EXAMPLE}`);

  const out: EnvironmentConfig[] = [];
  const byName = new Map<string, number>();
  const byPrefix = new Map<string, number>();
  parsed.forEach((entry: unknown, index) => {
    const at = (name?: string) => `${where}[${index}]${name ? ` (${JSON.stringify(name)})` : ''}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new EnvironmentConfigError(`${at()} must be an object with "name" and "sdkKeySecretId", got ${kindOf(entry)}`);
    }
    const e = entry as Record<string, unknown>;
    const name = e.name;
    if (typeof name !== 'string' || !ENVIRONMENT_NAME.test(name)) {
      throw new EnvironmentConfigError(
        `${at()}: "name" must be 1 to 64 letters, digits, '.', '_' or '-' (starting with a letter or digit), got ${shown(name)}`,
      );
    }
    for (const key of Object.keys(e)) {
      if (!FIELDS.includes(key)) {
        const hint = /key|secret|token/i.test(key) && key !== 'sdkKeySecretId' ? '; SDK keys belong in Secrets Manager, named by "sdkKeySecretId"' : '';
        throw new EnvironmentConfigError(`${at(name)}: Unknown field '${key}'; expected ${FIELDS.join(', ')}${hint}`);
      }
    }
    const prefix = e.prefix;
    if (prefix !== undefined && (typeof prefix !== 'string' || !KEY_PREFIX.test(prefix))) {
      throw new EnvironmentConfigError(
        `${at(name)}: "prefix" must be 1 to 100 letters, digits, '.', '_' or '-' (starting with a letter or digit; no ':'), or left out for no prefix, got ${shown(prefix)}`,
      );
    }
    const secretId = e.sdkKeySecretId;
    if (typeof secretId === 'string' && looksLikeSdkKey(secretId)) {
      // Not echoed: it is a key, not an id.
      throw new EnvironmentConfigError(
        `${at(name)}: "sdkKeySecretId" holds what looks like an SDK key itself; store the key in Secrets Manager and give the secret's name or ARN here (and rotate the key: it has been exposed in configuration)`,
      );
    }
    if (typeof secretId !== 'string' || !SECRET_ID.test(secretId)) {
      throw new EnvironmentConfigError(
        `${at(name)}: "sdkKeySecretId" must be a Secrets Manager secret name or ARN (letters, digits and /_+=.@:-), got ${shown(secretId)}`,
      );
    }
    const sameName = byName.get(name);
    if (sameName !== undefined) throw new EnvironmentConfigError(`${at(name)}: the name is already used by ${where}[${sameName}]; names must be unique`);
    const prefixKey = prefix ?? '';
    const samePrefix = byPrefix.get(prefixKey);
    if (samePrefix !== undefined) {
      const what = prefix === undefined ? 'has no prefix, like' : `has the prefix ${JSON.stringify(prefix)}, as does`;
      throw new EnvironmentConfigError(
        `${at(name)} ${what} ${where}[${samePrefix}] (${JSON.stringify(out[samePrefix]!.name)}); environments sharing a table need distinct prefixes`,
      );
    }
    byName.set(name, index);
    byPrefix.set(prefixKey, index);
    out.push(prefix === undefined ? { name, sdkKeySecretId: secretId } : { name, prefix, sdkKeySecretId: secretId });
  });
  return out;
}

/**
 * The environments a request asks for: the one named, or all of them when `name` is undefined. Throws
 * EnvironmentConfigError naming the known environments when the name is unknown.
 */
export function selectEnvironments(environments: readonly EnvironmentConfig[], name: string | undefined, where: string): EnvironmentConfig[] {
  if (name === undefined) return [...environments];
  const found = environments.find((e) => e.name === name);
  if (!found) {
    throw new EnvironmentConfigError(
      `${where}: unknown environment ${shown(name)}; configured: ${environments.map((e) => JSON.stringify(e.name)).join(', ')}`,
    );
  }
  return [found];
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return kindOf(value);
}
