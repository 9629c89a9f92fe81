// Webhook abuse: functions/webhook.ts called as Lambda calls it for a Function URL, with a loopback Lambda (to
// count every hand-off to a poll function), and functions/poll.ts behind it with DynamoDB behind the fault proxy
// (to count every write request) and the loopback LaunchDarkly (to count every fetch). Forged, missing and
// malformed signatures, wrong methods, 10 MB bodies, bodies that are not JSON and unknown paths must each get the
// right status and cause no invoke, no fetch and no write at all. A replayed valid delivery (the signature has no
// timestamp, so a replay cannot be told apart) may trigger only a harmless re-sync: each invoke, run by the poll
// function, fetches LaunchDarkly's current data, writes no flag or segment that has not changed, and rolls
// nothing back.
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Handler, LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signWebhookBody } from '../../lib/launchdarkly/webhook.js';
import type { FullDataSet } from '../../lib/store/index.js';
import { startFaultProxy, type DynamoDBFaultProxy } from '../support/ddb-fault-proxy.js';
import { startLambdaServer, type LambdaServer } from '../support/lambda-server.js';
import { generateEnvironment } from '../support/generate-environment.js';
import { sampleWebhookPayload, startLaunchDarklyServer, type LaunchDarklyServer } from '../support/ld-server.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../support/secrets-manager-server.js';
import { freshTable, localClient, localClientConfig } from '../support/tables.js';
import { evolve } from './support/data.js';
import { baseEnv, coldStart, functionUrlEvent, lambdaContext, setEnv } from '../support/lambda.js';
import { record } from './support/report.js';
import { compareWith, describeProblems, readTable, rolledBack } from './support/table-state.js';

const AREA = 'Webhook abuse';
const SDK_KEY = 'sdk-webhook-abuse-5f0e-4c1b';
const SECRET = 'whsec-reliability-3b9d7e51-signing';

type Result = { statusCode: number; headers?: Record<string, string>; body: string };
type WebhookHandler = Handler<LambdaFunctionURLEvent, Result>;

let client: DynamoDBClient;
let proxy: DynamoDBFaultProxy;
let ld: LaunchDarklyServer;
let secrets: SecretsManagerServer;
let tableName: string;
let handler: WebhookHandler;
let poll: Handler<unknown, unknown>;
let lambda: LambdaServer;
let restoreEnv: () => void;
let first: FullDataSet;
let newer: FullDataSet;
/** Write requests that touched a flag or segment (not the freshness item). */
let dataWrites = 0;
const output: string[] = [];

beforeAll(async () => {
  client = localClient();
  proxy = await startFaultProxy({ target: localClientConfig().endpoint });
  proxy.setHook((request) => {
    if (!request.write) return;
    if (!JSON.stringify(request.body).includes('$syncStatus')) dataWrites++;
  });
  first = generateEnvironment({ flags: 200, segments: 10, seed: 111 });
  newer = evolve(first, { seed: 112 });
  ld = await startLaunchDarklyServer({ sdkKey: SDK_KEY, data: first });
  secrets = await startSecretsManagerServer({ secrets: { 'ld/prod-sdk-key': SDK_KEY, 'ld/webhook-secret': SECRET } });
  tableName = await freshTable(client, 'webhook');
  lambda = await startLambdaServer();
  // Powertools writes logs and metrics to stdout and stderr: keep them, to check no secret is ever printed.
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
      output.push(String(chunk));
      return true;
    }) as typeof stream.write);
  }
  // The webhook's environment: its secret and the poll function to hand off to; nothing of the sync side.
  restoreEnv = setEnv({
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    WEBHOOK_SECRET_ID: 'ld/webhook-secret',
    SYNC_FUNCTIONS: JSON.stringify({ production: 'LdDynamoDBSync-PollProduction' }),
  });
  handler = (await coldStart<{ handler: WebhookHandler }>(new URL('../../functions/webhook.ts', import.meta.url).href)).handler;
  // The poll function's on top (the webhook's SDK clients read their endpoints on first use, so those stay set).
  const restoreWebhookEnv = restoreEnv;
  const restorePollEnv = setEnv({
    ...baseEnv({
      tableName,
      environments: [{ name: 'production', sdkKeySecretId: 'ld/prod-sdk-key' }],
      ldUri: ld.baseUri,
      dynamodbEndpoint: proxy.endpoint,
      secretsEndpoint: secrets.endpoint,
    }),
    LD_STREAM_URI: ld.streamUri,
    WEBHOOK_FETCH_DELAY_MS: '0',
  });
  restoreEnv = () => {
    restorePollEnv();
    restoreWebhookEnv();
  };
  poll = (await coldStart<{ handler: Handler<unknown, unknown> }>(new URL('../../functions/poll.ts', import.meta.url).href)).handler;
});
afterAll(async () => {
  vi.restoreAllMocks();
  restoreEnv?.();
  await ld?.close();
  await secrets?.close();
  await proxy?.close();
  await lambda?.close();
  client?.destroy();
});

/** Runs the poll function for every invoke the webhook made since `from`, one at a time (reserved concurrency 1). */
async function deliverInvokes(from: number): Promise<void> {
  for (const { payload } of lambda.invokes.slice(from)) await poll(payload, lambdaContext('ld-poll-production'), () => undefined);
}

const invoke = async (event: LambdaFunctionURLEvent) => {
  const before = lambda.invokes.length;
  const result = (await handler(event, lambdaContext('ld-webhook'), () => undefined)) as Result;
  await deliverInvokes(before);
  return result;
};
const body = JSON.stringify(sampleWebhookPayload('dark-mode', 'production'));
const sign = (text: string | Buffer, secret = SECRET) => signWebhookBody(text, secret);
const post = (text: string, headers: Record<string, string>, extra: Partial<Parameters<typeof functionUrlEvent>[0]> = {}) =>
  functionUrlEvent({ body: text, headers, ...extra });
const tenMegabytes = JSON.stringify({ ...sampleWebhookPayload(), padding: 'x'.repeat(10 * 1024 * 1024) });

const abuse: { group: string; name: string; event: () => LambdaFunctionURLEvent; status: number }[] = [
  {
    group: 'forged signature',
    name: 'signed with another secret',
    event: () => post(body, { 'x-ld-signature': sign(body, 'not-the-secret') }),
    status: 401,
  },
  {
    group: 'forged signature',
    name: 'signature of a different body',
    event: () => post(body, { 'x-ld-signature': sign(`${body} `) }),
    status: 401,
  },
  {
    group: 'forged signature',
    name: 'body changed after signing',
    event: () => post(body.replace('dark-mode', 'dark-mod3'), { 'x-ld-signature': sign(body) }),
    status: 401,
  },
  {
    group: 'forged signature',
    name: 'signature truncated',
    event: () => post(body, { 'x-ld-signature': sign(body).slice(0, 32) }),
    status: 401,
  },
  {
    group: 'forged signature',
    name: 'signature with one digit changed',
    event: () => post(body, { 'x-ld-signature': flipLastHexDigit(sign(body)) }),
    status: 401,
  },
  { group: 'forged signature', name: 'not hex', event: () => post(body, { 'x-ld-signature': 'z'.repeat(64) }), status: 401 },
  { group: 'forged signature', name: '10 KB signature', event: () => post(body, { 'x-ld-signature': 'a'.repeat(10_240) }), status: 401 },
  {
    group: 'forged signature',
    name: 'signature of the base64 text, not the body',
    event: () =>
      post(
        Buffer.from(body).toString('base64'),
        { 'x-ld-signature': sign(Buffer.from(body).toString('base64')) },
        { isBase64Encoded: true },
      ),
    status: 401,
  },
  {
    group: 'forged signature',
    name: 'signed with an empty secret',
    event: () => post(body, { 'x-ld-signature': sign(body, '') }),
    status: 401,
  },
  { group: 'missing signature', name: 'no X-LD-Signature header', event: () => post(body, {}), status: 401 },
  { group: 'missing signature', name: 'empty X-LD-Signature header', event: () => post(body, { 'x-ld-signature': '' }), status: 401 },
  { group: 'missing signature', name: 'signature in another header', event: () => post(body, { 'x-signature': sign(body) }), status: 401 },
  ...['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'].map((method) => ({
    group: 'wrong method',
    name: `${method} with a valid signature`,
    event: () => functionUrlEvent({ method, body, headers: { 'x-ld-signature': sign(body) } }),
    status: 405,
  })),
  {
    group: '10 MB body',
    name: '10 MB, validly signed',
    event: () => post(tenMegabytes, { 'x-ld-signature': sign(tenMegabytes) }),
    status: 400,
  },
  {
    group: '10 MB body',
    name: '10 MB, base64-encoded and signed',
    event: () => post(Buffer.from(tenMegabytes).toString('base64'), { 'x-ld-signature': sign(tenMegabytes) }, { isBase64Encoded: true }),
    status: 400,
  },
  { group: '10 MB body', name: '10 MB, unsigned', event: () => post(tenMegabytes, {}), status: 400 },
  {
    group: 'non-JSON body',
    name: 'plain text, validly signed',
    event: () => post('flags changed!', { 'x-ld-signature': sign('flags changed!') }),
    status: 400,
  },
  {
    group: 'non-JSON body',
    name: 'truncated JSON, validly signed',
    event: () => post(body.slice(0, 20), { 'x-ld-signature': sign(body.slice(0, 20)) }),
    status: 400,
  },
  {
    group: 'non-JSON body',
    name: 'a JSON array, validly signed',
    event: () => post('[1,2,3]', { 'x-ld-signature': sign('[1,2,3]') }),
    status: 400,
  },
  {
    group: 'non-JSON body',
    name: 'binary, validly signed',
    event: () => {
      const bin = randomBytes(512);
      return post(bin.toString('base64'), { 'x-ld-signature': sign(bin) }, { isBase64Encoded: true });
    },
    status: 400,
  },
  { group: 'non-JSON body', name: 'empty body, validly signed', event: () => post('', { 'x-ld-signature': sign('') }), status: 400 },
  {
    group: 'unknown path',
    name: 'an environment that is not configured',
    event: () => post(body, { 'x-ld-signature': sign(body) }, { path: '/staging' }),
    status: 404,
  },
  {
    group: 'unknown path',
    name: 'path traversal',
    event: () => post(body, { 'x-ld-signature': sign(body) }, { path: '/../../etc/passwd' }),
    status: 404,
  },
];

function flipLastHexDigit(hex: string): string {
  const last = hex.at(-1)!;
  return hex.slice(0, -1) + (last === '0' ? '1' : '0');
}

describe('webhook abuse: never an invoke, a fetch or a write, the right status', () => {
  const groups = [...new Set(abuse.map((a) => a.group))];
  for (const group of groups) {
    it(group, async ({ task }) => {
      const cases = abuse.filter((a) => a.group === group);
      const wrong: string[] = [];
      let writes = 0;
      let fetches = 0;
      for (const c of cases) {
        const writesBefore = proxy.writeRequests();
        const fetchesBefore = ld.requestsTo('/sdk/latest-all').length;
        const invokesBefore = lambda.invokes.length;
        const result = await invoke(c.event());
        const w = proxy.writeRequests() - writesBefore;
        const f = ld.requestsTo('/sdk/latest-all').length - fetchesBefore;
        const i = lambda.invokes.length - invokesBefore;
        writes += w;
        fetches += f + i;
        if (result.statusCode !== c.status)
          wrong.push(`${c.name}: status ${result.statusCode}, want ${c.status} (${result.body.slice(0, 100)})`);
        if (w > 0 || f > 0 || i > 0) wrong.push(`${c.name}: ${i} invoke(s), ${w} write(s), ${f} fetch(es)`);
        if (result.body.includes(SECRET) || result.body.includes(SDK_KEY)) wrong.push(`${c.name}: a secret in the response`);
      }
      record(task, {
        area: AREA,
        name: `${group} (${cases
          .map((c) => c.status)
          .filter((s, i, a) => a.indexOf(s) === i)
          .join('/')})`,
        injected: cases.length,
        checked: cases.length,
        lost: writes + fetches,
        rolledBack: 0,
        note: `${writes} writes, ${fetches} fetches`,
      });
      expect(wrong).toEqual([]);
    });
  }

  it('a replayed valid delivery triggers at most a harmless re-sync: current data, nothing rewritten, nothing rolled back', async ({
    task,
  }) => {
    const delivery = post(body, { 'x-ld-signature': sign(body) });
    const firstResult = await invoke(delivery);
    expect(firstResult.statusCode, firstResult.body).toBe(202);
    expect(describeProblems(compareWith(await readTable(client, tableName), first))).toBe('none');

    // LaunchDarkly moves on and says so; then an attacker (or LaunchDarkly's own retry) replays the first delivery.
    ld.setData(newer);
    const second = post(JSON.stringify(sampleWebhookPayload('other-flag')), {});
    second.headers['x-ld-signature'] = sign(second.body!);
    expect((await invoke(second)).statusCode).toBe(202);
    const before = await readTable(client, tableName);
    const writesBefore = dataWrites;
    const replays = 12;
    const invokesBefore = lambda.invokes.length;
    const results = await Promise.all(
      Array.from(
        { length: replays },
        () => handler(post(body, { 'x-ld-signature': sign(body) }), lambdaContext('ld-webhook'), () => undefined) as Promise<Result>,
      ),
    );
    // Lambda queues the asynchronous invokes and runs them one at a time.
    await deliverInvokes(invokesBefore);
    const after = await readTable(client, tableName);
    const comparison = compareWith(after, newer);
    const back = rolledBack(before, after);
    const rewritten = dataWrites - writesBefore;
    record(task, {
      area: AREA,
      name: 'replayed valid delivery (12 times, concurrently)',
      injected: replays,
      checked: comparison.checked,
      lost: comparison.missing.length,
      rolledBack: back.length,
      note: `${rewritten} flag/segment writes; each replay re-fetched current data`,
    });
    expect(results.map((r) => r.statusCode)).toEqual(Array(replays).fill(202));
    expect(describeProblems(comparison)).toBe('none');
    expect(back).toEqual([]);
    expect(rewritten).toBe(0);
  });

  it('no secret or SDK key was ever printed', () => {
    const printed = output.join('');
    expect(printed).toContain('webhook rejected');
    expect(printed).not.toContain(SECRET);
    expect(printed).not.toContain(SDK_KEY);
  });
});
