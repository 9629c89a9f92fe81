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
// This file is the part tests see: the options, the types, the HTTP server and the webhook helpers. The
// protocol itself (routing, the polling answer, the streams and their events, fault state) is the
// LoopbackLaunchDarkly class in ld-server-core.ts, to which the returned object delegates.
//
// The request log keeps headers as received, Authorization included, so tests can assert on it: never print it.
import { createServer, type IncomingHttpHeaders, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { signWebhookBody } from '../../lib/launchdarkly/webhook.js';
import type { DataKindName, FullDataSet, VersionedItem } from '../../lib/store/types.js';
import { LoopbackLaunchDarkly } from './ld-server-core.js';
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
  const ld = new LoopbackLaunchDarkly(sdkKey, options.envId ?? 'loopback-env', options.data ?? { flags: {}, segments: {} });
  const onRequest: RequestListener = (req, res) => ld.onRequest(req, res);
  const server = options.tls ? createHttpsServer(options.tls, onRequest) : createServer(onRequest);
  server.keepAliveTimeout = 1000;
  const listening = await listenOnLoopback(server);
  const origin = options.tls ? listening.replace(/^http:/, 'https:') : listening;

  // Plain functions rather than the class's methods, so a test may pass one around unbound.
  return {
    baseUri: origin,
    streamUri: origin,
    sdkKey,
    requests: ld.requests,
    requestsTo: (pathname) => ld.requestsTo(pathname),
    currentData: () => ld.currentData(),
    setData: (data) => ld.setData(data),
    sendPut: (data) => ld.sendPut(data),
    sendPatch: (kind, item) => ld.sendPatch(kind, item),
    sendDelete: (kind, key, version) => ld.sendDelete(kind, key, version),
    sendRaw: (eventName, data) => ld.sendRaw(eventName, data),
    sendComment: (text) => ld.sendComment(text),
    dropStreams: () => ld.dropStreams(),
    endStreams: () => ld.endStreams(),
    failNext: (status, count) => ld.failNext(status, count),
    setFailure: (status) => ld.setFailure(status),
    stall: (on) => ld.stall(on),
    setRawPollBody: (body) => ld.setRawPollBody(body),
    openStreams: () => ld.openStreams(),
    waitForStreams: (count, timeoutMs) => ld.waitForStreams(count, timeoutMs),
    waitForRequests: (pathname, count, timeoutMs) => ld.waitForRequests(pathname, count, timeoutMs),
    async close() {
      ld.destroyConnections();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
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
