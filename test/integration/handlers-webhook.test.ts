// functions/webhook.ts called as a Lambda Function URL calls it, on DynamoDB Local with the loopback
// LaunchDarkly and Secrets Manager: a signed delivery triggers a poll sync and gets a small summary; a forged
// or missing signature gets 401 and touches nothing; a body that is not JSON or too large gets 400; GET gets
// 405. The payload (an audit-log entry) is never written, echoed or logged, and no secret is ever output.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Handler, LambdaFunctionURLEvent } from 'aws-lambda';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { signWebhookBody } from '../../lib/launchdarkly/webhook.js';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import { generateEnvironment } from '../support/generate-environment.js';
import { sampleWebhookPayload, startLaunchDarklyServer, type LaunchDarklyServer } from '../support/ld-server.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../support/secrets-manager-server.js';
import { dynamoEndpoint, freshTable, localClient } from '../support/tables.js';
import { baseEnv, captureOutput, coldStart, functionUrlEvent, lambdaContext, metricValue, setEnv, startKeyRouter } from '../support/lambda.js';

const PROD_KEY = 'sdk-66666666-aaaa-4bbb-8ccc-webhookprod6';
const STAGING_KEY = 'sdk-77777777-aaaa-4bbb-8ccc-webhookstag7';
// Starts with '{' as a generated secret may: it is still a plain-text secret, not JSON.
const WEBHOOK_SECRET = '{whsec-0c9f3e1d2b7a4c55-loopback-signing-secret';
const prodData = generateEnvironment({ flags: 8, seed: 11 });
const stagingData = generateEnvironment({ flags: 3, seed: 12 });
const PROD_ITEMS = Object.keys(prodData.flags).length + Object.keys(prodData.segments).length;

type Result = { statusCode: number; headers: Record<string, string>; body: string };
type WebhookHandler = Handler<LambdaFunctionURLEvent, Result>;

/** A payload as LaunchDarkly sends it: an audit-log entry naming a person and what changed. */
function payload(): Record<string, unknown> {
  return { ...sampleWebhookPayload('dark-mode', 'production'), member: { _id: 'm1', email: 'ana.reviewer@example.com', firstName: 'Ana' } };
}

function signed(body: string, options: { path?: string; base64?: boolean; secret?: string } = {}): LambdaFunctionURLEvent {
  return functionUrlEvent({
    path: options.path ?? '/',
    body: options.base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: options.base64 ?? false,
    headers: { 'x-ld-signature': signWebhookBody(body, options.secret ?? WEBHOOK_SECRET) },
  });
}

describe('webhook handler', () => {
  const client = localClient();
  let secrets: SecretsManagerServer;
  let prod: LaunchDarklyServer;
  let staging: LaunchDarklyServer;
  let router: Awaited<ReturnType<typeof startKeyRouter>>;
  let tableName: string;
  let restoreEnv: () => void;
  let output: ReturnType<typeof captureOutput>;
  let handler: WebhookHandler;
  let n = 0;
  let ids: { prod: string; staging: string; webhook: string };

  beforeAll(async () => {
    secrets = await startSecretsManagerServer();
  });
  beforeEach(async () => {
    n++;
    ids = { prod: `ld/wh-prod-${n}`, staging: `ld/wh-staging-${n}`, webhook: `ld/webhook-secret-${n}` };
    secrets.setSecret(ids.prod, PROD_KEY);
    secrets.setSecret(ids.staging, STAGING_KEY);
    secrets.setSecret(ids.webhook, WEBHOOK_SECRET);
    prod = await startLaunchDarklyServer({ sdkKey: PROD_KEY, data: prodData });
    staging = await startLaunchDarklyServer({ sdkKey: STAGING_KEY, data: stagingData });
    router = await startKeyRouter([prod, staging]);
    tableName = await freshTable(client, 'webhook-fn');
    restoreEnv = setEnv({
      ...baseEnv({
        tableName,
        environments: [
          { name: 'production', sdkKeySecretId: ids.prod },
          { name: 'staging', prefix: 'stg', sdkKeySecretId: ids.staging },
        ],
        ldUri: router.uri,
        dynamodbEndpoint: dynamoEndpoint(),
        secretsEndpoint: secrets.endpoint,
      }),
      WEBHOOK_SECRET_ID: ids.webhook,
      WEBHOOK_FETCH_DELAY_MS: '0',
    });
    output = captureOutput();
    ({ handler } = await coldStart<{ handler: WebhookHandler }>('../../functions/webhook.js'));
  });
  afterEach(async () => {
    output.restore();
    const text = output.text();
    for (const secret of [PROD_KEY, STAGING_KEY, WEBHOOK_SECRET]) expect(text).not.toContain(secret);
    // The payload is never logged (it names people).
    expect(text).not.toContain('ana.reviewer@example.com');
    restoreEnv();
    await router.close();
    await prod.close();
    await staging.close();
  });
  afterAll(async () => {
    await secrets.close();
    client.destroy();
  });

  const invoke = async (event: LambdaFunctionURLEvent) => (await handler(event, lambdaContext('ld-sync-webhook'), () => {}))!;
  const ldRequests = () => prod.requests.length + staging.requests.length;
  const tableItems = async () => (await client.send(new ScanCommand({ TableName: tableName }))).Items ?? [];

  it('a validly signed delivery triggers a poll sync of every environment and answers a small summary', async () => {
    const body = JSON.stringify(payload());
    const res = await invoke(signed(body));

    expect(res.statusCode).toBe(200);
    expect(res.headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(res.body)).toEqual({
      synced: [
        { environment: 'production', notModified: false, written: PROD_ITEMS, unchanged: 0, deleted: 0 },
        { environment: 'staging', notModified: false, written: expect.any(Number), unchanged: 0, deleted: 0 },
      ],
    });
    expect(res.body).not.toContain('dark-mode');
    const prodStore = new DynamoDBFlagStore({ tableName, client });
    expect(Object.keys(await prodStore.all('features')).sort()).toEqual(Object.keys(prodData.flags).sort());
    expect((await prodStore.syncStatus())?.source).toBe('webhook');
    // Nothing of the payload was written: no row mentions its id or the person in it.
    const rows = JSON.stringify(await tableItems());
    expect(rows).not.toContain(String(JSON.parse(body)._id));
    expect(rows).not.toContain('ana.reviewer@example.com');
    expect(metricValue(output.metrics(), 'SyncSucceeded', 'production')).toBe(1);

    // A second delivery: the secret comes from the cache, and LaunchDarkly answers 304.
    const again = await invoke(signed(body));
    expect(JSON.parse(again.body).synced[0]).toMatchObject({ environment: 'production', notModified: true, written: 0 });
    expect(secrets.fetchesOf(ids.webhook)).toBe(1);
  });

  it('accepts a base64-encoded body, verifying the signature over the decoded bytes', async () => {
    const res = await invoke(signed(JSON.stringify(payload()), { base64: true, path: '/production' }));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).synced.map((s: { environment: string }) => s.environment)).toEqual(['production']);
  });

  it('syncs only the environment named in the path; an unknown one is 404 after the signature check', async () => {
    const res = await invoke(signed(JSON.stringify(payload()), { path: '/staging' }));
    expect(res.statusCode).toBe(200);
    expect(prod.requests).toHaveLength(0);
    expect(staging.requestsTo('/sdk/latest-all')).toHaveLength(1);

    const unknown = await invoke(signed(JSON.stringify(payload()), { path: '/prod' }));
    expect(unknown.statusCode).toBe(404);
    expect(ldRequests()).toBe(1);
  });

  it('a forged signature gets 401 and touches nothing', async () => {
    const body = JSON.stringify(payload());
    const forged = await invoke(signed(body, { secret: 'not-the-secret' }));
    const tampered = await invoke(
      functionUrlEvent({ body: body.replace('dark-mode', 'dark-mod3'), headers: { 'x-ld-signature': signWebhookBody(body, WEBHOOK_SECRET) } }),
    );
    const garbage = await invoke(functionUrlEvent({ body, headers: { 'x-ld-signature': 'sha256=zz' } }));

    for (const res of [forged, tampered, garbage]) {
      expect(res.statusCode).toBe(401);
      expect(JSON.parse(res.body)).toEqual({ message: 'Invalid X-LD-Signature' });
    }
    expect(ldRequests()).toBe(0);
    expect(await tableItems()).toEqual([]);
    expect(metricValue(output.metrics(), 'WebhookRejected')).toBe(3);
  });

  it('a missing signature gets 401 and touches nothing', async () => {
    const res = await invoke(functionUrlEvent({ body: JSON.stringify(payload()) }));
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(res.body)).toEqual({ message: 'Missing X-LD-Signature header' });
    expect(ldRequests()).toBe(0);
    expect(await tableItems()).toEqual([]);
  });

  it('a signed body that is not a JSON object gets 400', async () => {
    for (const body of ['not json at all', '[1,2,3]', '']) {
      const res = await invoke(signed(body));
      expect(res.statusCode).toBe(400);
      expect(JSON.parse(res.body)).toEqual({ message: 'Request body is not a JSON object' });
    }
    expect(ldRequests()).toBe(0);
  });

  it('a body over 256 KB gets 400 before anything else, plain or base64-encoded', async () => {
    const huge = JSON.stringify({ ...payload(), description: 'x'.repeat(300 * 1024) });
    for (const base64 of [false, true]) {
      const res = await invoke(signed(huge, { base64 }));
      expect(res.statusCode).toBe(400);
      expect(JSON.parse(res.body)).toEqual({ message: 'Request body is too large: at most 262144 bytes are accepted' });
    }
    expect(ldRequests()).toBe(0);
    expect(secrets.fetchesOf(ids.webhook)).toBe(0);
  });

  it('GET (or any method but POST) gets 405 with Allow: POST', async () => {
    for (const method of ['GET', 'PUT']) {
      const res = await invoke(functionUrlEvent({ method }));
      expect(res.statusCode).toBe(405);
      expect(res.headers.Allow).toBe('POST');
    }
    expect(ldRequests()).toBe(0);
  });

  it('answers 500 with a generic message when the sync fails, so LaunchDarkly retries', async () => {
    prod.setFailure(401);
    const res = await invoke(signed(JSON.stringify(payload())));
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ message: 'Sync failed', failed: ['production'], synced: ['staging'] });
    expect(metricValue(output.metrics(), 'SyncFailed', 'production')).toBe(1);
    expect(output.logs().some((l) => l.level === 'ERROR' && /webhook sync failed: HttpStatusError/.test(String(l.message)))).toBe(true);
  });

  it('answers 500 without detail when the webhook secret cannot be read', async () => {
    secrets.deleteSecret(ids.webhook);
    const res = await invoke(signed(JSON.stringify(payload())));
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ message: 'Internal error' });
    expect(ldRequests()).toBe(0);
    expect(output.logs().some((l) => /ResourceNotFoundException/.test(String(l.message)) && String(l.message).includes(ids.webhook))).toBe(true);
  });
});

describe('webhook handler configuration', () => {
  it('requires WEBHOOK_SECRET_ID at cold start', async () => {
    const restore = setEnv({
      ...baseEnv({ tableName: 't-x', environments: [{ name: 'p', sdkKeySecretId: 's' }], ldUri: 'http://127.0.0.1:9', dynamodbEndpoint: 'http://127.0.0.1:9', secretsEndpoint: 'http://127.0.0.1:9' }),
      WEBHOOK_SECRET_ID: undefined,
    });
    try {
      await expect(coldStart('../../functions/webhook.js')).rejects.toThrow(
        'Environment variable WEBHOOK_SECRET_ID is required: the Secrets Manager secret holding the webhook signing secret',
      );
    } finally {
      restore();
    }
  });
});
