// What the webhook function knows of the sync side: which poll function syncs which environment
// (SYNC_FUNCTIONS, a JSON object {"<environment>": "<function name or ARN>"} the stack writes), and the event it
// sends them. Nothing else: no table, no secret ids, no prefixes.
import { ENVIRONMENT_NAME } from '../../lib/config/environment-list.js';
import { ConfigurationError } from './errors.js';

/** The event the webhook sends a poll function; built by the webhook, never from a delivery's body. */
export interface WebhookPollEvent {
  environment: string;
  trigger: 'webhook';
}

// A function name, a partial ARN or a full ARN, as Lambda's Invoke accepts them.
const FUNCTION_ID = /^(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$/;

/** Parses SYNC_FUNCTIONS; throws ConfigurationError naming the bad entry (cold start fails). */
export function parseSyncFunctions(json: string, where: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ConfigurationError(`${where} is not valid JSON; expected {"<environment>":"<function name or ARN>"}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || Object.keys(parsed).length === 0) {
    throw new ConfigurationError(`${where} must be a non-empty JSON object {"<environment>":"<function name or ARN>"}`);
  }
  const out = new Map<string, string>();
  for (const [name, fn] of Object.entries(parsed as Record<string, unknown>)) {
    if (!ENVIRONMENT_NAME.test(name))
      throw new ConfigurationError(`${where}: ${JSON.stringify(name.slice(0, 80))} is not an environment name`);
    if (typeof fn !== 'string' || !FUNCTION_ID.test(fn)) {
      throw new ConfigurationError(`${where}: the function of environment ${JSON.stringify(name)} must be a Lambda function name or ARN`);
    }
    out.set(name, fn);
  }
  return out;
}
