// A loopback LaunchDarkly for tests and benchmarks: one HTTP server on 127.0.0.1 speaking LaunchDarkly's
// server-side protocols as its SDKs expect them:
// - polling: `GET /sdk/latest-all`, with an ETag per data version, 304 on a matching If-None-Match, gzip
//   when asked for;
// - streaming: `GET /all`, an SSE stream that starts with a `put` of the current data, then carries whatever
//   the test sends (patch, delete, raw or malformed events, heartbeat comments);
// - the Authorization header must be the SDK key (401 otherwise), raw as LaunchDarkly's SDKs send it.
// Faults on demand: failing statuses for the next requests, dropped or ended streams, and a stall (requests
// accepted but never answered, streams silent) for read-timeout tests. And `postWebhook` sends a signed
// webhook the way LaunchDarkly does.
//
// The request log keeps headers as received, Authorization included, so tests can assert on it: never print it.
import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { gzipSync } from 'node:zlib';
import { pathFor } from '../../lib/launchdarkly/parse.js';
import { signWebhookBody } from '../../lib/launchdarkly/webhook.js';
import type { DataKindName, FullDataSet, VersionedItem } from '../../lib/store/types.js';
import { listenOnLoopback } from './loopback.js';

export const DEFAULT_TEST_SDK_KEY = 'sdk-loopback-0000-test';

export interface LaunchDarklyServerOptions {
  /** The data served (copied). Default: no flags and no segments. */
  data?: FullDataSet;
  /** The SDK key requests must carry. Default DEFAULT_TEST_SDK_KEY. */
  sdkKey?: string;
  /** Sent as X-LD-EnvID. */
  envId?: string;
  /** Serve HTTPS with this key and certificate (test/support/tls.ts) instead of plain HTTP. */
  tls?: { key: string; cert: string };
}

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. "/sdk/latest-all?filter=mobile". */
  path: string;
  /** As received, Authorization included: assert on it, never print it. */
  headers: IncomingHttpHeaders;
  /** The status answered; undefined while unanswered (stalled). */
  status?: number;
  /** Whether the body was sent gzip-encoded. */
  gzip?: boolean;
}

export interface LaunchDarklyServer {
  /** For PollingClient's baseUri. */
  readonly baseUri: string;
  /** For runStreamSession's streamUri. */
  readonly streamUri: string;
  readonly sdkKey: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Requests to one path (without query), e.g. "/all" or "/sdk/latest-all". */
  requestsTo(pathname: string): RecordedRequest[];
  /** A copy of the data currently served. */
  currentData(): FullDataSet;
  /** Replaces the data served (new ETag). Open streams are told nothing: call sendPut() for that. */
  setData(data: FullDataSet): void;
  /** Sends a put of the current data (after replacing it, if `data` is given) to every open stream. */
  sendPut(data?: FullDataSet): void;
  /** Sends a patch to every open stream, and makes the served data hold the item (new ETag). */
  sendPatch(kind: DataKindName, item: VersionedItem): void;
  /** Sends a delete to every open stream, and removes the item from the served data (new ETag). */
  sendDelete(kind: DataKindName, key: string, version: number): void;
  /** Sends an event as given, e.g. malformed JSON or an unknown event name; the served data is unchanged. */
  sendRaw(eventName: string, data: string): void;
  /** Sends an SSE comment line, as LaunchDarkly's heartbeat. */
  sendComment(text?: string): void;
  /** Destroys the sockets of open streams mid-stream (a dropped connection). */
  dropStreams(): void;
  /** Ends open streams cleanly (the server closing the stream). */
  endStreams(): void;
  /** The next `count` requests (polls and stream connections) are answered with `status`. */
  failNext(status: number, count?: number): void;
  /** Every request is answered with `status` until setFailure(null). */
  setFailure(status: number | null): void;
  /** While on: requests are accepted but never answered, and nothing is written to open streams. Off answers the held requests. */
  stall(on: boolean): void;
  /** Polls get this body verbatim (e.g. malformed JSON) instead of the data, until set to null. */
  setRawPollBody(body: string | null): void;
  /** How many streams are open now. */
  openStreams(): number;
  /** Resolves when at least `count` streams are open. */
  waitForStreams(count?: number, timeoutMs?: number): Promise<void>;
  /** Resolves when at least `count` requests to `pathname` have been received. */
  waitForRequests(pathname: string, count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startLaunchDarklyServer(options: LaunchDarklyServerOptions = {}): Promise<LaunchDarklyServer> {
  const sdkKey = options.sdkKey ?? DEFAULT_TEST_SDK_KEY;
  const envId = options.envId ?? 'loopback-env';
  let data: FullDataSet = structuredClone(options.data ?? { flags: {}, segments: {} });
  let version = 1;
  let cache: { version: number; json: string; gzip?: Buffer } | undefined;
  const requests: RecordedRequest[] = [];
  const streams = new Set<ServerResponse>();
  const held: { req: IncomingMessage; res: ServerResponse; record: RecordedRequest }[] = [];
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  let failures: number[] = [];
  let persistentFailure: number | null = null;
  let stalled = false;
  let rawPollBody: string | null = null;

  const etag = () => `"v${version}"`;
  const json = () => {
    if (cache?.version !== version) cache = { version, json: JSON.stringify(data) };
    return cache;
  };
  const changed = () => {
    version++;
  };
  const setData = (next: FullDataSet) => {
    data = structuredClone(next);
    changed();
  };

  function answer(res: ServerResponse, record: RecordedRequest, status: number, body: string, headers: Record<string, string> = {}): void {
    record.status = status;
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(body);
  }

  function handle(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): void {
    const failure = failures.length > 0 ? failures.shift()! : persistentFailure;
    if (failure !== null && failure !== undefined) {
      return answer(res, record, failure, JSON.stringify({ code: 'injected', message: `injected failure ${failure}` }));
    }
    const pathname = new URL(req.url ?? '/', 'http://loopback').pathname;
    if (pathname !== '/sdk/latest-all' && pathname !== '/all') {
      return answer(res, record, 404, JSON.stringify({ code: 'not_found', message: `no route ${pathname}` }));
    }
    if (req.method !== 'GET') return answer(res, record, 405, JSON.stringify({ code: 'method_not_allowed' }));
    if (req.headers.authorization !== sdkKey) {
      return answer(res, record, 401, JSON.stringify({ code: 'unauthorized', message: 'Invalid SDK key' }));
    }
    if (pathname === '/all') return openStream(res, record);

    if (rawPollBody !== null) return answer(res, record, 200, rawPollBody);
    const tag = etag();
    if (req.headers['if-none-match'] === tag) {
      record.status = 304;
      res.writeHead(304, { ETag: tag });
      return void res.end();
    }
    const body = json();
    const headers: Record<string, string> = { ETag: tag, 'X-LD-EnvID': envId, Vary: 'Accept-Encoding' };
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      body.gzip ??= gzipSync(body.json);
      record.status = 200;
      record.gzip = true;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', ...headers });
      return void res.end(body.gzip);
    }
    record.gzip = false;
    answer(res, record, 200, body.json, headers);
  }

  function openStream(res: ServerResponse, record: RecordedRequest): void {
    record.status = 200;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-LD-EnvID': envId });
    res.socket?.setNoDelay(true);
    res.write(frame('put', `{"path":"/","data":${json().json}}`));
    streams.add(res);
    res.on('close', () => {
      streams.delete(res);
      changes.emit('change');
    });
    changes.emit('change');
  }

  function broadcast(text: string): void {
    if (stalled) return;
    for (const res of streams) res.write(text);
  }

  const onRequest: RequestListener = (req, res) => {
    const record: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers } };
    requests.push(record);
    changes.emit('change');
    // Drain any request body so the connection stays usable.
    req.resume();
    if (stalled) {
      held.push({ req, res, record });
      return;
    }
    handle(req, res, record);
  };
  const server = options.tls ? createHttpsServer(options.tls, onRequest) : createServer(onRequest);
  server.keepAliveTimeout = 1000;
  const listening = await listenOnLoopback(server);
  const origin = options.tls ? listening.replace(/^http:/, 'https:') : listening;

  function until(predicate: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        changes.off('change', check);
        resolve();
      };
      const timer = setTimeout(() => {
        changes.off('change', check);
        reject(new Error(`loopback LaunchDarkly: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      changes.on('change', check);
    });
  }

  const pathnameOf = (r: RecordedRequest) => r.path.split('?')[0];

  return {
    baseUri: origin,
    streamUri: origin,
    sdkKey,
    requests,
    requestsTo: (pathname) => requests.filter((r) => pathnameOf(r) === pathname),
    currentData: () => structuredClone(data),
    setData,
    sendPut(next) {
      if (next) setData(next);
      broadcast(frame('put', `{"path":"/","data":${json().json}}`));
    },
    sendPatch(kind, item) {
      const text = JSON.stringify(item);
      const map = kind === 'features' ? data.flags : data.segments;
      map[item.key] = JSON.parse(text) as VersionedItem;
      changed();
      broadcast(frame('patch', `{"path":${JSON.stringify(pathFor(kind, item.key))},"data":${text}}`));
    },
    sendDelete(kind, key, deletedVersion) {
      delete (kind === 'features' ? data.flags : data.segments)[key];
      changed();
      broadcast(frame('delete', JSON.stringify({ path: pathFor(kind, key), version: deletedVersion })));
    },
    sendRaw(eventName, raw) {
      broadcast(frame(eventName, raw));
    },
    sendComment(text = 'heartbeat') {
      broadcast(`:${text}\n\n`);
    },
    dropStreams() {
      for (const res of streams) res.socket?.destroy();
    },
    endStreams() {
      for (const res of streams) res.end();
    },
    failNext(status, count = 1) {
      for (let i = 0; i < count; i++) failures.push(status);
    },
    setFailure(status) {
      persistentFailure = status;
      if (status === null) failures = [];
    },
    stall(on) {
      stalled = on;
      if (on) return;
      for (const { req, res, record } of held.splice(0)) {
        if (!res.destroyed && !req.socket.destroyed) handle(req, res, record);
      }
    },
    setRawPollBody(body) {
      rawPollBody = body;
    },
    openStreams: () => streams.size,
    waitForStreams: (count = 1, timeoutMs = 10_000) => until(() => streams.size >= count, `${count} open stream(s)`, timeoutMs),
    waitForRequests: (pathname, count, timeoutMs = 10_000) =>
      until(() => requests.filter((r) => pathnameOf(r) === pathname).length >= count, `${count} request(s) to ${pathname}`, timeoutMs),
    async close() {
      for (const res of streams) res.socket?.destroy();
      for (const { res } of held.splice(0)) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One SSE event; multi-line data goes out as several `data:` lines, as the SSE format requires. */
function frame(eventName: string, data: string): string {
  return `event: ${eventName}\n${data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}`)
    .join('\n')}\n\n`;
}

export interface WebhookDelivery {
  /** Sign with this secret (X-LD-Signature = hex HMAC-SHA256 of the body). */
  secret?: string;
  /** Send this X-LD-Signature verbatim instead (forged or malformed signatures). */
  signature?: string;
  headers?: Record<string, string>;
}

/** POSTs a webhook as LaunchDarkly does: a JSON body (an audit-log entry) and, if signed, X-LD-Signature. */
export async function postWebhook(
  url: string,
  payload: unknown = sampleWebhookPayload(),
  delivery: WebhookDelivery = {},
): Promise<{ status: number; body: string }> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'LaunchDarkly-Webhooks/loopback',
    ...delivery.headers,
  };
  const signature = delivery.signature ?? (delivery.secret !== undefined ? signWebhookBody(body, delivery.secret) : undefined);
  if (signature !== undefined) headers['X-LD-Signature'] = signature;
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
  return { status: res.status, body: await res.text() };
}

/** A webhook payload in LaunchDarkly's shape (an audit-log entry; it names what changed, not the new flag JSON). */
export function sampleWebhookPayload(flagKey = 'dark-mode', environment = 'production'): Record<string, unknown> {
  const date = Date.now();
  return {
    _id: `loopback-${date}`,
    date,
    kind: 'flag',
    name: flagKey,
    titleVerb: 'changed the flag',
    accesses: [{ action: 'updateOn', resource: `proj/default:env/${environment}:flag/${flagKey}` }],
    target: { name: flagKey, resources: [`proj/default:env/${environment}:flag/${flagKey}`] },
  };
}
