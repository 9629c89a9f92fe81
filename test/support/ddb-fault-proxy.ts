// A fault-injecting HTTP proxy on 127.0.0.1 between an AWS SDK v3 DynamoDB client (endpoint = proxy) and
// DynamoDB Local, for the reliability suite. It produces, on demand, the faults real DynamoDB produces and
// DynamoDB Local never does:
// - throttling: 400 ProvisionedThroughputExceededException, 400 ThrottlingException, 400 RequestLimitExceeded;
// - server errors: 500 InternalServerError, 503 ServiceUnavailable;
// - dropped connections: the socket is destroyed before the request is forwarded ("reset"), or after
//   DynamoDB applied it but before the answer reaches the client ("reset-after": the write happened, the
//   caller does not know), or held open and silent after DynamoDB applied it ("stall": an answer that never
//   comes, which only the client's request timeout ends);
// - latency before forwarding;
// - partial results: BatchGetItem answers with some keys moved to UnprocessedKeys, BatchWriteItem with some
//   requests moved to UnprocessedItems, BatchExecuteStatement with some statements answered ThrottlingError
//   (the moved ones are not sent to DynamoDB);
// - a refusal: 400 AccessDeniedException, as IAM answers an action the caller's policy does not allow;
// - TransactWriteItems cancelled with TransactionCanceledException whose reasons are ThrottlingError.
// Rules select requests by operation (the X-Amz-Target suffix) and fire at a rate, optionally only after
// some matching requests went through (a fault that starts mid-sync) and at most so many times. Decisions
// come from a seeded PRNG, so a run with the same seed and the same request order injects the same faults.
// A hook sees every request first and may hold it (to interleave two writers), drop it, or forward it.
// Everything injected is counted. With `limits` (ddb-service-limits.ts, docs/service-limits.md) it also plays
// real DynamoDB's throughput limits and latency after the rules.
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ServiceLimits } from './ddb-service-limits.js';
import { seededRandom } from './generate-environment.js';
import { ERROR_FAULTS, splitBatch, transactionThrottled, type ErrorFault } from './ddb-fault-answers.js';
import { listenOnLoopback } from './loopback.js';

export type FaultKind =
  | 'throughput-exceeded'
  | 'throttling'
  | 'request-limit'
  | 'internal-error'
  | 'service-unavailable'
  | 'reset'
  | 'reset-after'
  | 'stall'
  | 'latency'
  | 'unprocessed'
  | 'transaction-throttled'
  | 'access-denied';

export const FAULT_KINDS: readonly FaultKind[] = [
  'throughput-exceeded',
  'throttling',
  'request-limit',
  'internal-error',
  'service-unavailable',
  'reset',
  'reset-after',
  'stall',
  'latency',
  'unprocessed',
  'transaction-throttled',
  'access-denied',
];

export interface FaultRule {
  fault: FaultKind;
  /** Probability (0..1) that a matching request gets the fault. */
  rate: number;
  /** Operations it applies to, e.g. ['PutItem', 'TransactWriteItems']. Default: every operation. */
  operations?: readonly string[];
  /** The first this many matching requests pass untouched (a fault that starts part-way). Default 0. */
  after?: number;
  /** Stop injecting after this many. Default: no limit. */
  max?: number;
  /** For 'latency': added delay in ms. Default 50. */
  latencyMs?: number;
  /** For 'unprocessed': share of the keys or items moved to Unprocessed*, at least one stays processed. Default 0.5. */
  fraction?: number;
}

/** What the hook sees of a request. */
export interface ProxiedRequest {
  /** The operation, e.g. "PutItem". */
  operation: string;
  /** 1-based count of requests of this operation so far, this one included. */
  index: number;
  /** 1-based count of all requests so far. */
  sequence: number;
  /** The parsed JSON request body. */
  body: Record<string, unknown>;
  /** Whether this is a write (PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems). */
  write: boolean;
}

/**
 * Called for every request before any rule; may await (holding the request). Returning 'drop' destroys the
 * connection without forwarding; 'forward-then-drop' sends it to DynamoDB and destroys the connection
 * before the answer arrives; anything else lets the rules decide.
 */
export type ProxyHook = (request: ProxiedRequest) => void | 'drop' | 'forward-then-drop' | Promise<void | 'drop' | 'forward-then-drop'>;

export interface ProxyStats {
  /** Requests received, by operation. */
  requests: Record<string, number>;
  /** Faults injected, by kind. */
  injected: Partial<Record<FaultKind, number>>;
  /** Keys or items moved to Unprocessed* by 'unprocessed'. */
  unprocessedEntries: number;
  /** Requests the hook dropped. */
  dropped: number;
}

export interface DynamoDBFaultProxy {
  /** Give this to the client as `endpoint`. */
  readonly endpoint: string;
  readonly stats: ProxyStats;
  /** Faults injected so far, all kinds together. */
  injectedTotal(): number;
  /** Writes received so far (PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems). */
  writeRequests(): number;
  /** Replaces the rules (and restarts their `after`/`max` counts). */
  setRules(rules: readonly FaultRule[]): void;
  setHook(hook: ProxyHook | undefined): void;
  /** Zeroes the statistics. */
  resetStats(): void;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** DynamoDB Local's endpoint, e.g. http://127.0.0.1:8000. */
  target: string;
  rules?: readonly FaultRule[];
  /** PRNG seed. Default 1. */
  seed?: number;
  hook?: ProxyHook;
  /** Real DynamoDB's throughput limits, played after the rules (a throttle is not counted in `injected`). */
  limits?: ServiceLimits;
}

const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems', 'BatchExecuteStatement']);

interface RuleState {
  rule: FaultRule;
  seen: number;
  fired: number;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<DynamoDBFaultProxy> {
  const target = new URL(options.target);
  const random = seededRandom(options.seed ?? 1);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let rules: RuleState[] = [];
  let hook = options.hook;
  let sequence = 0;
  const stats: ProxyStats = { requests: {}, injected: {}, unprocessedEntries: 0, dropped: 0 };
  const sockets = new Set<Socket>();

  const setRules = (next: readonly FaultRule[]) => {
    for (const r of next) {
      if (!FAULT_KINDS.includes(r.fault)) throw new Error(`Unknown fault '${r.fault}'; expected one of ${FAULT_KINDS.join(', ')}`);
      if (!(r.rate >= 0 && r.rate <= 1)) throw new Error(`Fault rate must be between 0 and 1, got ${r.rate}`);
    }
    rules = next.map((rule) => ({ rule, seen: 0, fired: 0 }));
  };
  setRules(options.rules ?? []);

  const count = (kind: FaultKind) => {
    stats.injected[kind] = (stats.injected[kind] ?? 0) + 1;
  };

  /** The rules that fire for this request, drawn in rule order. */
  function draw(operation: string): RuleState[] {
    const firing: RuleState[] = [];
    for (const state of rules) {
      const { rule } = state;
      if (rule.operations && !rule.operations.includes(operation)) continue;
      state.seen++;
      if (state.seen <= (rule.after ?? 0)) continue;
      if (rule.max !== undefined && state.fired >= rule.max) continue;
      // Draw even when the rule cannot apply to this operation's shape, so the sequence stays reproducible.
      if (random() >= rule.rate) continue;
      if (rule.fault === 'unprocessed' && !['BatchGetItem', 'BatchWriteItem', 'BatchExecuteStatement'].includes(operation)) continue;
      if (rule.fault === 'transaction-throttled' && operation !== 'TransactWriteItems') continue;
      state.fired++;
      firing.push(state);
    }
    return firing;
  }

  function forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (
        value === undefined ||
        name === 'host' ||
        name === 'connection' ||
        name === 'expect' ||
        name === 'content-length' ||
        name === 'transfer-encoding'
      )
        continue;
      headers[name] = value;
    }
    headers['content-length'] = String(body.length);
    headers.host = target.host;
    return new Promise((resolve, reject) => {
      const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) h[name] = value;
          resolve({ status: res.statusCode ?? 502, headers: h, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      });
      out.on('error', reject);
      out.end(body);
    });
  }

  function reply(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: Buffer): void {
    const h = { ...headers };
    delete h['content-length'];
    delete h['transfer-encoding'];
    delete h.connection;
    res.writeHead(status, { ...h, 'content-length': String(body.length) });
    res.end(body);
  }

  function replyError(res: ServerResponse, fault: ErrorFault, extra: Record<string, unknown> = {}): void {
    const body = Buffer.from(JSON.stringify({ __type: fault.type, message: fault.message, ...extra }));
    reply(res, fault.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `fault-${sequence}` }, body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const targetHeader = String(req.headers['x-amz-target'] ?? '');
    const operation = targetHeader.includes('.') ? targetHeader.slice(targetHeader.lastIndexOf('.') + 1) : targetHeader || 'unknown';
    stats.requests[operation] = (stats.requests[operation] ?? 0) + 1;
    const info: ProxiedRequest = {
      operation,
      index: stats.requests[operation]!,
      sequence: ++sequence,
      body: parseBody(raw),
      write: WRITE_OPERATIONS.has(operation),
    };

    const verdict = hook ? await hook(info) : undefined;
    if (verdict === 'drop') {
      stats.dropped++;
      req.socket.destroy();
      return;
    }
    if (verdict === 'forward-then-drop') {
      stats.dropped++;
      await forward(req, raw).catch(() => undefined);
      req.socket.destroy();
      return;
    }

    const firing = draw(operation);
    let body = raw;
    let resetAfter = false;
    let unprocessed: ((response: Record<string, unknown>) => void) | undefined;
    for (const { rule } of firing) {
      switch (rule.fault) {
        case 'latency':
          count('latency');
          await new Promise((r) => setTimeout(r, rule.latencyMs ?? 50));
          break;
        case 'reset':
          count('reset');
          req.socket.destroy();
          return;
        case 'reset-after':
          count('reset-after');
          resetAfter = true;
          break;
        case 'stall':
          // DynamoDB applies the request, and its answer never comes: the connection stays open and silent
          // until the client gives up on it (or the proxy closes).
          count('stall');
          await forward(req, body).catch(() => undefined);
          return;
        case 'transaction-throttled': {
          count('transaction-throttled');
          const payload = transactionThrottled(info.body, random);
          reply(res, 400, { 'content-type': 'application/x-amz-json-1.0' }, Buffer.from(payload));
          return;
        }
        case 'unprocessed': {
          const split = splitBatch(operation, info.body, rule.fraction ?? 0.5, random);
          if (!split) break;
          count('unprocessed');
          stats.unprocessedEntries += split.moved;
          body = Buffer.from(JSON.stringify(split.forwarded));
          unprocessed = split.merge;
          break;
        }
        default: {
          const fault = ERROR_FAULTS[rule.fault]!;
          count(rule.fault);
          replyError(res, fault);
          return;
        }
      }
    }

    const limits = options.limits;
    let admission: ReturnType<ServiceLimits['admit']> | undefined;
    if (limits) {
      await new Promise((r) => setTimeout(r, limits.latency()));
      admission = limits.admit(operation, parseBody(body));
      if (admission.throttle) {
        reply(
          res,
          admission.throttle.status,
          { 'content-type': 'application/x-amz-json-1.0' },
          Buffer.from(JSON.stringify(admission.throttle.body)),
        );
        return;
      }
      if (admission.unprocessed > 0) body = Buffer.from(JSON.stringify(admission.body));
    }
    let answer: Awaited<ReturnType<typeof forward>>;
    try {
      answer = await forward(req, body);
    } catch {
      req.socket.destroy();
      return;
    }
    if (resetAfter) {
      req.socket.destroy();
      return;
    }
    if (admission && !admission.throttle && answer.status === 200) {
      const finished = admission.finish(parseBody(answer.body));
      if (admission.unprocessed > 0 && finished) {
        answer.body = Buffer.from(JSON.stringify(finished));
        delete answer.headers['x-amz-crc32'];
      }
    }
    if (unprocessed && answer.status === 200) {
      const parsed = parseBody(answer.body);
      unprocessed(parsed);
      answer.body = Buffer.from(JSON.stringify(parsed));
      // The SDK does not check DynamoDB's CRC32 today; drop it rather than send a wrong one.
      delete answer.headers['x-amz-crc32'];
    }
    reply(res, answer.status, answer.headers, answer.body);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch(() => req.socket.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 5_000;
  const origin = await listenOnLoopback(server);

  return {
    endpoint: origin,
    stats,
    injectedTotal: () => Object.values(stats.injected).reduce((a, b) => a + (b ?? 0), 0),
    writeRequests: () => Object.entries(stats.requests).reduce((n, [op, c]) => n + (WRITE_OPERATIONS.has(op) ? c : 0), 0),
    setRules,
    setHook(next) {
      hook = next;
    },
    resetStats() {
      stats.requests = {};
      stats.injected = {};
      stats.unprocessedEntries = 0;
      stats.dropped = 0;
    },
    async close() {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parseBody(raw: Buffer): Record<string, unknown> {
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
