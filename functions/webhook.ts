// Lambda (Function URL): LaunchDarkly's webhook. A delivery only says "something changed" (its body is an
// audit-log entry, never flag data, and is never written or echoed); a verified one triggers a full poll sync
// of the environment in the path ("/<name>") or of all environments ("/"). In order:
//   not POST → 405; body over 256 KB → 400; X-LD-Signature missing or not the HMAC of the raw body → 401,
//   touching nothing; body not a JSON object → 400; unknown environment → 404; sync fails → 500 (LaunchDarkly
//   retries a failed delivery once; the scheduled poll catches up regardless); otherwise 200 with a summary.
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { verifyWebhookSignature } from '../lib/launchdarkly/webhook.js';
import { selectEnvironments, type EnvironmentConfig, type SyncReport } from '../lib/sync/index.js';
import { loadSyncConfig } from './shared/config.js';
import { numberEnv, requireEnv } from './shared/env.js';
import { wrapHandler } from './shared/middy.js';
import { logger, recordFunctionMetric, recordSyncMetrics } from './shared/observability.js';
import { SyncRuntime } from './shared/runtime.js';
import { describeError, readSecret } from './shared/secrets.js';

export const MAX_BODY_BYTES = 256 * 1024;

const runtime = new SyncRuntime(loadSyncConfig());
const webhookSecretId = requireEnv('WEBHOOK_SECRET_ID', 'the Secrets Manager secret holding the webhook signing secret');
/** LaunchDarkly's guide waits about 2 s before fetching, so its caches hold the change. */
const fetchDelayMs = numberEnv('WEBHOOK_FETCH_DELAY_MS', 2000, { min: 0, max: 30_000, unit: 'milliseconds' })!;

type Response = Exclude<LambdaFunctionURLResult, string>;

async function webhook(event: LambdaFunctionURLEvent, _context: Context, { signal }: { signal: AbortSignal }): Promise<Response> {
  try {
    const method = event.requestContext?.http?.method;
    if (method !== 'POST') return reject(405, 'Method not allowed: LaunchDarkly webhooks are POSTed', { Allow: 'POST' });

    const body = rawBody(event);
    if (body === 'too-large') return reject(400, `Request body is too large: at most ${MAX_BODY_BYTES} bytes are accepted`);

    const signature = header(event, 'x-ld-signature');
    if (signature === undefined) return reject(401, 'Missing X-LD-Signature header');
    const secret = await readSecret(webhookSecretId, 'the webhook signing secret');
    if (!verifyWebhookSignature(body, signature, secret)) return reject(401, 'Invalid X-LD-Signature');

    if (!isJsonObject(body)) return reject(400, 'Request body is not a JSON object');

    const environments = route(event.rawPath ?? '/');
    if (environments === undefined) return reject(404, 'Unknown environment');

    if (fetchDelayMs > 0) await sleep(fetchDelayMs, signal);
    return await sync(environments, signal);
  } catch (err) {
    logger.error({ message: `webhook failed: ${describeError(err)}` });
    return respond(500, { message: 'Internal error' });
  }
}

async function sync(environments: EnvironmentConfig[], signal: AbortSignal): Promise<Response> {
  const synced: Pick<SyncReport & { environment: string }, 'environment' | 'notModified' | 'written' | 'unchanged' | 'deleted'>[] = [];
  const failed: string[] = [];
  for (const env of environments) {
    try {
      const report = await runtime.poll(env, 'webhook', signal);
      recordSyncMetrics(env.name, { failed: false, report });
      logger.info({ message: 'webhook sync succeeded', environment: env.name, ...report });
      const { notModified, written, unchanged, deleted } = report;
      synced.push({ environment: env.name, notModified, written, unchanged, deleted });
    } catch (err) {
      recordSyncMetrics(env.name, { failed: true });
      logger.error({ message: `webhook sync failed: ${describeError(err)}`, environment: env.name });
      failed.push(env.name);
    }
  }
  // The failure's details are in the logs; the caller learns only that it failed.
  if (failed.length > 0) return respond(500, { message: 'Sync failed', failed, synced: synced.map((s) => s.environment) });
  return respond(200, { synced });
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
function route(path: string): EnvironmentConfig[] | undefined {
  const name = path.replace(/^\/+|\/+$/g, '');
  if (name === '') return runtime.config.environments;
  try {
    return selectEnvironments(runtime.config.environments, decodeURIComponent(name), 'webhook path');
  } catch {
    return undefined;
  }
}

function reject(statusCode: number, message: string, headers: Record<string, string> = {}): Response {
  logger.warn({ message: `webhook rejected (${statusCode}): ${message}` });
  recordFunctionMetric('WebhookRejected');
  return respond(statusCode, { message }, headers);
}

function respond(statusCode: number, body: object, headers: Record<string, string> = {}): Response {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export const handler = wrapHandler(webhook, { stopBeforeDeadlineMs: 5_000 });
