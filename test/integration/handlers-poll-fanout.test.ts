// Fan-out and deadlines of the poll function (functions/poll.ts), as the stack deploys it: one sync per
// environment per invocation, each invocation bounded by its own Lambda deadline. 100 environments, each its
// own loopback LaunchDarkly with its own SDK key and its own prefix in one DynamoDB Local table, are polled by
// 100 concurrent invocations (what 100 per-environment functions on their schedules do): every environment is
// synced, and one environment whose LaunchDarkly never answers fails its own invocation before that
// invocation's deadline without holding up any other. And a DynamoDB that stops answering mid-sync ends the
// invocation with a named timeout before the deadline, instead of holding it until Lambda kills it.
import type { Handler } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import { startFaultProxy, type DynamoDBFaultProxy } from '../support/ddb-fault-proxy.js';
import { generateEnvironment } from '../support/generate-environment.js';
import { startLaunchDarklyServer, type LaunchDarklyServer } from '../support/ld-server.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../support/secrets-manager-server.js';
import { freshTable, localClient, localClientConfig } from '../support/tables.js';
import { baseEnv, coldStart, lambdaContext, scheduledEvent, setEnv, startKeyRouter } from '../support/lambda.js';

const ENVIRONMENTS = 100;
const SLOW = 'env-42';
/**
 * Every invocation's time limit here, as the stack's poll timeout: long enough for 100 concurrent syncs on a
 * busy shared machine. The slow environment's attempts (3 × the polling client's 10 s timeout, plus backoff) run
 * out before it, so it fails by its own bounds, with time left, long after the others are done.
 */
const DEADLINE_MS = 60_000;

type PollHandler = Handler<Record<string, unknown>, { environment: string; written: number }>;

const client = localClient();
const servers: LaunchDarklyServer[] = [];
let router: Awaited<ReturnType<typeof startKeyRouter>>;
let secrets: SecretsManagerServer;
let proxy: DynamoDBFaultProxy;
let tableName: string;
let handler: PollHandler;
let restoreEnv: () => void;
/** Held DynamoDB requests, released at the end so nothing is left hanging. */
const held: (() => void)[] = [];
let holdPuts = false;
const printed: string[] = [];

const names = Array.from({ length: ENVIRONMENTS }, (_, i) => `env-${i}`);
const sdkKey = (i: number) => `sdk-${String(i).padStart(8, '0')}-aaaa-4bbb-8ccc-fanout${String(i).padStart(6, '0')}`;
const data = (i: number) => generateEnvironment({ flags: 3, segments: 1, seed: 500 + i });

beforeAll(async () => {
  secrets = await startSecretsManagerServer();
  for (let i = 0; i < ENVIRONMENTS; i++) {
    servers.push(await startLaunchDarklyServer({ sdkKey: sdkKey(i), data: data(i) }));
    secrets.setSecret(`ld/${names[i]}`, sdkKey(i));
  }
  router = await startKeyRouter(servers);
  proxy = await startFaultProxy({ target: localClientConfig().endpoint });
  proxy.setHook((request) =>
    holdPuts && request.operation === 'PutItem' ? new Promise<void>((release) => held.push(release)) : undefined,
  );
  tableName = await freshTable(client, 'fanout');
  restoreEnv = setEnv({
    ...baseEnv({
      tableName,
      environments: names.map((name) => ({ name, prefix: name, sdkKeySecretId: `ld/${name}` })),
      ldUri: router.uri,
      dynamodbEndpoint: proxy.endpoint,
      secretsEndpoint: secrets.endpoint,
    }),
    POWERTOOLS_LOG_LEVEL: 'WARN',
  });
  // 100 invocations log and publish metrics: keep it off the test output (and check no key was printed).
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
      printed.push(String(chunk));
      return true;
    }) as typeof stream.write);
  }
  ({ handler } = await coldStart<{ handler: PollHandler }>('../../functions/poll.js'));
}, 120_000);

afterAll(async () => {
  vi.restoreAllMocks();
  restoreEnv?.();
  for (const release of held) release();
  await router?.close();
  await Promise.all(servers.map((s) => s.close()));
  await secrets?.close();
  await proxy?.close();
  client.destroy();
  expect(printed.join('')).not.toMatch(/sdk-\d{8}-aaaa/);
});

describe('100 environments, one invocation each', () => {
  it('all are synced, none starved, and one whose LaunchDarkly never answers fails alone, within its own deadline', async () => {
    servers[names.indexOf(SLOW)]!.stall(true);
    const settled: { name: string; at: number; ok: boolean; error?: string; remainingMs: number }[] = [];
    const started = Date.now();
    await Promise.all(
      names.map(async (name) => {
        const context = lambdaContext(`poll-${name}`, DEADLINE_MS);
        try {
          await handler(scheduledEvent({ environment: name }), context, () => {});
          settled.push({ name, at: Date.now() - started, ok: true, remainingMs: context.getRemainingTimeInMillis() });
        } catch (err) {
          settled.push({
            name,
            at: Date.now() - started,
            ok: false,
            error: `${(err as Error).name}: ${(err as Error).message}`,
            remainingMs: context.getRemainingTimeInMillis(),
          });
        }
      }),
    );
    servers[names.indexOf(SLOW)]!.stall(false);

    const failed = settled.filter((s) => !s.ok);
    expect(failed.map((s) => s.name)).toEqual([SLOW]);
    const slow = failed[0]!;
    // It gave up before Lambda would have killed it: the handler ended with time left, saying why.
    expect(slow.remainingMs).toBeGreaterThan(0);
    expect(slow.error).toMatch(/aborted|timed out|deadline/i);
    // Nobody waited for it: every other environment finished before it did.
    const others = settled.filter((s) => s.ok);
    expect(others).toHaveLength(ENVIRONMENTS - 1);
    expect(Math.max(...others.map((s) => s.at))).toBeLessThan(slow.at);
    for (const name of [names[0]!, names[57]!, names[99]!]) {
      const store = new DynamoDBFlagStore({ tableName, prefix: name, client });
      expect(Object.keys(await store.all('features')).sort()).toEqual(Object.keys(data(names.indexOf(name)).flags).sort());
      expect((await store.syncStatus())?.source).toBe('poll');
    }
    const statuses = await Promise.all(names.map((name) => new DynamoDBFlagStore({ tableName, prefix: name, client }).syncStatus()));
    expect(statuses.filter((s) => s !== null)).toHaveLength(ENVIRONMENTS - 1);
  }, 120_000);

  it('a DynamoDB request that never answers ends the invocation with a timeout before the deadline, not at it', async () => {
    // A fresh environment's data (so there is something to write), and DynamoDB stops answering writes.
    servers[0]!.setData(generateEnvironment({ flags: 5, seed: 999 }));
    holdPuts = true;
    const context = lambdaContext('poll-env-0', 8_000);
    const err = (await Promise.resolve(handler(scheduledEvent({ environment: names[0]! }), context, () => {})).catch(
      (e: unknown) => e,
    )) as Error;
    holdPuts = false;
    expect(err).toBeInstanceOf(Error);
    expect(`${err.name}: ${err.message}`).toMatch(/TimeoutError|timed out|DeadlineExceeded/);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(held.length).toBeGreaterThan(0);
  }, 60_000);
});
