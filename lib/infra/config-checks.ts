// The checks of each deployment setting or group of settings (environments, stack size, replicas and their keys,
// log retention, the example consumer, ARNs, numbers, URIs), one function each, for lib/infra/config.ts.
// Each throws a ConfigError naming the setting, the value received and what was expected. Pure.
import { checkEnvironmentList, jsonTypeOf, looksLikeSdkKey, shown } from '../config/environment-list.js';
import { ServiceUriError, checkServiceUri } from '../launchdarkly/service-uri.js';
import {
  type ConsumerExampleSettings,
  ConfigError,
  DEFAULTS,
  ENV_EXAMPLE,
  type EnvironmentSettings,
  type TableEncryptionSetting,
} from './config-settings.js';

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const SECRET_ARN_EXPECTED =
  'the complete ARN of a Secrets Manager secret ' +
  '(arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>, as shown by "aws ' +
  'secretsmanager describe-secret")';
export const SNS_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
export const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
export const SSM_NAME = /^\/[A-Za-z0-9_.\-/]{1,1010}$/;
const FLAG_KEY = /^[A-Za-z0-9._-]{1,256}$/;
/** The retention periods CloudWatch Logs accepts. */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
/** The webhook's SYNC_FUNCTIONS (every environment's poll function) shares Lambda's 4 KB of environment variables. */
const MAX_SYNC_FUNCTIONS_BYTES = 3500;
/** A generated function name is at most 64 characters; quotes, colon and comma add 6. */
const SYNC_FUNCTION_ENTRY_BYTES = 70;
/** CloudFormation allows 500 resources per stack; this leaves room for what a later version adds. */
const MAX_RESOURCES = 450;
/** Resources of the stack itself (table, parameter, queue, webhook, its secret, stack alarms, example consumer). */
const FIXED_RESOURCES = 18;
/** Per environment: secret, poll function (role, policy, logs, function, invoke config, schedule, permission), alarms; streaming adds 7. */
const RESOURCES_PER_ENVIRONMENT = { polling: 12, streaming: 19 } as const;

/** The environment list, with the handlers' own rules (lib/config/environment-list.ts). */
export function parseEnvironments(value: unknown, where: string): EnvironmentSettings[] {
  const entries = checkEnvironmentList(value, {
    where,
    secretField: 'sdkKeySecretArn',
    secretRequired: false,
    secretPattern: SECRET_ARN,
    secretExpected: SECRET_ARN_EXPECTED,
    example: ENV_EXAMPLE,
    fail: (message) => new ConfigError(`Invalid configuration: ${message}`),
  });
  return entries.map(({ name, prefix, secret }) => ({
    name,
    ...(prefix !== undefined && { prefix }),
    ...(secret !== undefined && { sdkKeySecretArn: secret }),
  }));
}

/**
 * Each environment gets its own functions (see EnvironmentSync), so the number of environments one stack holds
 * is bounded by CloudFormation's 500 resources and by the webhook's 4 KB of environment variables, which name
 * every environment's poll function. Beyond that: two stacks, each with its own table.
 */
export function checkStackSize(environments: readonly EnvironmentSettings[], streaming: boolean, where: string): void {
  const resources = FIXED_RESOURCES + environments.length * RESOURCES_PER_ENVIRONMENT[streaming ? 'streaming' : 'polling'];
  const bytes = environments.reduce((sum, e) => sum + e.name.length + SYNC_FUNCTION_ENTRY_BYTES, 2);
  const split = 'deploy them as two stacks (context "stackName") with a table each';
  if (resources > MAX_RESOURCES) {
    throw new ConfigError(
      `Invalid configuration: ${where} lists ${environments.length} ` +
        `environments${streaming ? ' with streaming' : ''}, about ${resources} resources in one stack; ` +
        `expected at most about ${MAX_RESOURCES} (CloudFormation allows 500 per stack): ${split}`,
    );
  }
  if (bytes > MAX_SYNC_FUNCTIONS_BYTES) {
    throw new ConfigError(
      `Invalid configuration: ${where} lists ${environments.length} environments, about ${bytes} bytes ` +
        `once the webhook is told each one's poll function; ` +
        `expected at most about ${MAX_SYNC_FUNCTIONS_BYTES} (Lambda allows 4 KB of environment variables per function): ${split}`,
    );
  }
}

export function parseRegions(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new ConfigError(`Invalid configuration: ${where} must be a list of AWS regions like ["eu-west-1"], got ${jsonTypeOf(value)}`);
  const out: string[] = [];
  for (const [index, region] of value.entries()) {
    if (typeof region !== 'string' || !REGION.test(region)) {
      throw new ConfigError(`Invalid configuration: ${where}[${index}] must be an AWS region like "eu-west-1", got ${shown(region)}`);
    }
    if (out.includes(region))
      throw new ConfigError(`Invalid configuration: ${where} lists ${JSON.stringify(region)} twice; expected each region once`);
    out.push(region);
  }
  return out;
}

export function parseReplicaKeys(
  value: unknown,
  where: string,
  regions: readonly string[],
  encryption: TableEncryptionSetting,
): Record<string, string> {
  const keys: Record<string, string> = {};
  if (value !== undefined) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new ConfigError(
        `Invalid configuration: ${where} must map each replica region to a KMS key ARN, like ` +
          `{"eu-west-1":"arn:aws:kms:eu-west-1:111122223333:key/…"}, got ${jsonTypeOf(value)}`,
      );
    }
    for (const [region, arn] of Object.entries(value)) {
      if (!regions.includes(region)) {
        throw new ConfigError(
          `Invalid configuration: ${where} has a key for ${JSON.stringify(region)}, which is not in ` +
            `"replicaRegions" (${JSON.stringify(regions)})`,
        );
      }
      if (typeof arn !== 'string' || !KMS_KEY_ARN.test(arn) || arn.split(':')[3] !== region) {
        throw new ConfigError(
          `Invalid configuration: ${where}.${region} must be the ARN of a KMS key in ${region} ` +
            `(arn:aws:kms:${region}:<account>:key/<id>), got ${shown(arn)}`,
        );
      }
      keys[region] = arn;
    }
  }
  if (encryption === 'customer-managed') {
    const missing = regions.filter((r) => keys[r] === undefined);
    if (missing.length > 0) {
      throw new ConfigError(
        `Invalid configuration: "tableEncryption" is "customer-managed" with replicas, so ${where} needs a ` +
          `KMS key ARN for each replica region; missing: ${missing.join(', ')}`,
      );
    }
  } else if (Object.keys(keys).length > 0) {
    throw new ConfigError(
      `Invalid configuration: ${where} is only used with "tableEncryption": "customer-managed", but ` +
        `tableEncryption is ${JSON.stringify(encryption)}`,
    );
  }
  return keys;
}

export function parseRetention(value: unknown, where: string): number {
  if (value === undefined) return DEFAULTS.logRetentionDays;
  if (typeof value !== 'number' || !RETENTION_DAYS.includes(value)) {
    throw new ConfigError(
      `Invalid configuration: ${where} must be one of the retention periods CloudWatch Logs accepts ` +
        `(${RETENTION_DAYS.join(', ')} days), got ${shown(value)}`,
    );
  }
  return value;
}

export function parseConsumerExample(
  value: unknown,
  where: string,
  environments: readonly EnvironmentSettings[],
): ConsumerExampleSettings | undefined {
  if (value === undefined || value === false) return undefined;
  const first = environments[0]!.name;
  if (value === true) return { flagKey: DEFAULTS.consumerExampleFlagKey, environment: first };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(
      `Invalid configuration: ${where} must be true, false or {"flagKey":"<flag>","environment"?:"<name>"}, got ${jsonTypeOf(value)}`,
    );
  }
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (key !== 'flagKey' && key !== 'environment')
      throw new ConfigError(`Invalid configuration: ${where}: unknown field '${key}'; expected flagKey, environment`);
  }
  const flagKey = v.flagKey ?? DEFAULTS.consumerExampleFlagKey;
  if (typeof flagKey !== 'string' || !FLAG_KEY.test(flagKey)) {
    throw new ConfigError(
      `Invalid configuration: ${where}.flagKey must be a LaunchDarkly flag key (letters, digits, '.', '_', '-'), got ${shown(flagKey)}`,
    );
  }
  const environment = v.environment ?? first;
  if (typeof environment !== 'string' || !environments.some((e) => e.name === environment)) {
    throw new ConfigError(
      `Invalid configuration: ${where}.environment must name a configured environment ` +
        `(${environments.map((e) => JSON.stringify(e.name)).join(', ')}), got ${shown(environment)}`,
    );
  }
  return { flagKey, environment };
}

export function secretArn(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && looksLikeSdkKey(value)) {
    // Not echoed: it is a key, not an ARN, and error output ends up in CI logs.
    throw new ConfigError(
      `Invalid configuration: ${where} holds what looks like a LaunchDarkly SDK key; give the ARN of the ` +
        `Secrets Manager secret holding it instead ` +
        '(and rotate the key in LaunchDarkly: it has been exposed in configuration)',
    );
  }
  if (typeof value !== 'string' || !SECRET_ARN.test(value)) {
    throw new ConfigError(`Invalid configuration: ${where} must be ${SECRET_ARN_EXPECTED}, got ${shown(value)}`);
  }
  return value;
}

export function wholeNumber(value: unknown, where: string, fallback: number, min: number, max: number, unit: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`Invalid configuration: ${where} must be a whole number of ${unit} from ${min} to ${max}, got ${shown(value)}`);
  }
  return value;
}

export function bool(value: unknown, where: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ConfigError(`Invalid configuration: ${where} must be true or false, got ${shown(value)}`);
  return value;
}

export function oneOf<T extends string>(value: unknown, where: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(
      `Invalid configuration: ${where} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${shown(value)}`,
    );
  }
  return value as T;
}

export function optionalString(value: unknown, where: string, pattern: RegExp, expected: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !pattern.test(value))
    throw new ConfigError(`Invalid configuration: ${where} must be ${expected}, got ${shown(value)}`);
  return value;
}

/** checkServiceUri's rule, without the loopback exception: nothing of a deployed stack runs on loopback. */
export function httpsUri(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    return checkServiceUri(value, `Invalid configuration: ${where}`, { allowLoopbackHttp: false });
  } catch (err) {
    if (err instanceof ServiceUriError) throw new ConfigError(err.message);
    throw err;
  }
}
