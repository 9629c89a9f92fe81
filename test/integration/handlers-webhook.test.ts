// functions/webhook.ts called as a Lambda Function URL calls it, with a loopback Secrets Manager and a loopback
// Lambda (the Invoke API): a signed delivery is handed to the environment's poll function by an asynchronous
// invoke whose payload names the environment only, and that poll function (functions/poll.ts, on DynamoDB Local
// and the loopback LaunchDarkly) then syncs it; a forged or missing signature gets 401 and invokes nothing; a
// rotated secret is picked up on a mismatch once the copy held is a minute old, and a flood of forged requests
// re-reads it at most once a minute. The webhook has no SDK key, no table and no LaunchDarkly URI in its
// environment. The payload (an audit-log entry) is never echoed or logged, and no secret is ever output.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Handler, LambdaFunctionURLEvent } from 'aws-lambda';
import { signWebhookBody } from '../../lib/launchdarkly/webhook.js';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import { generateEnvironment } from '../support/generate-environment.js';
import { startLambdaServer, type LambdaServer } from '../support/lambda-server.js';
import { sampleWebhookPayload, startLaunchDarklyServer } from '../support/ld-server.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../support/secrets-manager-server.js';
import { dynamoEndpoint, freshTable, localClient } from '../support/tables.js';
import { baseEnv, captureOutput, coldStart, functionUrlEvent, lambdaContext, metricValue, setEnv } from '../support/lambda.js';

const PROD_KEY = 'sdk-66666666-aaaa-4bbb-8ccc-webhookprod6';
// Starts with '{' as a generated secret may: it is still a plain-text secret, not JSON.
const WEBHOOK_SECRET = '{whsec-0c9f3e1d2b7a4c55-loopback-signing-secret';
const ROTATED_SECRET = 'whsec-rotated-7d1e2f3a4b5c6d7e8f9a0b1c';
const FUNCTIONS = {
  production: 'LdDynamoDBSync-EnvironmentproductionPollFunction-AbC123',
  staging: 'LdDynamoDBSync-EnvironmentstagingPollFunction-DeF456',
};

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

function webhookEnv(secrets: SecretsManagerServer, lambda: LambdaServer, secretId: string) {
  return {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_EC2_METADATA_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: 'ld-dynamodb-sync',
    POWERTOOLS_METRICS_NAMESPACE: 'LdDynamoDBSync',
    WEBHOOK_SECRET_ID: secretId,
    SYNC_FUNCTIONS: JSON.stringify(FUNCTIONS),
    // What the sync functions get must not reach the webhook: it runs without them.
    TABLE_NAME: undefined,
    LD_ENVIRONMENTS: undefined,
    LD_BASE_URI: undefined,
  };
}

describe('webhook handler', () => {
  let secrets: SecretsManagerServer;
  let lambda: LambdaServer;
  let restoreEnv: () => void;
  let output: ReturnType<typeof captureOutput>;
  let handler: WebhookHandler;
  let n = 0;
  let secretId: string;

  beforeAll(async () => {
    secrets = await startSecretsManagerServer();
    lambda = await startLambdaServer();
  });
  beforeEach(async () => {
    n++;
    secretId = `ld/webhook-secret-${n}`;
    secrets.setSecret(secretId, WEBHOOK_SECRET);
    lambda.invokes.length = 0;
    restoreEnv = setEnv(webhookEnv(secrets, lambda, secretId));
    output = captureOutput();
    ({ handler } = await coldStart<{ handler: WebhookHandler }>('../../functions/webhook.js'));
  });
  afterEach(() => {
    vi.useRealTimers();
    output.restore();
    const text = output.text();
    for (const secret of [PROD_KEY, WEBHOOK_SECRET, ROTATED_SECRET]) expect(text).not.toContain(secret);
    // The payload is never logged (it names people).
    expect(text).not.toContain('ana.reviewer@example.com');
    restoreEnv();
  });
  afterAll(async () => {
    await secrets.close();
    await lambda.close();
  });

  const invoke = async (event: LambdaFunctionURLEvent) => (await handler(event, lambdaContext('ld-sync-webhook', 10_000), () => {}))!;

  it('a signed delivery is handed to each environment’s poll function by an asynchronous invoke naming only the environment', async () => {
    const res = await invoke(signed(JSON.stringify(payload())));
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body)).toEqual({ dispatched: ['production', 'staging'] });
    expect(lambda.invokes).toEqual(
      expect.arrayContaining([
        { functionName: FUNCTIONS.production, invocationType: 'Event', payload: { environment: 'production', trigger: 'webhook' } },
        { functionName: FUNCTIONS.staging, invocationType: 'Event', payload: { environment: 'staging', trigger: 'webhook' } },
      ]),
    );
    expect(lambda.invokes).toHaveLength(2);
    expect(metricValue(output.metrics(), 'WebhookDispatched', 'production')).toBe(1);

    // A second delivery: the secret comes from the copy held.
    expect((await invoke(signed(JSON.stringify(payload()), { path: '/staging' }))).statusCode).toBe(202);
    expect(secrets.fetchesOf(secretId)).toBe(1);
  });

  it('accepts a base64-encoded body, verifying the signature over the decoded bytes, and routes by path', async () => {
    const res = await invoke(signed(JSON.stringify(payload()), { base64: true, path: '/production' }));
    expect(res.statusCode).toBe(202);
    expect(lambda.invokes.map((i) => i.functionName)).toEqual([FUNCTIONS.production]);
    const unknown = await invoke(signed(JSON.stringify(payload()), { path: '/prod' }));
    expect(unknown.statusCode).toBe(404);
    expect(lambda.invokes).toHaveLength(1);
  });

  it('a forged, tampered or missing signature gets 401 and invokes nothing', async () => {
    const body = JSON.stringify(payload());
    const forged = await invoke(signed(body, { secret: 'not-the-secret' }));
    const tampered = await invoke(
      functionUrlEvent({
        body: body.replace('dark-mode', 'dark-mod3'),
        headers: { 'x-ld-signature': signWebhookBody(body, WEBHOOK_SECRET) },
      }),
    );
    const garbage = await invoke(functionUrlEvent({ body, headers: { 'x-ld-signature': 'sha256=zz' } }));
    for (const res of [forged, tampered, garbage]) expect(JSON.parse(res.body)).toEqual({ message: 'Invalid X-LD-Signature' });
    const missing = await invoke(functionUrlEvent({ body }));
    expect(JSON.parse(missing.body)).toEqual({ message: 'Missing X-LD-Signature header' });
    expect([forged, tampered, garbage, missing].map((r) => r.statusCode)).toEqual([401, 401, 401, 401]);
    expect(lambda.invokes).toEqual([]);
    expect(metricValue(output.metrics(), 'WebhookRejected')).toBe(4);
  });

  it('after a rotation, re-reads the secret on a mismatch once the copy is a minute old; a flood re-reads at most once a minute', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const body = JSON.stringify(payload());
    expect((await invoke(signed(body, { path: '/production' }))).statusCode).toBe(202);
    expect(secrets.fetchesOf(secretId)).toBe(1);

    secrets.setSecret(secretId, ROTATED_SECRET);
    // The copy is seconds old: a mismatch is not a reason to read again (it would let forged requests drive reads).
    expect((await invoke(signed(body, { path: '/production', secret: ROTATED_SECRET }))).statusCode).toBe(401);
    expect(secrets.fetchesOf(secretId)).toBe(1);

    vi.setSystemTime(Date.now() + 61_000);
    expect((await invoke(signed(body, { path: '/production', secret: ROTATED_SECRET }))).statusCode).toBe(202);
    expect(secrets.fetchesOf(secretId)).toBe(2);
    expect(output.logs().some((l) => /webhook secret changed since it was read \(rotated\)/.test(String(l.message)))).toBe(true);

    // A flood of forged deliveries: 40 within the minute cost no read; the next minute, one.
    for (let i = 0; i < 40; i++) expect((await invoke(signed(body, { secret: `forged-${i}` }))).statusCode).toBe(401);
    expect(secrets.fetchesOf(secretId)).toBe(2);
    vi.setSystemTime(Date.now() + 61_000);
    for (let i = 0; i < 40; i++) expect((await invoke(signed(body, { secret: `forged-${i}` }))).statusCode).toBe(401);
    expect(secrets.fetchesOf(secretId)).toBe(3);
    expect(lambda.invokes).toHaveLength(2);
  });

  it('a signed body that is not a JSON object gets 400; one over 256 KB gets 400 before the secret is read', async () => {
    for (const body of ['not json at all', '[1,2,3]', '']) {
      const res = await invoke(signed(body));
      expect([res.statusCode, JSON.parse(res.body)]).toEqual([400, { message: 'Request body is not a JSON object' }]);
    }
    const before = secrets.fetchesOf(secretId);
    const huge = JSON.stringify({ ...payload(), description: 'x'.repeat(300 * 1024) });
    for (const base64 of [false, true]) {
      const res = await invoke(signed(huge, { base64 }));
      expect([res.statusCode, JSON.parse(res.body)]).toEqual([
        400,
        { message: 'Request body is too large: at most 262144 bytes are accepted' },
      ]);
    }
    expect(secrets.fetchesOf(secretId)).toBe(before);
    expect(lambda.invokes).toEqual([]);
  });

  it('GET (or any method but POST) gets 405 with Allow: POST', async () => {
    for (const method of ['GET', 'PUT']) {
      const res = await invoke(functionUrlEvent({ method }));
      expect([res.statusCode, res.headers.Allow]).toEqual([405, 'POST']);
    }
    expect(lambda.invokes).toEqual([]);
  });

  it('answers 500 naming the environment when the poll function cannot be invoked, so LaunchDarkly retries', async () => {
    lambda.failNext('ResourceNotFoundException', 404);
    const res = await invoke(signed(JSON.stringify(payload()), { path: '/production' }));
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ message: 'Dispatch failed', failed: ['production'], dispatched: [] });
    expect(
      output
        .logs()
        .some((l) => l.level === 'ERROR' && l.environment === 'production' && /ResourceNotFoundException/.test(String(l.message))),
    ).toBe(true);
  });

  it('answers 500 without detail when the webhook secret cannot be read', async () => {
    secrets.deleteSecret(secretId);
    const res = await invoke(signed(JSON.stringify(payload())));
    expect([res.statusCode, JSON.parse(res.body)]).toEqual([500, { message: 'Internal error' }]);
    expect(lambda.invokes).toEqual([]);
    expect(output.logs().some((l) => /ResourceNotFoundException/.test(String(l.message)) && String(l.message).includes(secretId))).toBe(
      true,
    );
  });
  it('end to end: the invoke the webhook makes is what the poll function syncs, recorded as a webhook sync', async () => {
    secrets.setSecret('ld/e2e-prod', PROD_KEY);
    const data = generateEnvironment({ flags: 8, seed: 11 });
    const ld = await startLaunchDarklyServer({ sdkKey: PROD_KEY, data });
    const client = localClient();
    const tableName = await freshTable(client, 'webhook-poll');
    expect((await invoke(signed(JSON.stringify(payload()), { path: '/production' }))).statusCode).toBe(202);
    const restore = setEnv({
      ...baseEnv({
        tableName,
        environments: [{ name: 'production', prefix: 'prod', sdkKeySecretId: 'ld/e2e-prod' }],
        ldUri: ld.baseUri,
        dynamodbEndpoint: dynamoEndpoint(),
        secretsEndpoint: secrets.endpoint,
      }),
      WEBHOOK_FETCH_DELAY_MS: '0',
    });
    try {
      const { handler: poll } = await coldStart<{ handler: Handler<unknown, { written: number }> }>('../../functions/poll.js');
      const [delivered] = lambda.invokes;
      const result = await poll(delivered!.payload, lambdaContext('poll-production'), () => {});
      expect(result!.written).toBe(Object.keys(data.flags).length + Object.keys(data.segments).length);
      const store = new DynamoDBFlagStore({ tableName, prefix: 'prod', client });
      expect((await store.syncStatus())?.source).toBe('webhook');
      expect(Object.keys(await store.all('features')).sort()).toEqual(Object.keys(data.flags).sort());
    } finally {
      restore();
      client.destroy();
      await ld.close();
    }
  });
});

describe('webhook handler configuration', () => {
  it.each([
    [
      'WEBHOOK_SECRET_ID',
      undefined,
      'Environment variable WEBHOOK_SECRET_ID is required: the Secrets Manager secret holding the webhook signing secret',
    ],
    ['SYNC_FUNCTIONS', undefined, /^Environment variable SYNC_FUNCTIONS is required/],
    [
      'SYNC_FUNCTIONS',
      '{"production":"not a function name"}',
      'Environment variable SYNC_FUNCTIONS: the function of environment "production" must be a Lambda function name or ARN',
    ],
  ])('fails at cold start on %s=%s', async (name, value, message) => {
    const restore = setEnv({
      ...webhookEnv(
        { endpoint: 'http://127.0.0.1:9' } as SecretsManagerServer,
        { endpoint: 'http://127.0.0.1:9' } as LambdaServer,
        'ld/wh',
      ),
      [name]: value,
    });
    try {
      await expect(coldStart('../../functions/webhook.js')).rejects.toThrow(message);
    } finally {
      restore();
    }
  });
});
