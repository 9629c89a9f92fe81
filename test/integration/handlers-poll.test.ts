// functions/poll.ts called as Lambda calls it (scheduled event + context), on DynamoDB Local, with two
// loopback LaunchDarkly environments and a loopback Secrets Manager: one environment per invocation, each into
// its own prefix, 304s on a warm run, one environment's failure failing its own invocation only, a rotated SDK
// key picked up, per-environment metrics (rows stuck ahead of LaunchDarkly counted and named), and no secret
// ever in the output.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Handler } from 'aws-lambda';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import { generateEnvironment } from '../support/generate-environment.js';
import { startLaunchDarklyServer, type LaunchDarklyServer } from '../support/ld-server.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../support/secrets-manager-server.js';
import { dynamoEndpoint, freshTable, localClient } from '../support/tables.js';
import {
  baseEnv,
  captureOutput,
  coldStart,
  lambdaContext,
  metricValue,
  scheduledEvent,
  setEnv,
  startKeyRouter,
} from '../support/lambda.js';

const PROD_KEY = 'sdk-11111111-aaaa-4bbb-8ccc-prod00000001';
const STAGING_KEY = 'sdk-22222222-aaaa-4bbb-8ccc-stag00000002';
const prodData = generateEnvironment({ flags: 12, seed: 1 });
const stagingData = generateEnvironment({ flags: 5, seed: 2 });
const PROD_ITEMS = Object.keys(prodData.flags).length + Object.keys(prodData.segments).length;
const STAGING_ITEMS = Object.keys(stagingData.flags).length + Object.keys(stagingData.segments).length;

type PollHandler = Handler<Record<string, unknown>, { environment: string; written: number; notModified: boolean }>;

describe('poll handler', () => {
  const client = localClient();
  let secrets: SecretsManagerServer;
  let prod: LaunchDarklyServer;
  let staging: LaunchDarklyServer;
  let routed: LaunchDarklyServer[];
  let router: Awaited<ReturnType<typeof startKeyRouter>>;
  let tableName: string;
  let restoreEnv: () => void;
  let output: ReturnType<typeof captureOutput>;
  let n = 0;
  let secretIds: { prod: string; staging: string };

  beforeAll(async () => {
    secrets = await startSecretsManagerServer();
  });
  beforeEach(async () => {
    // Distinct secret names per test: Powertools' cache lives as long as the process, as in a warm Lambda.
    n++;
    secretIds = { prod: `ld/prod-${n}/sdk-key`, staging: `ld/staging-${n}/sdk-key` };
    secrets.setSecret(secretIds.prod, PROD_KEY);
    secrets.setSecret(secretIds.staging, `${STAGING_KEY}\n`); // a trailing newline, as pasted keys often have
    prod = await startLaunchDarklyServer({ sdkKey: PROD_KEY, data: prodData });
    staging = await startLaunchDarklyServer({ sdkKey: STAGING_KEY, data: stagingData });
    routed = [prod, staging];
    router = await startKeyRouter(routed);
    tableName = await freshTable(client, 'poll-fn');
    restoreEnv = setEnv(
      baseEnv({
        tableName,
        environments: [
          { name: 'production', sdkKeySecretId: secretIds.prod },
          { name: 'staging', prefix: 'stg', sdkKeySecretId: secrets.arnOf(secretIds.staging) },
        ],
        ldUri: router.uri,
        dynamodbEndpoint: dynamoEndpoint(),
        secretsEndpoint: secrets.endpoint,
      }),
    );
    output = captureOutput();
  });
  afterEach(async () => {
    output.restore();
    // The secrets must not appear in anything the function wrote, whatever the test did.
    for (const key of [PROD_KEY, STAGING_KEY]) expect(output.text()).not.toContain(key);
    restoreEnv();
    await router.close();
    await prod.close();
    await staging.close();
  });
  afterAll(async () => {
    await secrets.close();
    client.destroy();
  });

  const stores = () => ({
    prod: new DynamoDBFlagStore({ tableName, client }),
    staging: new DynamoDBFlagStore({ tableName, prefix: 'stg', client }),
  });

  const run = (handler: PollHandler, environment: string) =>
    handler(scheduledEvent({ environment }), lambdaContext(`ld-sync-poll-${environment}`), () => {});

  it('syncs the environment the event names into its own prefix, emits its metrics, and is a 304 with no writes when warm', async () => {
    const { handler } = await coldStart<{ handler: PollHandler }>('../../functions/poll.js');
    const first = [await run(handler, 'production'), await run(handler, 'staging')];

    expect(first.map((e) => [e!.environment, e!.notModified, e!.written])).toEqual([
      ['production', false, PROD_ITEMS],
      ['staging', false, STAGING_ITEMS],
    ]);
    const { prod: prodStore, staging: stagingStore } = stores();
    expect(Object.keys(await prodStore.all('features')).sort()).toEqual(Object.keys(prodData.flags).sort());
    expect(Object.keys(await stagingStore.all('features')).sort()).toEqual(Object.keys(stagingData.flags).sort());
    expect((await prodStore.syncStatus())?.source).toBe('poll');
    expect((await stagingStore.syncStatus())?.source).toBe('poll');

    const blobs = output.metrics();
    expect(blobs.every((b) => b._aws.CloudWatchMetrics[0]!.Namespace === 'LdDynamoDBSync')).toBe(true);
    expect(metricValue(blobs, 'SyncSucceeded', 'production')).toBe(1);
    expect(metricValue(blobs, 'ItemsWritten', 'production')).toBe(PROD_ITEMS);
    expect(metricValue(blobs, 'ItemsWritten', 'staging')).toBe(STAGING_ITEMS);
    expect(metricValue(blobs, 'ItemsStale', 'staging')).toBe(0);
    expect(metricValue(blobs, 'DeletesSkipped', 'staging')).toBe(0);
    expect(metricValue(blobs, 'SyncDuration', 'staging')).toBeGreaterThanOrEqual(0);
    expect(metricValue(blobs, 'SyncFailed', 'staging')).toBeUndefined();
    const prodBlob = blobs.find((b) => b.environment === 'production')!;
    expect(prodBlob._aws.CloudWatchMetrics[0]!.Dimensions[0]).toEqual(expect.arrayContaining(['service', 'environment']));
    expect(prodBlob._aws.CloudWatchMetrics[0]!.Metrics).toContainEqual({ Name: 'SyncDuration', Unit: 'Milliseconds' });
    expect(metricValue(blobs, 'ColdStart')).toBe(1);
    const logs = output.logs();
    expect(
      logs.some((l) => l.message === 'poll sync succeeded' && l.environment === 'staging' && l.function_name === 'ld-sync-poll-staging'),
    ).toBe(true);

    // Warm: same module, same polling clients (ETags kept), secrets from the cache.
    const second = [await run(handler, 'production'), await run(handler, 'staging')];
    expect(second.map((e) => [e!.environment, e!.notModified, e!.written])).toEqual([
      ['production', true, 0],
      ['staging', true, 0],
    ]);
    expect(prod.requestsTo('/sdk/latest-all').map((r) => r.status)).toEqual([200, 304]);
    expect(secrets.fetchesOf(secretIds.prod)).toBe(1);
    expect(secrets.fetchesOf(secretIds.staging)).toBe(1);
  });

  it('syncs one environment per invocation: the event must name one when several are configured', async () => {
    const { handler } = await coldStart<{ handler: PollHandler }>('../../functions/poll.js');
    await expect(handler(scheduledEvent(), lambdaContext('ld-sync-poll'), () => {})).rejects.toThrow(
      'poll event: "environment" is required when several environments are configured (one sync per invocation); one of "production", "staging"',
    );
    const result = await run(handler, 'staging');
    expect(result!.environment).toBe('staging');
    expect(prod.requests).toHaveLength(0);
    expect(await stores().prod.initialized()).toBe(false);

    await expect(run(handler, 'prod')).rejects.toThrow('poll event: unknown environment "prod"; configured: "production", "staging"');
    await expect(
      handler(scheduledEvent({ environment: 'staging', trigger: 'cron' }), lambdaContext('ld-sync-poll'), () => {}),
    ).rejects.toThrow('poll event: "trigger" must be "webhook" or absent, got "cron"');
  });

  it('an environment that fails fails its own invocation, redacted, and leaves the others alone', async () => {
    secrets.setSecret(secretIds.staging, 'sdk-99999999-aaaa-4bbb-8ccc-revoked00009');
    const { handler } = await coldStart<{ handler: PollHandler }>('../../functions/poll.js');
    const err = (await Promise.resolve(run(handler, 'staging')).catch((e: unknown) => e)) as Error;
    await run(handler, 'production');

    expect(err.name).toBe('HttpStatusError');
    expect(err.message).toMatch(/^LaunchDarkly rejected the SDK key \(HTTP 401\)/);
    expect(err.message).not.toContain('revoked00009');
    expect(err.stack).not.toContain('revoked00009');
    expect(err.cause).toBeUndefined();
    expect(Object.keys(await stores().prod.all('features'))).toHaveLength(Object.keys(prodData.flags).length);
    expect(await stores().staging.syncStatus()).toBeNull();

    const blobs = output.metrics();
    expect(metricValue(blobs, 'SyncSucceeded', 'production')).toBe(1);
    expect(metricValue(blobs, 'SyncFailed', 'staging')).toBe(1);
    expect(output.text()).not.toContain('revoked00009');
    expect(
      output
        .logs()
        .some((l) => l.level === 'ERROR' && l.environment === 'staging' && /poll sync failed: HttpStatusError/.test(String(l.message))),
    ).toBe(true);
  });

  it('counts rows stuck ahead of LaunchDarkly (ItemsStale, DeletesSkipped) sync after sync, and names them in the log', async () => {
    const { handler } = await coldStart<{ handler: PollHandler }>('../../functions/poll.js');
    await run(handler, 'production');
    // A hand edit: one flag at a version LaunchDarkly has not reached; and a flag LaunchDarkly no longer has.
    const [edited] = Object.keys(prodData.flags).sort();
    const flag = prodData.flags[edited!]!;
    await stores().prod.upsert('features', { ...flag, version: flag.version + 100 });
    const [removed] = Object.keys(prodData.flags).sort().slice(-1);
    const { [removed!]: _gone, ...remaining } = prodData.flags;
    prod.setData({ flags: remaining, segments: prodData.segments });

    // LaunchDarkly's data does not change in between, yet the second sync checks again (no 304 while rows are ahead).
    for (let i = 0; i < 2; i++) await run(handler, 'production');
    expect(prod.requestsTo('/sdk/latest-all').map((r) => r.status)).toEqual([200, 200, 200]);
    const blobs = output.metrics();
    expect(metricValue(blobs, 'ItemsStale', 'production')).toBe(2); // one row, two syncs
    expect(metricValue(blobs, 'DeletesSkipped', 'production')).toBe(2);
    // The deletion waits: the data set is older than the table for one row.
    expect(Object.keys(await stores().prod.all('features'))).toContain(removed);
    const warnings = output.logs().filter((l) => l.level === 'WARN' && Array.isArray(l.staleKeys));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]!.staleKeys).toEqual([
      `features/${JSON.stringify(edited)} (table v${flag.version + 100}, LaunchDarkly v${flag.version})`,
    ]);
    expect(warnings[0]!.environment).toBe('production');
  });

  it('after LaunchDarkly rejects a cached SDK key, reads the secret again and uses the rotated key', async () => {
    const { handler } = await coldStart<{ handler: PollHandler }>('../../functions/poll.js');
    await handler(scheduledEvent({ environment: 'production' }), lambdaContext('ld-sync-poll'), () => {});
    expect(secrets.fetchesOf(secretIds.prod)).toBe(1);

    // The key is rotated: LaunchDarkly accepts only the new one, and the secret holds it; the warm function's
    // cache still has the old one.
    const rotated = 'sdk-33333333-aaaa-4bbb-8ccc-rotated00003';
    const rotatedProd = await startLaunchDarklyServer({ sdkKey: rotated, data: prodData });
    routed.splice(routed.indexOf(prod), 1, rotatedProd);
    secrets.setSecret(secretIds.prod, rotated);
    try {
      const result = await handler(scheduledEvent({ environment: 'production' }), lambdaContext('ld-sync-poll'), () => {});
      expect(result).toMatchObject({ environment: 'production', notModified: false, written: 0 });
      expect(rotatedProd.requestsTo('/sdk/latest-all').map((r) => r.status)).toEqual([200]);
      expect(secrets.fetchesOf(secretIds.prod)).toBe(2);
      expect(output.logs().some((l) => /the secret has changed since, retrying with the new key/.test(String(l.message)))).toBe(true);
      expect(output.text()).not.toContain(rotated);
    } finally {
      await rotatedProd.close();
    }
  });

  it('names the secret (never a value) when the SDK key cannot be read', async () => {
    secrets.deleteSecret(secretIds.prod);
    const { handler } = await coldStart<{ handler: PollHandler }>('../../functions/poll.js');
    const err = (await Promise.resolve(run(handler, 'production')).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('SecretError');
    expect(err.message).toContain(
      `Could not read the SDK key of environment "production" from Secrets Manager secret "${secretIds.prod}": ResourceNotFoundException`,
    );
  });

  it('rejects a secret holding key/value JSON instead of the key, without echoing it', async () => {
    secrets.setSecret(secretIds.prod, JSON.stringify({ sdkKey: PROD_KEY }));
    const { handler } = await coldStart<{ handler: PollHandler }>('../../functions/poll.js');
    const err = (await Promise.resolve(
      handler(scheduledEvent({ environment: 'production' }), lambdaContext('ld-sync-poll'), () => {}),
    ).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('SecretError');
    expect(err.message).toContain(
      `Secrets Manager secret "${secretIds.prod}" holds a JSON object; it must hold the SDK key of environment "production" as plain text`,
    );
    expect(prod.requests).toHaveLength(0);
  });
});

describe('poll handler configuration', () => {
  let restoreEnv: (() => void) | undefined;
  afterEach(() => restoreEnv?.());

  it('fails at cold start naming a missing or invalid environment variable', async () => {
    const good = baseEnv({
      tableName: 't-x',
      environments: [{ name: 'p', sdkKeySecretId: 's' }],
      ldUri: 'http://127.0.0.1:9',
      dynamodbEndpoint: 'http://127.0.0.1:9',
      secretsEndpoint: 'http://127.0.0.1:9',
    });
    restoreEnv = setEnv({ ...good, TABLE_NAME: undefined });
    await expect(coldStart('../../functions/poll.js')).rejects.toThrow(
      'Environment variable TABLE_NAME is required: the DynamoDB table the flags are kept in',
    );
    restoreEnv();

    restoreEnv = setEnv({ ...good, LD_ENVIRONMENTS: undefined });
    await expect(coldStart('../../functions/poll.js')).rejects.toThrow(/^Environment variable LD_ENVIRONMENTS is required: a JSON array/);
    restoreEnv();

    restoreEnv = setEnv({ ...good, LD_ENVIRONMENTS: '[{"name":"p","prefix":"a:b","sdkKeySecretId":"s"}]' });
    await expect(coldStart('../../functions/poll.js')).rejects.toThrow(
      /^Environment variable LD_ENVIRONMENTS\[0\] \("p"\): "prefix" must be/,
    );
    restoreEnv();

    restoreEnv = setEnv({ ...good, LD_BASE_URI: 'sdk.launchdarkly.com' });
    await expect(coldStart('../../functions/poll.js')).rejects.toThrow(
      /Environment variable LD_BASE_URI must be an https:\/\/ URL .*got "sdk\.launchdarkly\.com"/,
    );
  });
});
