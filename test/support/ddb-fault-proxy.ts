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
// The FaultProxy class below holds the state and handles each request step by step; the HTTP plumbing
// (server, forwarding, answering) is in ddb-fault-proxy-http.ts, the faults' answers in ddb-fault-answers.ts.
import { Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { sleep } from '../../lib/util/sleep.js';
import { ERROR_FAULTS, type ErrorFault, splitBatch, transactionThrottled } from './ddb-fault-answers.js';
import {
  AMZ_JSON,
  type Answer,
  forward,
  jsonBuffer,
  operationOf,
  parseBody,
  reply,
  serveOnLoopback,
  type Upstream,
} from './ddb-fault-proxy-http.js';
import type { Admission, ServiceLimits } from './ddb-service-limits.js';
import { seededRandom } from './generate-environment.js';

// The one list of fault kinds; FaultKind is derived from it, so a new kind is added here only.
const KINDS = [
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
] as const;

export type FaultKind = (typeof KINDS)[number];

export const FAULT_KINDS: readonly FaultKind[] = KINDS;

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

/** The admission of a request the service limits let through (a throttled one is answered at once). */
type Admitted = Extract<Admission, { unprocessed: number }>;

/** What a request carries from one handling step to the next. */
interface Plan {
  /** What goes to DynamoDB: the request body, minus any batch entries the rules or the limits held back. */
  body: Buffer;
  /** 'reset-after' fired: forward, then drop the connection instead of answering. */
  resetAfter: boolean;
  /** 'unprocessed' fired: puts the held-back entries into DynamoDB's answer as Unprocessed* (or ThrottlingError). */
  mergeUnprocessed?: (response: Record<string, unknown>) => void;
  /** What the service limits let through, which completes the answer the same way. */
  admission?: Admitted;
}

/**
 * The proxy's state (rules, hook, counters, PRNG) and the steps of handling one request, in order: record it,
 * show it to the hook, apply the rules, play the service limits, forward it to DynamoDB Local and answer.
 * Each step before the last returns true when it has settled the request (answered it, dropped the
 * connection, or left it stalled), and then the steps after it are skipped.
 */
class FaultProxy {
  readonly stats: ProxyStats = { requests: {}, injected: {}, unprocessedEntries: 0, dropped: 0 };
  private readonly upstream: Upstream;
  private readonly limits: ServiceLimits | undefined;
  // One PRNG for every decision (which rules fire, which entries are held back), so a seed replays a run.
  private readonly random: () => number;
  private hook: ProxyHook | undefined;
  private rules: RuleState[] = [];
  private sequence = 0;

  constructor(options: FaultProxyOptions, upstream: Upstream) {
    this.upstream = upstream;
    this.limits = options.limits;
    this.random = seededRandom(options.seed ?? 1);
    this.hook = options.hook;
    this.setRules(options.rules ?? []);
  }

  setRules(next: readonly FaultRule[]): void {
    for (const r of next) {
      if (!FAULT_KINDS.includes(r.fault)) throw new Error(`Unknown fault '${r.fault}'; expected one of ${FAULT_KINDS.join(', ')}`);
      if (!(r.rate >= 0 && r.rate <= 1)) throw new Error(`Fault rate must be between 0 and 1, got ${r.rate}`);
    }
    this.rules = next.map((rule) => ({ rule, seen: 0, fired: 0 }));
  }

  setHook(hook: ProxyHook | undefined): void {
    this.hook = hook;
  }

  // Mutates rather than replaces: callers may hold on to `stats`.
  resetStats(): void {
    this.stats.requests = {};
    this.stats.injected = {};
    this.stats.unprocessedEntries = 0;
    this.stats.dropped = 0;
  }

  /** Handles one request, its body read in full; a rejection drops the connection. */
  async handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const request = this.record(req, raw);
    if (await this.runHook(req, request, raw)) return;
    const plan: Plan = { body: raw, resetAfter: false };
    if (await this.applyRules(req, res, request, plan)) return;
    if (await this.playLimits(res, request.operation, plan)) return;
    await this.forwardAndAnswer(req, res, plan);
  }

  /** Counts the request and describes it for the hook and the rules. */
  private record(req: IncomingMessage, raw: Buffer): ProxiedRequest {
    const operation = operationOf(req);
    this.stats.requests[operation] = (this.stats.requests[operation] ?? 0) + 1;
    const index = this.stats.requests[operation]!;
    return { operation, index, sequence: ++this.sequence, body: parseBody(raw), write: WRITE_OPERATIONS.has(operation) };
  }

  /** Shows the request to the hook, which may hold it; true when the hook had it dropped. */
  private async runHook(req: IncomingMessage, request: ProxiedRequest, raw: Buffer): Promise<boolean> {
    const verdict = this.hook ? await this.hook(request) : undefined;
    if (verdict === 'drop') {
      this.stats.dropped++;
      req.socket.destroy();
      return true;
    }
    if (verdict === 'forward-then-drop') {
      this.stats.dropped++;
      await forward(this.upstream, req, raw).catch(() => undefined);
      req.socket.destroy();
      return true;
    }
    return false;
  }

  /** The rules that fire for this request, drawn in rule order. */
  private draw(operation: string): RuleState[] {
    const firing: RuleState[] = [];
    for (const state of this.rules) {
      const { rule } = state;
      if (rule.operations && !rule.operations.includes(operation)) continue;
      state.seen++;
      if (state.seen <= (rule.after ?? 0)) continue;
      if (rule.max !== undefined && state.fired >= rule.max) continue;
      // Draw even when the rule cannot apply to this operation's shape, so the sequence stays reproducible.
      if (this.random() >= rule.rate) continue;
      if (rule.fault === 'unprocessed' && !['BatchGetItem', 'BatchWriteItem', 'BatchExecuteStatement'].includes(operation)) continue;
      if (rule.fault === 'transaction-throttled' && operation !== 'TransactWriteItems') continue;
      state.fired++;
      firing.push(state);
    }
    return firing;
  }

  /** Applies the rules that fire, in rule order; true when one of them settled the request. */
  private async applyRules(req: IncomingMessage, res: ServerResponse, request: ProxiedRequest, plan: Plan): Promise<boolean> {
    for (const { rule } of this.draw(request.operation)) {
      switch (rule.fault) {
        case 'latency':
          this.count('latency');
          await sleep(rule.latencyMs ?? 50);
          break;
        case 'reset':
          this.count('reset');
          req.socket.destroy();
          return true;
        case 'reset-after':
          this.count('reset-after');
          plan.resetAfter = true;
          break;
        case 'stall':
          // DynamoDB applies the request, and its answer never comes: the connection stays open and silent
          // until the client gives up on it (or the proxy closes).
          this.count('stall');
          await forward(this.upstream, req, plan.body).catch(() => undefined);
          return true;
        case 'transaction-throttled':
          this.count('transaction-throttled');
          reply(res, 400, { 'content-type': AMZ_JSON }, Buffer.from(transactionThrottled(request.body, this.random)));
          return true;
        case 'unprocessed':
          this.holdBack(request, rule, plan);
          break;
        default: {
          const fault = ERROR_FAULTS[rule.fault]!;
          this.count(rule.fault);
          this.replyError(res, fault);
          return true;
        }
      }
    }
    return false;
  }

  /** 'unprocessed': takes part of a batch out of what DynamoDB sees, to be reported back as not processed. */
  private holdBack(request: ProxiedRequest, rule: FaultRule, plan: Plan): void {
    // Split the body as the client sent it: if two such rules fire, the last one's split wins.
    const split = splitBatch(request.operation, request.body, rule.fraction ?? 0.5, this.random);
    if (!split) return;
    this.count('unprocessed');
    this.stats.unprocessedEntries += split.moved;
    plan.body = jsonBuffer(split.forwarded);
    plan.mergeUnprocessed = split.merge;
  }

  /** With `limits`: real DynamoDB's latency, then its throughput limits; true when they throttled the request. */
  private async playLimits(res: ServerResponse, operation: string, plan: Plan): Promise<boolean> {
    const limits = this.limits;
    if (!limits) return false;
    await sleep(limits.latency());
    const admission = limits.admit(operation, parseBody(plan.body));
    if (admission.throttle) {
      reply(res, admission.throttle.status, { 'content-type': AMZ_JSON }, jsonBuffer(admission.throttle.body));
      return true;
    }
    plan.admission = admission;
    if (admission.unprocessed > 0) plan.body = jsonBuffer(admission.body);
    return false;
  }

  /** Forwards what is left of the request to DynamoDB Local and relays its answer, completed by `plan`. */
  private async forwardAndAnswer(req: IncomingMessage, res: ServerResponse, plan: Plan): Promise<void> {
    let answer: Answer;
    try {
      answer = await forward(this.upstream, req, plan.body);
    } catch {
      // DynamoDB Local could not be reached: the client sees a dropped connection, not a made-up answer.
      req.socket.destroy();
      return;
    }
    if (plan.resetAfter) {
      // DynamoDB applied the request; the client never hears so.
      req.socket.destroy();
      return;
    }
    if (answer.status === 200) completeAnswer(answer, plan);
    reply(res, answer.status, answer.headers, answer.body);
  }

  private count(kind: FaultKind): void {
    this.stats.injected[kind] = (this.stats.injected[kind] ?? 0) + 1;
  }

  private replyError(res: ServerResponse, fault: ErrorFault): void {
    const body = jsonBuffer({ __type: fault.type, message: fault.message });
    // Numbered by the latest request received, not always this one (a latency fault lets others in first).
    reply(res, fault.status, { 'content-type': AMZ_JSON, 'x-amzn-requestid': `fault-${this.sequence}` }, body);
  }
}

/**
 * Puts back into a successful answer what the limits and the 'unprocessed' fault held back from DynamoDB,
 * reported as unprocessed. The SDK does not check DynamoDB's CRC32 today; a rewritten answer drops it rather
 * than send a wrong one.
 */
function completeAnswer(answer: Answer, plan: Plan): void {
  const { admission, mergeUnprocessed } = plan;
  if (admission) {
    // finish() runs on every admitted answer, not only a partial one: the model charges reads by what came back.
    const finished = admission.finish(parseBody(answer.body));
    if (admission.unprocessed > 0 && finished) {
      answer.body = jsonBuffer(finished);
      delete answer.headers['x-amz-crc32'];
    }
  }
  if (mergeUnprocessed) {
    const parsed = parseBody(answer.body);
    mergeUnprocessed(parsed);
    answer.body = jsonBuffer(parsed);
    delete answer.headers['x-amz-crc32'];
  }
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<DynamoDBFaultProxy> {
  const upstream: Upstream = { url: new URL(options.target), agent: new Agent({ keepAlive: true, maxSockets: 64 }) };
  const proxy = new FaultProxy(options, upstream);
  const server = await serveOnLoopback((req, res, body) => proxy.handle(req, res, body));
  const { stats } = proxy;
  return {
    endpoint: server.endpoint,
    stats,
    injectedTotal: () => Object.values(stats.injected).reduce((a, b) => a + (b ?? 0), 0),
    writeRequests: () => Object.entries(stats.requests).reduce((n, [op, c]) => n + (WRITE_OPERATIONS.has(op) ? c : 0), 0),
    setRules: (rules) => proxy.setRules(rules),
    setHook: (hook) => proxy.setHook(hook),
    resetStats: () => proxy.resetStats(),
    async close() {
      upstream.agent.destroy();
      await server.close();
    },
  };
}
