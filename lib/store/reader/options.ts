// The read-only store's options, checked in one place so a mistake fails when the factory is called, not at
// the first evaluation. LaunchDarkly's name for the client option (`dynamoDBClient`) is accepted beside ours.
import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { LDLogger } from '@launchdarkly/node-server-sdk';

/** Invalid options given to ReadOnlyFeatureStore. */
export class ReaderOptionsError extends Error {
  override name = 'ReaderOptionsError';
}

interface BaseOptions {
  /** The prefix the sync writes this environment under; none by default. */
  prefix?: string;
  /** Seconds items stay cached; default 15 (as LaunchDarkly's store), 0 turns the cache off. */
  cacheTTL?: number;
  /** Strongly consistent reads (twice the read units). Default false. */
  consistentReads?: boolean;
  /** Default: the SDK's logger. */
  logger?: LDLogger;
}

/**
 * Pass a DynamoDB client (`client`, or LaunchDarkly's name `dynamoDBClient`), or the configuration to reach
 * DynamoDB (`clientConfig`), never both. Without a client the store uses its lean transport
 * (lib/store/transport), which reads endpoint, region, credentials, FIPS and dual-stack from clientConfig
 * and the environment as the AWS SDK does.
 */
export interface ReadOnlyFeatureStoreOptions extends BaseOptions {
  client?: DynamoDBClient;
  dynamoDBClient?: DynamoDBClient;
  clientConfig?: DynamoDBClientConfig;
}

export interface ReaderSettings {
  prefix: string | undefined;
  ttlMs: number;
  consistentReads: boolean;
  logger: LDLogger | undefined;
  client: DynamoDBClient | undefined;
  clientConfig: DynamoDBClientConfig | undefined;
}

const KNOWN_OPTIONS = new Set(['prefix', 'cacheTTL', 'consistentReads', 'logger', 'client', 'dynamoDBClient', 'clientConfig']);
const DEFAULT_TTL_SECONDS = 15;

export function readerSettings(tableName: unknown, options: unknown): ReaderSettings {
  if (typeof tableName !== 'string' || tableName.length < 3 || tableName.length > 255) {
    throw new ReaderOptionsError(`tableName must be a DynamoDB table name (3 to 255 characters), got ${JSON.stringify(tableName)}`);
  }
  if (options === null || typeof options !== 'object') throw new ReaderOptionsError(`options must be an object, got ${typeof options}`);
  const o = options as Record<string, unknown>;
  for (const name of Object.keys(o)) {
    if (!KNOWN_OPTIONS.has(name)) throw new ReaderOptionsError(`Unknown option '${name}'; expected one of ${[...KNOWN_OPTIONS].join(', ')}`);
  }
  if (o.prefix !== undefined && typeof o.prefix !== 'string') throw new ReaderOptionsError(`Option 'prefix' must be a string, got ${typeof o.prefix}`);
  if (o.cacheTTL !== undefined && !(typeof o.cacheTTL === 'number' && Number.isFinite(o.cacheTTL) && o.cacheTTL >= 0)) {
    throw new ReaderOptionsError(`Option 'cacheTTL' must be a number of seconds, 0 or more, got ${JSON.stringify(o.cacheTTL)}`);
  }
  const clients = ['client', 'dynamoDBClient', 'clientConfig'].filter((k) => o[k] !== undefined);
  if (clients.length > 1) throw new ReaderOptionsError(`Pass either 'client' or 'clientConfig', not both (got ${clients.join(' and ')})`);
  return {
    prefix: (o.prefix as string | undefined) || undefined,
    ttlMs: ((o.cacheTTL as number | undefined) ?? DEFAULT_TTL_SECONDS) * 1000,
    consistentReads: (o.consistentReads as boolean | undefined) ?? false,
    logger: o.logger as LDLogger | undefined,
    client: (o.client ?? o.dynamoDBClient) as DynamoDBClient | undefined,
    clientConfig: o.clientConfig as DynamoDBClientConfig | undefined,
  };
}
