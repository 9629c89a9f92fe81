// Lambda (Function URL): LaunchDarkly's webhook, as a thin verifier. A delivery only says "something changed"
// (its body is an audit-log entry, never flag data, and is never written, echoed or logged); a verified one is
// handed to the sync function of the environment in the path ("/<name>"), or of every environment ("/"), by an
// asynchronous Lambda invoke whose payload this function builds ({"environment","trigger":"webhook"}), never
// from the body. This function holds no SDK key and has no DynamoDB access: its role may read the webhook
// secret and invoke the poll functions, nothing else (the URL is public, so what it can reach is what an
// attacker who found a flaw here could reach).
// In order: not POST → 405; body over 256 KB → 400; X-LD-Signature missing or not the HMAC of the raw body →
// 401, touching nothing (a mismatch re-reads a secret copy older than a minute once, for rotation); body not a
// JSON object → 400; unknown environment → 404; an invoke fails → 500 (LaunchDarkly retries once; the scheduled
// poll catches up regardless); otherwise 202 naming the environments handed off. Lambda queues an asynchronous
// invoke while the environment's sync is running (reserved concurrency 1), so a delivery is not lost.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { verifyWebhookSignature } from '../lib/launchdarkly/webhook.js';
import { METRIC } from '../lib/observability/metric-names.js';
import { DeadlineHttpHandler, invocationDeadline } from './shared/deadline.js';
import { requireEnv } from './shared/env.js';
import { wrapHandler } from './shared/middy.js';
import { logger, recordFunctionMetric, recordWebhookDispatch } from './shared/observability.js';
import { describeError } from './shared/error-report.js';
import { parseSyncFunctions, type WebhookPollEvent } from './shared/sync-functions.js';
import { WebhookSecret } from './shared/webhook-secret.js';

export const MAX_BODY_BYTES = 256 * 1024;

const secret = new WebhookSecret(requireEnv('WEBHOOK_SECRET_ID', 'the Secrets Manager secret holding the webhook signing secret'));
const syncFunctions = parseSyncFunctions(
  requireEnv('SYNC_FUNCTIONS', 'a JSON object naming each environment\'s poll function, {"<environment>":"<function name or ARN>"}'),
  'Environment variable SYNC_FUNCTIONS',
);
const lambda = new LambdaClient({ requestHandler: new DeadlineHttpHandler(invocationDeadline, 'Lambda Invoke') });

type Response = Exclude<LambdaFunctionURLResult, string>;

async function webhook(event: LambdaFunctionURLEvent): Promise<Response> {
  const method = event.requestContext?.http?.method;
  if (method !== 'POST') return reject(405, 'Method not allowed: LaunchDarkly webhooks are POSTed', { Allow: 'POST' });

  const body = rawBody(event);
  if (body === 'too-large') return reject(400, `Request body is too large: at most ${MAX_BODY_BYTES} bytes are accepted`);

  const signature = header(event, 'x-ld-signature');
  if (signature === undefined) return reject(401, 'Missing X-LD-Signature header');
  if (!(await signatureValid(body, signature))) return reject(401, 'Invalid X-LD-Signature');

  if (!isJsonObject(body)) return reject(400, 'Request body is not a JSON object');

  const environments = route(event.rawPath ?? '/');
  if (environments === undefined) return reject(404, 'Unknown environment');
  return await dispatch(environments);
}

/** Verifies with the secret held; on a mismatch, once more with a re-read secret if the copy held is old enough. */
async function signatureValid(body: Buffer, signature: string): Promise<boolean> {
  if (verifyWebhookSignature(body, signature, await secret.current())) return true;
  let refreshed: string | undefined;
  try {
    refreshed = await secret.refreshAfterMismatch();
  } catch (err) {
    // The delivery is still unverified: refuse it, and say why the secret could not be re-read.
    logger.error({ message: `webhook secret re-read after a signature mismatch failed: ${describeError(err)}` });
    return false;
  }
  if (refreshed === undefined) return false;
  logger.info({ message: 'webhook secret changed since it was read (rotated); verifying with the new one' });
  return verifyWebhookSignature(body, signature, refreshed);
}

async function dispatch(environments: string[]): Promise<Response> {
  const results = await Promise.allSettled(
    environments.map(async (environment) => {
      const payload: WebhookPollEvent = { environment, trigger: 'webhook' };
      const out = await lambda.send(
        new InvokeCommand({
          FunctionName: syncFunctions.get(environment)!,
          InvocationType: 'Event',
          Payload: Buffer.from(JSON.stringify(payload)),
        }),
      );
      if (out.StatusCode !== 202)
        throw new Error(`Lambda answered status ${String(out.StatusCode)} to an asynchronous invoke, expected 202`);
    }),
  );
  const dispatched: string[] = [];
  const failed: string[] = [];
  results.forEach((result, i) => {
    const environment = environments[i]!;
    if (result.status === 'fulfilled') {
      dispatched.push(environment);
      recordWebhookDispatch(environment);
      logger.info({ message: 'webhook delivery handed to the poll function', environment });
    } else {
      failed.push(environment);
      logger.error({ message: `webhook could not hand the delivery to the poll function: ${describeError(result.reason)}`, environment });
    }
  });
  // The details are in the logs; the caller learns only which environments were not handed off.
  if (failed.length > 0) return respond(500, { message: 'Dispatch failed', failed, dispatched });
  return respond(202, { dispatched });
}

/** The body as received (decoded if base64), or 'too-large' without decoding more than needed. */
function rawBody(event: LambdaFunctionURLEvent): Buffer | 'too-large' {
  const text = event.body ?? '';
  if (event.isBase64Encoded) {
    // 4 base64 characters carry 3 bytes: reject by the encoded length before decoding.
    if (text.length > Math.ceil(MAX_BODY_BYTES / 3) * 4 + 4) return 'too-large';
    const bytes = Buffer.from(text, 'base64');
    return bytes.length > MAX_BODY_BYTES ? 'too-large' : bytes;
  }
  if (text.length > MAX_BODY_BYTES) return 'too-large';
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length > MAX_BODY_BYTES ? 'too-large' : bytes;
}

function header(event: LambdaFunctionURLEvent, name: string): string | undefined {
  // Function URLs lower-case header names; other front doors may not.
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function isJsonObject(body: Buffer): boolean {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** "/" → every environment; "/<name>" → that one; anything else → undefined. */
function route(path: string): string[] | undefined {
  const name = path.replace(/^\/+|\/+$/g, '');
  if (name === '') return [...syncFunctions.keys()];
  let decoded: string;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    return undefined;
  }
  return syncFunctions.has(decoded) ? [decoded] : undefined;
}

function reject(statusCode: number, message: string, headers: Record<string, string> = {}): Response {
  logger.warn({ message: `webhook rejected (${statusCode}): ${message}` });
  recordFunctionMetric(METRIC.webhookRejected);
  return respond(statusCode, { message }, headers);
}

function respond(statusCode: number, body: object, headers: Record<string, string> = {}): Response {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** Any failure: logged (redacted) with what went wrong, answered 500 without detail. */
function internalError(err: unknown): Response {
  logger.error({ message: `webhook failed: ${describeError(err)}` });
  return respond(500, { message: 'Internal error' });
}

export const handler = wrapHandler(async (event: LambdaFunctionURLEvent, _context: Context) => webhook(event), {
  stopBeforeDeadlineMs: 2_000,
  errorResponse: internalError,
});
