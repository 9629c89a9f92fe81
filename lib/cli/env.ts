// Reading environment variables at the CLI edge: the only place in lib/cli that looks at them, always from the
// `env` the CLI was given (process.env in the executable, a plain object in tests).
import { UsageError } from './errors.js';

export type Env = Record<string, string | undefined>;

/** The variable's value; fails with "Environment variable X is required" (and why) when unset or empty. */
export function requireEnv(env: Env, name: string, why: string, command?: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new UsageError(`Environment variable ${name} is required ${why}`, command);
  return value.trim();
}

/** The variable's value, or undefined when unset or empty. */
export function optionalEnv(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
