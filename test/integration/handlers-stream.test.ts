// functions/stream.ts called as Lambda calls it, on DynamoDB Local with the loopback LaunchDarkly and Secrets
// Manager: the session holds the stream until middy's abort signal (a few seconds before the context's
// deadline) or STREAM_SESSION_SECONDS, applies what arrives, and a write in flight when the signal fires is
// completed before the function returns. A 401 fails the invocation after one attempt.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Handler } from 'aws-lambda';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import type { FullDataSet } from '../../lib/store/types.js';
import { startFaultProxy, type DynamoDBFaultProxy } from '../support/ddb-fault-proxy.js';
import { startLaunchDarklyServer, type LaunchDarklyServer } from '../support/ld-server.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../support/secrets-manager-server.js';
import { dynamoEndpoint, freshTable, localClient } from '../support/tables.js';
import { baseEnv, captureOutput, coldStart, lambdaContext, metricValue, setEnv, until } from '../support/lambda.js';

const SDK_KEY = 'sdk-44444444-aaaa-4bbb-8ccc-stream000004';
/** The handler's signal fires this long before the deadline (functions/stream.ts). */
const STOP_BEFORE_DEADLINE_MS = 10_000;
const data: FullDataSet = {
  flags: {
    'dark-mode': { key: 'dark-mode', version: 3, on: true, variations: [false, true], offVariation: 0, fallthrough: { variation: 1 } },
    'new-checkout': { key: 'new-checkout', version: 7, on: false, variations: ['a', 'b'], offVariation: 0, fallthrough: { variation: 0 } },
  },
  segments: { beta: { key: 'beta', version: 2, included: ['u1'] } },
};

type StreamHandler = Handler<
  Record<string, unknown>,
  { environment: string; endedBy: string; events: number; written: number; reconnects: number }
>;

describe('stream handler', () => {
  const client = localClient();
  let secrets: SecretsManagerServer;
  let ld: LaunchDarklyServer;
  let proxy: DynamoDBFaultProxy;
  let tableName: string;
  let restoreEnv: () => void;
  let output: ReturnType<typeof captureOutput>;
  let n = 0;
  let secretId: string;

  beforeAll(async () => {
    secrets = await startSecretsManagerServer();
    proxy = await startFaultProxy({ target: dynamoEndpoint() });
  });
  beforeEach(async () => {
    secretId = `ld/stream-${++n}/sdk-key`;
    secrets.setSecret(secretId, SDK_KEY);
    ld = await startLaunchDarklyServer({ sdkKey: SDK_KEY, data });
    tableName = await freshTable(client, 'stream-fn');
    restoreEnv = setEnv(
      baseEnv({
        tableName,
        environments: [{ name: 'production', sdkKeySecretId: secretId }],
        ldUri: ld.baseUri,
        // Through the proxy, so a test can hold a write in flight.
        dynamodbEndpoint: proxy.endpoint,
        secretsEndpoint: secrets.endpoint,
      }),
    );
    output = captureOutput();
  });
  afterEach(async () => {
    output.restore();
    expect(output.text()).not.toContain(SDK_KEY);
    proxy.setHook(undefined);
    restoreEnv();
    await ld.close();
  });
  afterAll(async () => {
    await proxy.close();
    await secrets.close();
    client.destroy();
  });

  const store = () => new DynamoDBFlagStore({ tableName, client, consistentReads: true });

  it('holds the stream until middy’s abort signal, applying events as they arrive; a write in flight then completes', async () => {
    const { handler } = await coldStart<{ handler: StreamHandler }>('../../functions/stream.js');
    // The signal fires 4 s after the start: time for the put and a patch; a second patch's write is then
    // held until the signal has fired.
    const context = lambdaContext('ld-sync-stream', STOP_BEFORE_DEADLINE_MS + 4000);
    const signalAt = Date.now() + 4000;
    const invocation = Promise.resolve(handler({ environment: 'production' }, context, () => {}));
    await until(async () => (await store().syncStatus()) !== null, 'the first put to be applied');

    ld.sendPatch('features', { ...data.flags['dark-mode']!, version: 4, on: false });
    await until(async () => (await store().get('features', 'dark-mode'))?.version === 4, 'the patch');

    // Hold the next write inside DynamoDB's proxy until after the signal has fired.
    let held = false;
    proxy.setHook(async (req) => {
      const item = req.body.Item as { key?: { S?: string } } | undefined;
      if (req.operation === 'PutItem' && item?.key?.S === 'new-checkout') {
        held = true;
        while (Date.now() < signalAt + 200) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
    ld.sendPatch('features', { ...data.flags['new-checkout']!, version: 8, on: true });
    const result = await invocation;

    expect(held).toBe(true);
    expect(result).toMatchObject({ environment: 'production', endedBy: 'signal', events: 3, written: 5, reconnects: 0 });
    expect(await store().get('features', 'new-checkout')).toMatchObject({ version: 8, on: true });
    expect((await store().syncStatus())?.summary).toMatchObject({ events: 3, endedBy: 'signal' });
    await until(() => ld.openStreams() === 0, 'the stream to be closed');
    const blobs = output.metrics();
    expect(metricValue(blobs, 'SyncSucceeded', 'production')).toBe(1);
    expect(metricValue(blobs, 'ItemsWritten', 'production')).toBe(5);
    expect(metricValue(blobs, 'StreamReconnects', 'production')).toBe(0);
  });

  it('ends after STREAM_SESSION_SECONDS when set, and needs no environment in the event when only one is configured', async () => {
    const restore = setEnv({ STREAM_SESSION_SECONDS: '1' });
    try {
      const { handler } = await coldStart<{ handler: StreamHandler }>('../../functions/stream.js');
      const result = await handler({}, lambdaContext('ld-sync-stream', 120_000), () => {});
      expect(result).toMatchObject({ environment: 'production', endedBy: 'duration', events: 1, written: 3 });
      expect((await store().syncStatus())?.source).toBe('stream');
    } finally {
      restore();
    }
  });

  it('fails after one attempt when LaunchDarkly rejects the SDK key, with SyncFailed and no secret in the error', async () => {
    const revoked = 'sdk-55555555-aaaa-4bbb-8ccc-revoked00005';
    secrets.setSecret(secretId, revoked);
    const { handler } = await coldStart<{ handler: StreamHandler }>('../../functions/stream.js');
    const err = (await Promise.resolve(handler({ environment: 'production' }, lambdaContext('ld-sync-stream', 120_000), () => {})).catch(
      (e: unknown) => e,
    )) as Error;

    expect(err.name).toBe('HttpStatusError');
    expect(err.message).toMatch(/^LaunchDarkly rejected the SDK key \(HTTP 401\) for GET http:\/\/127\.0\.0\.1:\d+\/all/);
    expect(`${err.message}${err.stack}`).not.toContain(revoked);
    // One attempt with the cached key; the secret, read again, is unchanged, so no second attempt.
    expect(ld.requestsTo('/all')).toHaveLength(1);
    expect(secrets.fetchesOf(secretId)).toBe(2);
    expect(metricValue(output.metrics(), 'SyncFailed', 'production')).toBe(1);
    expect(output.text()).not.toContain(revoked);
    expect(await store().initialized()).toBe(false);
  });

  it('requires the environment when several are configured', async () => {
    const restore = setEnv({
      LD_ENVIRONMENTS: JSON.stringify([
        { name: 'production', sdkKeySecretId: secretId },
        { name: 'staging', prefix: 'stg', sdkKeySecretId: secretId },
      ]),
    });
    try {
      const { handler } = await coldStart<{ handler: StreamHandler }>('../../functions/stream.js');
      await expect(Promise.resolve(handler({}, lambdaContext('ld-sync-stream'), () => {}))).rejects.toThrow(
        'stream event: "environment" is required when several environments are configured; one of "production", "staging"',
      );
      expect(ld.requests).toHaveLength(0);
    } finally {
      restore();
    }
  });
});
