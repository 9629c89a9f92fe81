// What the lean transport needs to reach DynamoDB, from the SDK-shaped clientConfig and the environment, read
// the way the AWS SDK reads them: region from `region`, AWS_REGION or AWS_DEFAULT_REGION; endpoint from
// `endpoint`, AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL (unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS), else
// DynamoDB's regional endpoint, FIPS and/or dual-stack when `useFipsEndpoint` / `useDualstackEndpoint` or
// AWS_USE_FIPS_ENDPOINT / AWS_USE_DUALSTACK_ENDPOINT ask for it (host names as in the SDK's endpoint rules).
import { credentialProvider, type CredentialProvider, type Credentials } from './credentials.js';

export interface LeanConfig {
  /** undefined: the error to fail requests with (e.g. no region), so the store starts and logs it on use. */
  endpoint: URL | undefined;
  region: string;
  problem?: string;
  credentials: CredentialProvider;
  maxAttempts: number;
}

export interface LeanConfigInput {
  endpoint?: unknown;
  region?: unknown;
  credentials?: unknown;
  useFipsEndpoint?: unknown;
  useDualstackEndpoint?: unknown;
  maxAttempts?: unknown;
  [other: string]: unknown;
}

const LEAN_KEYS = new Set(['endpoint', 'region', 'credentials', 'useFipsEndpoint', 'useDualstackEndpoint', 'maxAttempts']);
/** The AWS SDK v3's default. */
const DEFAULT_MAX_ATTEMPTS = 3;

/** The lean configuration, or undefined when clientConfig asks for something only the SDK client does. */
export function leanConfigFrom(input: LeanConfigInput, env: NodeJS.ProcessEnv): LeanConfig | undefined {
  for (const [key, value] of Object.entries(input)) if (value !== undefined && !LEAN_KEYS.has(key)) return undefined;
  const { endpoint, region, credentials, useFipsEndpoint, useDualstackEndpoint, maxAttempts } = input;
  if (endpoint !== undefined && typeof endpoint !== 'string' && !(endpoint instanceof URL)) return undefined;
  if (region !== undefined && typeof region !== 'string') return undefined;
  if (credentials !== undefined && typeof credentials !== 'function' && !isCredentials(credentials)) return undefined;
  for (const flag of [useFipsEndpoint, useDualstackEndpoint]) if (flag !== undefined && typeof flag !== 'boolean') return undefined;
  if (maxAttempts !== undefined && !(Number.isInteger(maxAttempts) && (maxAttempts as number) >= 1)) return undefined;

  const resolvedRegion = region || env.AWS_REGION || env.AWS_DEFAULT_REGION;
  const configured =
    endpoint ?? (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true' ? undefined : env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL);
  const fips = (useFipsEndpoint as boolean | undefined) ?? env.AWS_USE_FIPS_ENDPOINT === 'true';
  const dualStack = (useDualstackEndpoint as boolean | undefined) ?? env.AWS_USE_DUALSTACK_ENDPOINT === 'true';
  let url: URL | undefined;
  let problem: string | undefined;
  if (configured) url = new URL(String(configured));
  else if (resolvedRegion) url = regionalEndpoint(resolvedRegion, fips, dualStack);
  else problem = 'no AWS region: set AWS_REGION or clientConfig.region';
  const attempts =
    (maxAttempts as number | undefined) ??
    (Number(env.AWS_MAX_ATTEMPTS) >= 1 ? Math.floor(Number(env.AWS_MAX_ATTEMPTS)) : DEFAULT_MAX_ATTEMPTS);
  return {
    endpoint: url,
    // A custom endpoint (DynamoDB Local) signs for whatever region; the SDK does the same.
    region: resolvedRegion || 'us-east-1',
    problem,
    credentials: credentialProvider(credentials as Credentials | CredentialProvider | undefined, env),
    maxAttempts: attempts,
  };
}

function isCredentials(value: unknown): value is Credentials {
  const c = value as Credentials | null;
  return !!c && typeof c === 'object' && typeof c.accessKeyId === 'string' && typeof c.secretAccessKey === 'string';
}

/** DynamoDB's endpoint in a region (the SDK's endpoint rules, for the partitions DynamoDB is in). */
export function regionalEndpoint(region: string, fips: boolean, dualStack: boolean): URL {
  if (!/^[a-z0-9-]+$/.test(region)) throw new Error(`AWS region ${JSON.stringify(region)} is not a region name`);
  const [dnsSuffix, dualStackSuffix] = partitionSuffixes(region);
  const service = fips ? 'dynamodb-fips' : 'dynamodb';
  return new URL(`https://${service}.${region}.${dualStack ? dualStackSuffix : dnsSuffix}`);
}

function partitionSuffixes(region: string): [string, string] {
  if (region.startsWith('cn-')) return ['amazonaws.com.cn', 'api.amazonwebservices.com.cn'];
  if (region.startsWith('us-isob-')) return ['sc2s.sgov.gov', 'sc2s.sgov.gov'];
  if (region.startsWith('us-isof-')) return ['csp.hci.ic.gov', 'csp.hci.ic.gov'];
  if (region.startsWith('us-iso-')) return ['c2s.ic.gov', 'c2s.ic.gov'];
  if (region.startsWith('eu-isoe-')) return ['cloud.adc-e.uk', 'cloud.adc-e.uk'];
  return ['amazonaws.com', 'api.aws'];
}
