// The one validator of a list of LaunchDarkly environments, shared by the two places that read one: the CDK
// configuration (lib/infra/config.ts: `environments` in cdk.json, -c or typed props) and the handlers'
// LD_ENVIRONMENTS (lib/sync/environments.ts). Same rules, same messages, so whatever synthesizes is accepted at
// run time: entries are objects with known fields only; names and prefixes follow one pattern each; a value
// that looks like an SDK key, where only a secret's name belongs, is refused without being echoed; names are
// unique, and so are prefixes (two environments without a prefix would overwrite each other's flags). The two
// callers differ only in the secret field (its name, whether it is required, its format) and the error class.
// Pure, with no imports: runtime code and deploy-time code both import it (it is not under lib/infra).

/** An environment's name: logs, the metrics dimension, the webhook path, construct ids. */
export const ENVIRONMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A key prefix: no ':' (it separates the prefix from the namespace) and nothing that needs quoting in logs or consoles. */
export const KEY_PREFIX = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Whether text holds what looks like a LaunchDarkly server-side SDK key ("sdk-" and 8 hex digits, so a
 * truncated key counts too). Such a value, put where a secret's id belongs, would end up in logs and
 * templates; checks use this to refuse it without echoing it.
 */
export function looksLikeSdkKey(text: string): boolean {
  return /sdk-[0-9a-f]{8}-/i.test(text);
}

/** What differs between the callers. */
export interface EnvironmentListRules {
  /** Names the list in messages, e.g. 'Environment variable LD_ENVIRONMENTS' or 'props "environments"'. */
  readonly where: string;
  /** The field naming the SDK key's secret, e.g. 'sdkKeySecretId'. */
  readonly secretField: string;
  readonly secretRequired: boolean;
  /** The format of the secret field's value. */
  readonly secretPattern: RegExp;
  /** What the format is, for messages: 'a Secrets Manager secret name or ARN (…)'. */
  readonly secretExpected: string;
  /** An example list, for messages. */
  readonly example: string;
  /** Builds the caller's error from a message. */
  readonly fail: (message: string) => Error;
}

export interface EnvironmentEntry {
  name: string;
  prefix?: string;
  /** The secret field's value, when given. */
  secret?: string;
}

/** Checks a parsed list of environments; throws `rules.fail(message)` naming the entry, the field and the value. */
export function checkEnvironmentList(value: unknown, rules: EnvironmentListRules): EnvironmentEntry[] {
  const { where, fail } = rules;
  if (!Array.isArray(value)) throw fail(`${where} must be a list of environments like ${rules.example}, got ${jsonTypeOf(value)}`);
  if (value.length === 0) throw fail(`${where} lists no environments; expected at least one, like ${rules.example}`);
  const fields = ['name', 'prefix', rules.secretField];
  const out: EnvironmentEntry[] = [];
  value.forEach((entry: unknown, index) => {
    const at = (name?: string) => `${where}[${index}]${name ? ` (${JSON.stringify(name)})` : ''}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw fail(`${at()} must be an object like {"name":"production","prefix":"prod"}, got ${jsonTypeOf(entry)}`);
    }
    const e = entry as Record<string, unknown>;
    const name = e.name;
    if (typeof name !== 'string' || !ENVIRONMENT_NAME.test(name)) {
      throw fail(`${at()}: "name" must be 1 to 64 letters, digits, '.', '_' or '-' (starting with a letter or digit), got ${shown(name)}`);
    }
    for (const key of Object.keys(e)) {
      if (fields.includes(key)) continue;
      const hint = /key|secret|token/i.test(key)
        ? `; SDK keys never go into configuration: keep them in Secrets Manager and name the secret with "${rules.secretField}"`
        : '';
      throw fail(`${at(name)}: unknown field '${key}'; expected ${fields.join(', ')}${hint}`);
    }
    const prefix = e.prefix;
    if (prefix !== undefined && (typeof prefix !== 'string' || !KEY_PREFIX.test(prefix))) {
      throw fail(
        `${at(name)}: "prefix" must be 1 to 100 letters, digits, '.', '_' or '-' (starting with a letter or ` +
          `digit; no ':'), or left out for no prefix, got ${shown(prefix)}`,
      );
    }
    const secret = checkSecret(e[rules.secretField], rules, at(name));
    const sameName = out.findIndex((o) => o.name === name);
    if (sameName >= 0) throw fail(`${at(name)}: the name is already used by ${where}[${sameName}]; names must be unique`);
    const samePrefix = out.findIndex((o) => o.prefix === prefix);
    if (samePrefix >= 0) {
      const what = prefix === undefined ? 'has no prefix, like' : `has the prefix ${JSON.stringify(prefix)}, as does`;
      throw fail(
        `${at(name)} ${what} ${where}[${samePrefix}] (${JSON.stringify(out[samePrefix]!.name)}); ` +
          `environments sharing a table need distinct prefixes`,
      );
    }
    out.push({ name, ...(prefix !== undefined && { prefix: prefix as string }), ...(secret !== undefined && { secret }) });
  });
  return out;
}

function checkSecret(value: unknown, rules: EnvironmentListRules, at: string): string | undefined {
  if (value === undefined && !rules.secretRequired) return undefined;
  if (typeof value === 'string' && looksLikeSdkKey(value)) {
    // Not echoed: it is a key, not a secret's name, and error output ends up in CI logs.
    throw rules.fail(
      `${at}: "${rules.secretField}" holds what looks like a LaunchDarkly SDK key; store the key in ` +
        `Secrets Manager and give the secret here ` +
        '(and rotate the key in LaunchDarkly: it has been exposed in configuration)',
    );
  }
  if (typeof value !== 'string' || !rules.secretPattern.test(value)) {
    throw rules.fail(`${at}: "${rules.secretField}" must be ${rules.secretExpected}, got ${shown(value)}`);
  }
  return value;
}

/** "an object", "a list", "null", or the value itself for scalars (never an SDK key). */
export function jsonTypeOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return shown(value);
  return `${typeof value} ${String(value)}`;
}

/** A value for an error message: strings quoted and cut at 80 characters; an SDK key look-alike not shown. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') {
    if (looksLikeSdkKey(value)) return 'a value that looks like an SDK key (not shown)';
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return jsonTypeOf(value);
}
