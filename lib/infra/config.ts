// Deployment configuration of the CDK app: what the stack is told (typed props, or `cdk.json` / `-c` context),
// checked up front so a mistake fails `cdk synth` with a message naming the setting, the value received and what
// was expected, rather than a CloudFormation rollback twenty minutes later. Pure: no constructs are built here.
//
// The environment list is checked by the validator the handlers use too (lib/config/environment-list.ts, pure),
// so whatever synthesizes is also accepted at run time.
import {
  bool,
  checkStackSize,
  httpsUri,
  oneOf,
  optionalString,
  parseConsumerExample,
  parseEnvironments,
  parseRegions,
  parseReplicaKeys,
  parseRetention,
  SNS_ARN,
  SSM_NAME,
  secretArn,
  TABLE_NAME,
  wholeNumber,
} from './config-checks.js';
import { CONFIG_KEYS, ConfigError, DEFAULTS, type SyncStackConfig } from './config-settings.js';
import { jsonTypeOf } from '../config/environment-list.js';

export {
  CONFIG_KEYS,
  ConfigError,
  type ConsumerExampleSettings,
  DEFAULTS,
  ENV_EXAMPLE,
  type EnvironmentSettings,
  type SyncStackConfig,
  type SyncStackConfigInput,
  type TableEncryptionSetting,
} from './config-settings.js';

/**
 * Checks a configuration given as typed props (or anything parsed from JSON) and fills in the defaults.
 * `where` names its origin in messages ("props", "context"). Unknown settings are rejected.
 */
export function resolveConfig(input: unknown, where = 'props'): SyncStackConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError(`Invalid configuration (${where}): expected an object with at least "environments", got ${jsonTypeOf(input)}`);
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (raw[key] !== undefined && !(CONFIG_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(
        `Invalid configuration (${where}): unknown setting '${key}'${suggest(key)}; expected one of ${CONFIG_KEYS.join(', ')}`,
      );
    }
  }
  const at = (key: string) => `${where} "${key}"`;

  const environments = parseEnvironments(raw.environments, at('environments'));
  const pollRateMinutes = wholeNumber(raw.pollRateMinutes, at('pollRateMinutes'), DEFAULTS.pollRateMinutes, 1, 1440, 'minutes');
  const streaming = bool(raw.streaming, at('streaming'), DEFAULTS.streaming);
  checkStackSize(environments, streaming, at('environments'));
  const replicaRegions = parseRegions(raw.replicaRegions, at('replicaRegions'));
  const tableEncryption = oneOf(
    raw.tableEncryption,
    at('tableEncryption'),
    ['aws-managed', 'customer-managed'] as const,
    DEFAULTS.tableEncryption,
  );
  const replicaKeyArns = parseReplicaKeys(raw.replicaKeyArns, at('replicaKeyArns'), replicaRegions, tableEncryption);
  const tableName = optionalString(raw.tableName, at('tableName'), TABLE_NAME, '3 to 255 letters, digits, "_", "-" or "."');
  const tableNameParameter = optionalString(
    raw.tableNameParameter,
    at('tableNameParameter'),
    SSM_NAME,
    'an SSM parameter name starting with "/" (letters, digits and _.-/)',
  );
  const stalenessMinutes = wholeNumber(raw.stalenessMinutes, at('stalenessMinutes'), DEFAULTS.stalenessMinutes, 1, 1440, 'minutes');
  if (stalenessMinutes < pollRateMinutes) {
    throw new ConfigError(
      `Invalid configuration: ${at('stalenessMinutes')} is ${stalenessMinutes}, shorter than "pollRateMinutes" (${pollRateMinutes}): ` +
        `the staleness alarm would fire between two polls; expected at least ${pollRateMinutes} (two or ` +
        `three poll intervals is a good choice)`,
    );
  }
  const logRetentionDays = parseRetention(raw.logRetentionDays, at('logRetentionDays'));
  const webhookSecretArn = secretArn(raw.webhookSecretArn, at('webhookSecretArn'));
  const alarmTopicArn = optionalString(
    raw.alarmTopicArn,
    at('alarmTopicArn'),
    SNS_ARN,
    'an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)',
  );
  const consumerExample = parseConsumerExample(raw.consumerExample, at('consumerExample'), environments);
  const ldBaseUri = httpsUri(raw.ldBaseUri, at('ldBaseUri'));
  const ldStreamUri = httpsUri(raw.ldStreamUri, at('ldStreamUri'));

  return {
    environments,
    pollRateMinutes,
    streaming,
    replicaRegions,
    tableEncryption,
    replicaKeyArns,
    stalenessMinutes,
    logRetentionDays,
    ...(tableName !== undefined && { tableName }),
    ...(tableNameParameter !== undefined && { tableNameParameter }),
    ...(webhookSecretArn !== undefined && { webhookSecretArn }),
    ...(alarmTopicArn !== undefined && { alarmTopicArn }),
    ...(consumerExample !== undefined && { consumerExample }),
    ...(ldBaseUri !== undefined && { ldBaseUri }),
    ...(ldStreamUri !== undefined && { ldStreamUri }),
  };
}

function suggest(key: string): string {
  const known = CONFIG_KEYS.find((k) => k.toLowerCase() === key.toLowerCase());
  return known ? ` (did you mean '${known}'?)` : '';
}
