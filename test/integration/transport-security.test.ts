// The connections to LaunchDarkly, attacked from loopback: the stream and the poll verify certificates (a
// test CA passed through NODE_EXTRA_CA_CERTS works, a self-signed certificate does not), never follow a
// redirect that would send the SDK key to another origin or over plain http, stop a redirect loop, keep a
// reconnect delay when the server asks for `retry: 0`, and keep memory bounded against an endless SSE line and
// a gzip bomb. Each client runs in a child process (test/support/transport-probe.ts): NODE_EXTRA_CA_CERTS is
// read only at process start, and memory is measured apart from the test runner.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { request as httpRequest, type Agent, type ServerResponse } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PollingClient } from '../../lib/launchdarkly/polling.js';
import { runStreamSession } from '../../lib/launchdarkly/streaming.js';
import { MAX_PAYLOAD_BYTES, MAX_REDIRECTS, StreamGuard } from '../../lib/launchdarkly/transport.js';
import type { FullDataSet } from '../../lib/store/types.js';
import { repoRoot, node22 } from '../reliability/support/sync-process.js';
import { childEnv, spawnCli } from './cli-support.js';
import { startLaunchDarklyServer, type LaunchDarklyServer } from '../support/ld-server.js';
import { dynamoEndpoint } from '../support/tables.js';
import { makeTestTls, startRecordingServer, type RecordingServer, type TestTls } from '../support/tls.js';
import type { ProbeResult } from '../support/transport-probe.js';

const SDK_KEY = 'sdk-transport-test-7d41';
const data: FullDataSet = {
  flags: { 'dark-mode': { key: 'dark-mode', version: 1, on: true, variations: [false, true], offVariation: 0 } },
  segments: {},
};
const MiB = 1024 * 1024;
/** What a poll may add to its resident memory against a gzip bomb (the body limit is 64 MiB). */
const MEMORY_BOUND_BYTES = 256 * MiB;

function probe(
  input: { mode: 'stream' | 'poll'; uri: string; durationMs?: number; maxEventBytes?: number },
  caFile?: string,
): Promise<ProbeResult> {
  const script = path.join(repoRoot, 'test/support/transport-probe.ts');
  const env: Record<string, string> = {
    PATH: `${path.join(repoRoot, 'node_modules/.bin')}:${process.env.PATH ?? ''}`,
    HOME: process.env.HOME ?? '/tmp',
  };
  if (caFile) env.NODE_EXTRA_CA_CERTS = caFile;
  const child = spawn(node22, ['--import', 'tsx', script, JSON.stringify({ sdkKey: SDK_KEY, ...input })], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout) as ProbeResult);
      } catch {
        reject(new Error(`probe exited ${code} without a result:\n${stdout}\n${stderr}`));
      }
    });
  });
}

describe('verified connections to LaunchDarkly', () => {
  let tls: TestTls;
  let trusted: LaunchDarklyServer;
  let selfSigned: LaunchDarklyServer;
  let plain: RecordingServer;
  let otherHttps: LaunchDarklyServer;
  let redirector: RecordingServer;
  /** What the redirector answers: [status, Location] per request path. */
  let redirectTo: (path: string) => [number, string];

  beforeAll(async () => {
    tls = makeTestTls();
    trusted = await startLaunchDarklyServer({ sdkKey: SDK_KEY, data, tls: tls.trusted });
    selfSigned = await startLaunchDarklyServer({ sdkKey: SDK_KEY, data, tls: tls.selfSigned });
    otherHttps = await startLaunchDarklyServer({ sdkKey: SDK_KEY, data, tls: tls.trusted });
    plain = await startRecordingServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(data)));
    redirector = await startRecordingServer((req, res) => {
      // Where a same-origin redirect lands: the data, as LaunchDarkly serves it.
      if (req.url === '/moved/sdk/latest-all')
        return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(data));
      if (req.url === '/moved/all') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        return void res.write(`event: put\ndata: ${JSON.stringify({ path: '/', data })}\n\n`);
      }
      const [status, location] = redirectTo(req.url ?? '/');
      res.writeHead(status, { Location: location }).end();
    }, tls.trusted);
  });
  afterAll(async () => {
    await Promise.all([trusted, selfSigned, otherHttps, plain, redirector].map((s) => s?.close()));
    tls?.cleanup();
  });

  it('a self-signed certificate fails the stream and the poll, and the server never receives the SDK key', async () => {
    const [stream, poll] = await Promise.all([
      probe({ mode: 'stream', uri: selfSigned.streamUri, durationMs: 1500 }, tls.caFile),
      probe({ mode: 'poll', uri: selfSigned.baseUri }, tls.caFile),
    ]);
    expect(stream.events).toBe(0);
    expect(stream.warnings.join('\n')).toMatch(/self-signed certificate/);
    expect(poll.error).toMatchObject({ name: 'NetworkError' });
    expect(poll.error?.cause).toMatch(/self-signed certificate/);
    expect(selfSigned.requests).toHaveLength(0);
  });

  it('a certificate from a private CA given in NODE_EXTRA_CA_CERTS works for the stream and the poll', async () => {
    const [stream, poll] = await Promise.all([
      probe({ mode: 'stream', uri: trusted.streamUri, durationMs: 1000 }, tls.caFile),
      probe({ mode: 'poll', uri: trusted.baseUri }, tls.caFile),
    ]);
    expect(stream).toMatchObject({ events: 1, flags: ['dark-mode'], endedBy: 'duration' });
    expect(stream.error).toBeUndefined();
    expect(poll).toMatchObject({ events: 1, flags: ['dark-mode'] });
    expect(poll.error).toBeUndefined();
    // Without the CA the same server is refused.
    expect(await probe({ mode: 'poll', uri: trusted.baseUri })).toMatchObject({ events: 0, error: { name: 'NetworkError' } });
  });

  it('the CLI syncs from an https server of a private CA given in NODE_EXTRA_CA_CERTS', async () => {
    const table = `tls-${randomUUID().slice(0, 8)}`;
    const args = [
      'sync',
      '--source',
      'poll',
      '--base-uri',
      trusted.baseUri,
      '--table',
      table,
      '--dynamodb-endpoint',
      dynamoEndpoint(),
      '--create-table',
      '--json',
    ];
    const run = await spawnCli(args, childEnv({ LD_SDK_KEY: SDK_KEY, NODE_EXTRA_CA_CERTS: tls.caFile })).done;
    expect(run.stderr).not.toMatch(/error|certificate/i);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ written: 1 });
  });

  it.each([
    ['a 307 to a plain-http loopback port', () => `${plain.origin}/all`, () => plain.authorizations],
    ['a 301 to another https origin', () => `${otherHttps.streamUri}/all`, () => otherHttps.requests.map((r) => r.headers.authorization)],
  ])('%s is refused by the stream and the poll, and the SDK key never reaches its target', async (what, target, received) => {
    const status = what.startsWith('a 307') ? 307 : 301;
    redirectTo = (p) => [status, p.startsWith('/sdk/') ? target().replace(/\/all$/, '/sdk/latest-all') : target()];
    const [stream, poll] = await Promise.all([
      probe({ mode: 'stream', uri: redirector.origin, durationMs: 5000 }, tls.caFile),
      probe({ mode: 'poll', uri: redirector.origin }, tls.caFile),
    ]);
    expect(stream).toMatchObject({ events: 0, endedBy: 'error', error: { name: 'RedirectRefusedError' } });
    expect(poll).toMatchObject({ events: 0, error: { name: 'RedirectRefusedError' } });
    expect(poll.error?.message).toContain('the SDK key was not sent there');
    expect(received()).toEqual([]);
  });

  it('a redirect within the same https origin (a relative Location) is followed by the stream and the poll', async () => {
    redirectTo = (p) => [p.endsWith('/all') ? 307 : 301, p.replace(/^\/old\//, '/moved/')];
    const [stream, poll] = await Promise.all([
      probe({ mode: 'stream', uri: `${redirector.origin}/old`, durationMs: 1000 }, tls.caFile),
      probe({ mode: 'poll', uri: `${redirector.origin}/old` }, tls.caFile),
    ]);
    expect(stream).toMatchObject({ events: 1, flags: ['dark-mode'], endedBy: 'duration' });
    expect(poll).toMatchObject({ events: 1, flags: ['dark-mode'] });
  });

  it('the stream guard refuses any request to another origin before connecting', async () => {
    const guard = new StreamGuard(`${trusted.streamUri}/all`);
    const failure = await new Promise<Error>((resolve) => {
      const req = httpRequest(`${plain.origin}/all`, { agent: guard as unknown as Agent, headers: { Authorization: SDK_KEY } }, () =>
        resolve(new Error('answered')),
      );
      req.on('error', resolve);
      req.end();
    });
    expect(failure).toMatchObject({ name: 'RedirectRefusedError', message: expect.stringContaining('another origin') });
    expect(guard.takeRefusal()).toBe(failure);
    expect(plain.authorizations).toEqual([]);
  });

  it('a 301 loop ends after a few hops with RedirectRefusedError', async () => {
    redirectTo = (p) => [301, p];
    const before = redirector.authorizations.length;
    const [stream, poll] = await Promise.all([
      probe({ mode: 'stream', uri: redirector.origin, durationMs: 5000 }, tls.caFile),
      probe({ mode: 'poll', uri: redirector.origin }, tls.caFile),
    ]);
    expect(stream).toMatchObject({
      endedBy: 'error',
      error: { name: 'RedirectRefusedError', message: expect.stringContaining(`more than ${MAX_REDIRECTS} redirects`) },
    });
    expect(poll).toMatchObject({ error: { name: 'RedirectRefusedError' } });
    // One request and MAX_REDIRECTS hops for each client.
    expect(redirector.authorizations.length - before).toBe(2 * (1 + MAX_REDIRECTS));
  });
});

describe('bounded reconnects and memory', () => {
  it('keeps a reconnect delay when the server sends `retry: 0` and ends each stream at once', async () => {
    const server = await startRecordingServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.end(`retry: 0\n\nevent: put\ndata: ${JSON.stringify({ path: '/', data })}\n\n`);
    });
    try {
      const session = await runStreamSession({
        sdkKey: SDK_KEY,
        streamUri: server.origin,
        durationMs: 1000,
        retry: { initialDelayMs: 100, maxDelayMs: 400, jitterRatio: 0 },
        onEvent: async () => {},
      });
      // 100 ms then 200, 400, 400 ms: a handful of connections in a second, not hundreds.
      expect(server.authorizations.length).toBeLessThanOrEqual(6);
      expect(session.reconnects).toBeGreaterThanOrEqual(2);
    } finally {
      await server.close();
    }
  });

  it('an SSE line that never ends stops at the event limit with EventTooLargeError, memory bounded', async () => {
    // The SSE library grows its line buffer 1 MiB at a time, so reaching the 64 MiB default costs it seconds
    // of CPU on a busy machine: the same guard is shown with a 16 MiB limit.
    const limit = 16 * MiB;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const server = await startRecordingServer((_req, res) => pump(res, 'event: put\ndata: {"path":"/","data":"', chunk, 16 * limit));
    try {
      const result = await probe({ mode: 'stream', uri: server.origin, durationMs: 25_000, maxEventBytes: limit });
      expect(result).toMatchObject({
        events: 0,
        endedBy: 'error',
        error: { name: 'EventTooLargeError', message: expect.stringContaining(`over the limit of ${limit} bytes`) },
      });
      expect(result.peakRssBytes - result.baselineRssBytes).toBeLessThan(8 * limit);
    } finally {
      await server.close();
    }
  });

  it('a gzip bomb on the poll endpoint stops at the limit with ResponseTooLargeError, memory bounded', async () => {
    // 320 MiB of zeros as 20 gzip members (a valid gzip stream) of about 16 KB each.
    const member = gzipSync(Buffer.alloc(16 * MiB));
    const server = await startRecordingServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
      for (let i = 0; i < 20; i++) res.write(member);
      res.end();
    });
    try {
      const result = await probe({ mode: 'poll', uri: server.origin });
      expect(result.error).toMatchObject({
        name: 'ResponseTooLargeError',
        message: expect.stringContaining(`limit of ${MAX_PAYLOAD_BYTES} bytes`),
      });
      expect(result.peakRssBytes - result.baselineRssBytes).toBeLessThan(MEMORY_BOUND_BYTES);
    } finally {
      await server.close();
    }
  });

  it('a Content-Length over the limit is refused before the body is read', async () => {
    const server = await startRecordingServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(MAX_PAYLOAD_BYTES + 1) });
      res.write('{"flags":');
    });
    try {
      const client = new PollingClient({ sdkKey: SDK_KEY, baseUri: server.origin });
      await expect(client.fetchAll()).rejects.toMatchObject({ name: 'ResponseTooLargeError', recoverable: false });
    } finally {
      await server.close();
    }
  });
});

/** Writes `head`, then `chunk` until `limit` bytes or the client goes away, respecting backpressure. */
function pump(res: ServerResponse, head: string, chunk: Buffer, limit: number): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream' });
  res.write(head);
  let sent = 0;
  const more = () => {
    while (sent < limit && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', more);
    }
    res.end();
  };
  more();
}
