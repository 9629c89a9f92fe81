// A counting proxy between a DynamoDB client and DynamoDB Local, on 127.0.0.1. Both stores under test (ours on
// AWS SDK v3, LaunchDarkly's on aws-sdk v2) talk to DynamoDB through it, so their requests and capacity are
// counted the same way, by the same code, whatever each store reports about itself.
//
// For every request it reads the operation from X-Amz-Target, adds "ReturnConsumedCapacity":"TOTAL" to the
// JSON body of operations that accept it (recomputing Content-Length), and sums the ConsumedCapacity of the
// response. Answers pass on as they arrive, and a read's answer is parsed for its capacity only when the
// counts are read: buffering and parsing 1 MB pages in the middle would add their time to the client's. The
// log and its counting are in exchanges.ts. The clients sign the original body; DynamoDB Local does not
// verify signatures, which `checkUnsignedBodiesAccepted` confirms before a run relies on it. Each exchange
// is logged with its arrival and completion times (epoch ms, sub-millisecond) and the keys it wrote, so a
// benchmark can count what a child process sent before a given moment, or see when a patched item became
// readable.
//
// With `limits` (test/support/ddb-service-limits.ts, docs/service-limits.md) it also plays real DynamoDB's
// throughput limits and latency: a throttled request is answered by the proxy and never reaches DynamoDB
// Local; the held-back part of a batch is added to the response's Unprocessed* as DynamoDB would.
//
// One correction: DynamoDB Local reports a flat 8 write units for any TransactWriteItems, whatever it holds.
// For those the proxy computes what DynamoDB bills instead: 2 units per started KB of each item written. It
// reports nothing at all for PartiQL writes (BatchExecuteStatement): 1 unit per started KB of each statement
// that succeeded, estimated from the statement's attribute names and parameters.
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { itemBytes, type ServiceLimits } from '../../test/support/ddb-service-limits.js';
import { listenOnLoopback } from '../../test/support/loopback.js';
import { type Counts, countedWhenAsked, type Exchange, entriesOf, newExchange, READ_OPERATIONS, record, sum } from './exchanges.js';

export type { Counts, Exchange };
export { itemBytes };

/** Operations whose input takes ReturnConsumedCapacity. */
const CAPACITY_OPERATIONS = new Set([
  'GetItem',
  'BatchGetItem',
  'Query',
  'Scan',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
  'TransactGetItems',
  'BatchExecuteStatement',
  'ExecuteStatement',
]);

export interface CountingProxy {
  /** Endpoint to give the clients. */
  readonly endpoint: string;
  /** Every exchange since the last reset. */
  readonly log: Exchange[];
  /** Forgets the log. */
  reset(): void;
  /** Totals over the log, or over the exchanges that `filter` keeps. */
  counts(filter?: (e: Exchange) => boolean): Counts;
  /** Called after each exchange completes (for write hooks). */
  onExchange: ((e: Exchange) => void) | undefined;
  close(): Promise<void>;
}

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes on this machine. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/** The request's JSON (when it is needed) and what to send on: capacity always asked for, so it can be counted. */
function readInput(
  operation: string,
  original: Buffer,
  modelled: boolean,
): { input: Record<string, unknown> | undefined; send: Record<string, unknown> | undefined } {
  let input: Record<string, unknown> | undefined;
  if ((CAPACITY_OPERATIONS.has(operation) || modelled) && original.length > 0) {
    try {
      input = JSON.parse(original.toString('utf8')) as Record<string, unknown>;
    } catch {
      input = undefined;
    }
  }
  const asksNone = input && (input.ReturnConsumedCapacity === undefined || input.ReturnConsumedCapacity === 'NONE');
  const send = input && CAPACITY_OPERATIONS.has(operation) && asksNone ? { ...input, ReturnConsumedCapacity: 'TOTAL' } : input;
  return { input, send };
}

/** Answers a request the service-limits model throttles, as DynamoDB does; returns its log entry. */
function answerThrottled(
  res: ServerResponse,
  operation: string,
  startedAt: number,
  throttle: { status: number; body: unknown },
  sequence: number,
  entries: number,
): Exchange {
  const answer = Buffer.from(JSON.stringify(throttle.body));
  res.writeHead(throttle.status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': `limits-${sequence}`,
    'content-length': String(answer.length),
  });
  res.end(answer);
  const exchange = { ...newExchange(operation, startedAt, epochNow(), throttle.status), entries };
  // 200: a PartiQL batch every statement of which was throttled, each answered with its own error.
  if (throttle.status === 200) exchange.unprocessed = entries;
  else exchange.throttled = true;
  return exchange;
}

export async function startCountingProxy(target: string, options: { limits?: ServiceLimits } = {}): Promise<CountingProxy> {
  const limits = options.limits;
  const upstream = new URL(target);
  // No socket limit: a client that fires hundreds of requests at once (LaunchDarkly's init does) must see
  // the same concurrency as without the proxy.
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256 });
  const log: Exchange[] = [];

  const proxy: CountingProxy = {
    endpoint: '',
    log,
    reset: () => {
      log.length = 0;
    },
    counts: (filter) => sum(filter ? log.filter(filter) : log),
    onExchange: undefined,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };

  const server = createServer((req, res) => {
    const startedAt = epochNow();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      forward(state, req, res, Buffer.concat(chunks), startedAt).catch((err: Error) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`counting proxy: ${err.message}`);
      });
    });
  });
  server.keepAliveTimeout = 30_000;
  const state: ProxyState = { limits, upstream, agent, proxy };

  (proxy as { endpoint: string }).endpoint = await listenOnLoopback(server);
  return proxy;
}

interface ProxyState {
  limits: ServiceLimits | undefined;
  upstream: URL;
  agent: Agent;
  proxy: CountingProxy;
}

/** Adds an exchange to the log and tells the write hook. */
function logged(proxy: CountingProxy, exchange: Exchange): void {
  proxy.log.push(exchange);
  proxy.onExchange?.(exchange);
}

/** Forwards one request to DynamoDB Local (or answers it as throttled, under the model) and logs the exchange. */
async function forward(state: ProxyState, req: IncomingMessage, res: ServerResponse, original: Buffer, startedAt: number): Promise<void> {
  const { limits, upstream, agent, proxy } = state;
  const target = String(req.headers['x-amz-target'] ?? '');
  const operation = target.includes('.') ? target.slice(target.indexOf('.') + 1) : target || 'unknown';
  let body = original;
  const { input, send: asked } = readInput(operation, original, !!limits);
  let send = asked;
  let admission: ReturnType<ServiceLimits['admit']> | undefined;
  if (limits && send) {
    await new Promise((r) => setTimeout(r, limits.latency()));
    admission = limits.admit(operation, send);
    if (admission.throttle) {
      logged(proxy, answerThrottled(res, operation, startedAt, admission.throttle, proxy.log.length, entriesOf(operation, send)));
      return;
    }
    send = admission.body;
  }
  if (send !== input) body = Buffer.from(JSON.stringify(send), 'utf8');
  const headers = { ...req.headers, 'content-length': String(body.length) };
  const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent }, (up) => {
    const parts: Buffer[] = [];
    // Without the model nothing in the answer is rewritten, so it streams on as it arrives, as it would
    // from DynamoDB; with it, a batch's answer may gain the entries the model held back.
    const streams = !admission;
    if (streams) res.writeHead(up.statusCode ?? 502, up.headers);
    up.on('data', (c: Buffer) => {
      parts.push(c);
      if (streams) res.write(c);
    });
    up.on('end', () => {
      let raw = Buffer.concat(parts);
      if (admission && !admission.throttle && up.statusCode === 200) {
        // The model charges reads from the reported capacity and adds held-back batch entries.
        const text = (up.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
        const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
        const finished = admission.finish(parsed);
        if (admission.unprocessed > 0 && finished) raw = Buffer.from(JSON.stringify(finished));
      }
      const held = admission && !admission.throttle ? admission.unprocessed : 0;
      if (!streams) res.writeHead(up.statusCode ?? 502, answerHeaders(up, raw, held));
      res.end(streams ? undefined : raw);
      const endedAt = epochNow();
      const exchange = READ_OPERATIONS.has(operation)
        ? countedWhenAsked(operation, send ?? input, up, raw, startedAt, endedAt)
        : record(operation, send ?? input, up, raw, startedAt, endedAt);
      exchange.unprocessed = held;
      exchange.entries = entriesOf(operation, input);
      logged(proxy, exchange);
    });
    up.on('error', (err) => res.destroy(err));
  });
  out.on('error', (err) => {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`counting proxy: upstream ${target} failed: ${err.message}`);
  });
  out.end(body);
}

/** Upstream's headers for an answer sent whole; rewritten when the model added held-back entries to it. */
function answerHeaders(up: IncomingMessage, raw: Buffer, unprocessed: number): IncomingMessage['headers'] {
  const headers = { ...up.headers };
  if (unprocessed > 0) {
    delete headers['content-encoding'];
    delete headers['x-amz-crc32'];
    headers['content-length'] = String(raw.length);
  }
  return headers;
}

/**
 * Sends a request whose body differs from the one its signature covers, and fails unless DynamoDB accepts
 * it: the proxy's injected ReturnConsumedCapacity relies on DynamoDB Local not verifying signatures.
 */
export async function checkUnsignedBodiesAccepted(endpoint: string): Promise<void> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.ListTables',
      // A syntactically valid SigV4 header whose signature cannot match this body.
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=' +
        '0'.repeat(64),
      'x-amz-date': '20200101T000000Z',
    },
    body: JSON.stringify({ Limit: 1 }),
  });
  if (res.status !== 200) {
    throw new Error(
      `DynamoDB at ${endpoint} rejected a request with a non-matching signature (HTTP ${res.status}: ${await res.text()}); the counting proxy cannot rewrite bodies`,
    );
  }
}
