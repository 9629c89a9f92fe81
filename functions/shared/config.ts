// The configuration the sync functions share, read from the environment once at cold start.
import { parseEnvironments, type EnvironmentConfig } from '../../lib/sync/index.js';
import { DEFAULT_BASE_URI, DEFAULT_STREAM_URI } from '../../lib/launchdarkly/service-uri.js';
import { EnvironmentConfigError } from '../../lib/sync/errors.js';
import { ldUriEnv, requireEnv, urlEnv } from './env.js';
import { ConfigurationError } from './errors.js';

export interface SyncConfig {
  tableName: string;
  environments: EnvironmentConfig[];
  baseUri: string;
  streamUri: string;
  /** DynamoDB Local for local runs and tests; unset in AWS. */
  dynamodbEndpoint?: string;
}

export function loadSyncConfig(env: Record<string, string | undefined> = process.env): SyncConfig {
  const tableName = requireEnv('TABLE_NAME', 'the DynamoDB table the flags are kept in', env);
  const environmentsJson = requireEnv(
    'LD_ENVIRONMENTS',
    'a JSON array of LaunchDarkly environments, [{"name","prefix"?,"sdkKeySecretId"}]',
    env,
  );
  let environments: EnvironmentConfig[];
  try {
    environments = parseEnvironments(environmentsJson, 'Environment variable LD_ENVIRONMENTS');
  } catch (err) {
    if (err instanceof EnvironmentConfigError) throw new ConfigurationError(err.message);
    throw err;
  }
  const config: SyncConfig = {
    tableName,
    environments,
    baseUri: ldUriEnv('LD_BASE_URI', DEFAULT_BASE_URI, env),
    streamUri: ldUriEnv('LD_STREAM_URI', DEFAULT_STREAM_URI, env),
  };
  const endpoint = urlEnv('DYNAMODB_ENDPOINT', undefined, env);
  if (endpoint) config.dynamodbEndpoint = endpoint;
  return config;
}
