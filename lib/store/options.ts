// The options every SDK-facing store takes (DynamoDBFeatureStore, ReadOnlyFeatureStore,
// DynamoDBBigSegmentStore), checked and resolved in one place.
//
// Each store accepts LaunchDarkly's option names (those of @launchdarkly/node-server-sdk-dynamodb's
// LDDynamoDBOptions) alongside ours, so that swapping LaunchDarkly's store for ours is a change of the import
// line only. What LaunchDarkly's store does with them, and what we do:
// - `dynamoDBClient` / our `client`: a DynamoDBClient (AWS SDK v3) to use; never destroyed by the store.
// - `clientOptions` / our `clientConfig`: the configuration of a client the store builds (and destroys on close).
// - `prefix`: the key prefix; an empty string means none, as in LaunchDarkly's store.
// - `cacheTTL`: seconds; `null` or absent means the default of 15, 0 turns the cache off (LaunchDarkly's
//   TtlFromOptions). The big segment store accepts and ignores it, as LaunchDarkly's does: the SDK's
//   `bigSegments` options configure that cache.
// - `logger`: used instead of the SDK's logger, behind the SDK's own safe wrapper (a logger that throws
//   never breaks a read), as LaunchDarkly's store does.
// LaunchDarkly's store uses `dynamoDBClient` and ignores `clientOptions` when both are given. A config like that
// works here too, the same way (a swap must not break a working config), but the store logs a warning that
// `clientOptions` is not used. With our own names, a client and a client configuration together are an error:
// no existing config has them, and one of the two is always a mistake. Two names for the same option
// (`client` and `dynamoDBClient`) are an error too. An unknown name is an error, not a silent default.
import { createSafeLogger, type LDLogger } from '@launchdarkly/node-server-sdk';
import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { unknownOption } from '../util/options.js';
import { StoreOptionsError } from './errors.js';

/** Options without the client: prefix, cache and logging. */
export interface StoreBaseOptions {
  /** The prefix the environment's items are written under; none by default. */
  prefix?: string;
  /** Seconds items stay cached; default 15 (also when `null`, as LaunchDarkly's store), 0 turns the cache off. */
  cacheTTL?: number | null;
  /** Strongly consistent reads (twice the read units). Default false. */
  consistentReads?: boolean;
  /** Default: the SDK's logger. */
  logger?: LDLogger;
}

/**
 * Which DynamoDB client a store uses: one you built (`client`, or LaunchDarkly's name `dynamoDBClient`), or
 * the configuration of one the store builds (`clientConfig`, or LaunchDarkly's name `clientOptions`);
 * each under one name only. Both only under LaunchDarkly's names, where the client wins (as in their store).
 */
export type StoreClientOption =
  | { client?: DynamoDBClient; dynamoDBClient?: never; clientConfig?: never; clientOptions?: never }
  | { dynamoDBClient?: DynamoDBClient; client?: never; clientConfig?: never; clientOptions?: never }
  | { clientConfig?: DynamoDBClientConfig; clientOptions?: never; client?: never; dynamoDBClient?: never }
  | { clientOptions?: DynamoDBClientConfig; clientConfig?: never; client?: never; dynamoDBClient?: never }
  | { dynamoDBClient?: DynamoDBClient; clientOptions?: DynamoDBClientConfig; client?: never; clientConfig?: never };

/** The options of DynamoDBFeatureStore, ReadOnlyFeatureStore and DynamoDBBigSegmentStore. */
export type StoreOptions = StoreBaseOptions & StoreClientOption;

/** LaunchDarkly's name for the same options, so code typed against their package compiles unchanged. */
export type LDDynamoDBOptions = StoreOptions;

/** Options after checking: names unified, defaults applied. */
export interface ResolvedStoreOptions {
  tableName: string;
  prefix: string | undefined;
  cacheTTLSeconds: number;
  consistentReads: boolean;
  /** The `logger` option behind the SDK's safe wrapper; undefined means "use the SDK's logger". */
  logger: LDLogger | undefined;
  /** A client given by the caller (the store must not destroy it) ... */
  client: DynamoDBClient | undefined;
  /** ... or the configuration of the client the store builds and owns. */
  clientConfig: DynamoDBClientConfig | undefined;
  /** Accepted for LaunchDarkly's sake but worth a warning in the store's log (e.g. an ignored `clientOptions`). */
  warnings: string[];
}

export const DEFAULT_CACHE_TTL_SECONDS = 15;

const KNOWN_OPTIONS = ['prefix', 'cacheTTL', 'consistentReads', 'logger', 'client', 'dynamoDBClient', 'clientConfig', 'clientOptions'];
const LOGGER_METHODS = ['error', 'warn', 'info', 'debug'] as const;

/**
 * Checks a store's table name and options and resolves them; `store` names the factory in error messages.
 * `null` counts as "not given" for every option, as in LaunchDarkly's store.
 */
export function resolveStoreOptions(store: string, tableName: unknown, options: unknown): ResolvedStoreOptions {
  const fail = (message: string): never => {
    throw new StoreOptionsError(`${store}: ${message}`);
  };
  if (typeof tableName !== 'string' || tableName.length < 3 || tableName.length > 255) {
    fail(`tableName must be a DynamoDB table name (3 to 255 characters), got ${JSON.stringify(tableName)}`);
  }
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) fail(`options must be an object, got ${describeValue(options)}`);
  const o = options as Record<string, unknown>;
  const unknown = unknownOption(o, KNOWN_OPTIONS);
  if (unknown !== undefined) fail(unknown);
  const given = (name: string) => o[name] !== undefined && o[name] !== null;

  const { prefix, cacheTTL, consistentReads, logger } = o;
  if (given('prefix') && typeof prefix !== 'string') fail(`option 'prefix' must be a string, got ${describeValue(prefix)}`);
  if (given('cacheTTL') && !(typeof cacheTTL === 'number' && Number.isFinite(cacheTTL) && cacheTTL >= 0)) {
    fail(
      `option 'cacheTTL' must be a number of seconds, 0 or more (or null for the default of ` +
        `${DEFAULT_CACHE_TTL_SECONDS}), got ${describeValue(cacheTTL)}`,
    );
  }
  if (given('consistentReads') && typeof consistentReads !== 'boolean')
    fail(`option 'consistentReads' must be true or false, got ${describeValue(consistentReads)}`);
  if (given('logger')) {
    const missing = LOGGER_METHODS.filter((m) => typeof (logger as Record<string, unknown>)?.[m] !== 'function');
    if (missing.length > 0) fail(`option 'logger' must have the methods error, warn, info and debug; it lacks ${missing.join(', ')}`);
  }

  for (const [ours, theirs] of [
    ['client', 'dynamoDBClient'],
    ['clientConfig', 'clientOptions'],
  ] as const) {
    if (given(ours) && given(theirs)) fail(`'${ours}' and '${theirs}' are two names for the same option; pass one`);
  }
  const clientName = given('client') ? 'client' : given('dynamoDBClient') ? 'dynamoDBClient' : undefined;
  const configName = given('clientConfig') ? 'clientConfig' : given('clientOptions') ? 'clientOptions' : undefined;
  const warnings: string[] = [];
  if (clientName === 'dynamoDBClient' && configName === 'clientOptions') {
    warnings.push(
      `${store}: 'clientOptions' is ignored because 'dynamoDBClient' is given (as in LaunchDarkly's store); remove one of them`,
    );
  } else if (clientName && configName) {
    fail(`pass either '${clientName}' or '${configName}', not both: a DynamoDB client, or the configuration to build one`);
  }
  const client = clientName ? o[clientName] : undefined;
  if (clientName && typeof (client as { send?: unknown })?.send !== 'function') {
    // LaunchDarkly's older package (launchdarkly-node-server-sdk-dynamodb) took an AWS SDK v2 DocumentClient.
    fail(`option '${clientName}' must be a DynamoDBClient from @aws-sdk/client-dynamodb (AWS SDK v3), got ${describeValue(client)}`);
  }
  const config = configName ? o[configName] : undefined;
  if (configName && (typeof config !== 'object' || Array.isArray(config))) {
    fail(`option '${configName}' must be a DynamoDBClientConfig object, got ${describeValue(config)}`);
  }
  const clientConfig = client ? undefined : config;

  return {
    tableName: tableName as string,
    prefix: (prefix as string | null | undefined) || undefined,
    cacheTTLSeconds: given('cacheTTL') ? (cacheTTL as number) : DEFAULT_CACHE_TTL_SECONDS,
    consistentReads: consistentReads === true,
    logger: given('logger') ? createSafeLogger(logger as LDLogger) : undefined,
    client: client as DynamoDBClient | undefined,
    clientConfig: clientConfig as DynamoDBClientConfig | undefined,
    warnings,
  };
}

/** What a wrong value was, without echoing it (it could be a credential). */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'no prototype'})`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}
