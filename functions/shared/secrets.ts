// Secrets (SDK keys, the webhook signing secret) from AWS Secrets Manager through Powertools Parameters,
// cached in memory across invocations of a warm function. A secret's value never goes into a log line or an
// error: errors name the secret's id only, and every value read is registered with `redact`, which the
// handlers apply to whatever text leaves them (log lines, error messages) as a second line of defence.
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { errorText } from '../../lib/util/error-text.js';
import { SecretError } from './errors.js';

/** Seconds a secret is cached; POWERTOOLS_PARAMETERS_MAX_AGE, when set, takes over (Powertools reads it). */
const DEFAULT_MAX_AGE_SECONDS = 300;
const REDACTED = '[redacted]';
const known = new Set<string>();

export interface SecretReadOptions {
  /** Skip the cache (e.g. after LaunchDarkly rejected the cached SDK key, in case it was rotated). */
  forceFetch?: boolean;
}

/**
 * The secret's SecretString, trimmed. `what` describes it in errors ("the SDK key of environment
 * \"production\""). Throws SecretError naming the secret id and what went wrong, never its value.
 */
export async function readSecret(secretId: string, what: string, options: SecretReadOptions = {}): Promise<string> {
  let value: unknown;
  try {
    value = await getSecret(secretId, {
      ...(process.env.POWERTOOLS_PARAMETERS_MAX_AGE ? {} : { maxAge: DEFAULT_MAX_AGE_SECONDS }),
      forceFetch: options.forceFetch ?? false,
    });
  } catch (err) {
    throw new SecretError(`Could not read ${what} from Secrets Manager secret ${JSON.stringify(secretId)}: ${awsReason(err)}`, {
      cause: err,
    });
  }
  if (value instanceof Uint8Array) value = Buffer.from(value).toString('utf8');
  if (typeof value !== 'string') {
    throw new SecretError(`Secrets Manager secret ${JSON.stringify(secretId)} has no SecretString; it must hold ${what} as plain text`);
  }
  const secret = value.trim();
  if (secret === '')
    throw new SecretError(`Secrets Manager secret ${JSON.stringify(secretId)} is empty; it must hold ${what} as plain text`);
  known.add(secret);
  if (secret.startsWith('{') && isJsonObject(secret)) {
    throw new SecretError(
      `Secrets Manager secret ${JSON.stringify(secretId)} holds a JSON object; it must hold ${what} as plain text (not key/value pairs)`,
    );
  }
  return secret;
}

/** `text` with every secret value read so far replaced by "[redacted]". */
export function redact(text: string): string {
  let out = text;
  for (const secret of known) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

function awsReason(err: unknown): string {
  // Powertools wraps the SDK's error (GetParameterError); the SDK's name (ResourceNotFoundException,
  // AccessDeniedException…) is what says what to fix.
  const inner = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return errorText(inner);
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object';
  } catch {
    // A generated secret may well start with '{' without being JSON.
    return false;
  }
}
