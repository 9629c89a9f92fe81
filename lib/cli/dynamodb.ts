// The CLI's DynamoDB edge: builds the client configuration from options and environment (dummy credentials
// and us-east-1 for DynamoDB Local), and checks the table before a command uses it, so that a missing table,
// an unreachable endpoint or absent credentials fail fast with one clear line rather than after the
// store's write retries. Like the Lambda handlers, the CLI is a composition root and builds its own client.
import { DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { createFlagTable } from '../store/table.js';
import { CliError, describeDynamoDBError, type FailureContext } from './errors.js';

/** Credentials DynamoDB Local accepts (letters and digits only). Ours runs with -sharedDb, so any others see the same tables. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface DynamoDBTarget {
  endpoint?: string;
  region?: string;
}

/**
 * Client configuration. With an endpoint (DynamoDB Local), region defaults to us-east-1 and, unless AWS
 * credentials are configured in the environment, dummy credentials are used: a newcomer needs no AWS set-up.
 */
export function dynamoClientConfig(target: DynamoDBTarget, env: Record<string, string | undefined>): DynamoDBClientConfig {
  const region = target.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (target.endpoint ? 'us-east-1' : undefined);
  const config: DynamoDBClientConfig = {
    // A connection that cannot be made should fail in seconds, not hang on an unroutable host.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  };
  if (region) config.region = region;
  if (target.endpoint) {
    config.endpoint = target.endpoint;
    const configured = (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) || env.AWS_PROFILE;
    if (!configured) config.credentials = LOCAL_CREDENTIALS;
  }
  return config;
}

export function failureContext(tableName: string, target: DynamoDBTarget, config: DynamoDBClientConfig): FailureContext {
  return { table: tableName, endpoint: target.endpoint, region: typeof config.region === 'string' ? config.region : target.region };
}

/**
 * Checks that the table exists and has LaunchDarkly's key schema; creates it when `create` is set.
 * A principal allowed only the sync's data actions (no DescribeTable) skips the check.
 */
export async function checkTable(
  client: DynamoDBClient,
  ctx: FailureContext,
  opts: { create?: boolean } = {},
): Promise<'exists' | 'created' | 'unchecked'> {
  const tableName = ctx.table!;
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const schema = Object.fromEntries((Table?.KeySchema ?? []).map((k) => [k.KeyType, k.AttributeName]));
    if (schema.HASH !== 'namespace' || schema.RANGE !== 'key') {
      throw new CliError(
        `DynamoDB table '${tableName}' has key schema ${JSON.stringify(schema)}; LaunchDarkly's layout needs ` +
          `partition key 'namespace' and sort key 'key'`,
      );
    }
    return 'exists';
  } catch (err) {
    if (err instanceof CliError) throw err;
    const name = (err as Error).name;
    if (name === 'AccessDeniedException') return 'unchecked';
    if (name === 'ResourceNotFoundException' && opts.create) {
      try {
        return await createFlagTable(client, tableName);
      } catch (createErr) {
        throw new CliError(
          `Could not create DynamoDB table '${tableName}': ${describeDynamoDBError(createErr, ctx) ?? (createErr as Error).message}`,
          { cause: createErr },
        );
      }
    }
    const message = describeDynamoDBError(err, ctx);
    if (message) throw new CliError(message, { cause: err });
    throw err;
  }
}

export { DynamoDBClient };
