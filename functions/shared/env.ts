// Reading the function's environment variables: only here, once, at cold start. Every helper fails with
// `Environment variable X is required` (or says what the value should have been), so a misconfigured function
// fails at init with a message that names the variable.
import { ServiceUriError, checkServiceUri } from '../../lib/launchdarkly/service-uri.js';
import { ConfigurationError } from './errors.js';

type Env = Record<string, string | undefined>;

export function requireEnv(name: string, what: string, env: Env = process.env): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigurationError(`Environment variable ${name} is required: ${what}`);
  return value;
}

export function optionalEnv(name: string, env: Env = process.env): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** An http(s) URL, or `fallback` when unset. */
export function urlEnv(name: string, fallback: string | undefined, env: Env = process.env): string | undefined {
  const value = optionalEnv(name, env);
  if (value === undefined) return fallback;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigurationError(`Environment variable ${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A LaunchDarkly URI (https, or http to a loopback address: checkServiceUri's rule), or `fallback` when unset. */
export function ldUriEnv(name: string, fallback: string, env: Env = process.env): string {
  const value = optionalEnv(name, env);
  if (value === undefined) return fallback;
  try {
    return checkServiceUri(value, `Environment variable ${name}`);
  } catch (err) {
    if (err instanceof ServiceUriError) throw new ConfigurationError(err.message);
    throw err;
  }
}

/** A number within [min, max], or `fallback` when unset. */
export function numberEnv(
  name: string,
  fallback: number | undefined,
  limits: { min: number; max: number; unit: string },
  env: Env = process.env,
): number | undefined {
  const value = optionalEnv(name, env);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < limits.min || n > limits.max) {
    throw new ConfigurationError(
      `Environment variable ${name} must be a number of ${limits.unit} from ${limits.min} to ${limits.max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}
