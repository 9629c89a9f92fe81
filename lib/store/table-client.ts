// A thin layer over the DynamoDB client for the writer: bounded retries with backoff and jitter, paginated
// queries, counters of requests and consumed capacity (what a sync costs, reported in its summary), and the
// adaptive pacer (pacing.ts) every write passes through, so throttling slows all writers of a store at once.
import {
  DynamoDBClient,
  QueryCommand,
  type DynamoDBClientConfig,
  type ConsumedCapacity,
  type QueryCommandInput,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { sleep } from '../util/sleep.js';
import { leanConfigFrom, type LeanConfigInput } from './transport/config.js';
import { LeanTransport } from './transport/lean.js';
import type { Logger } from '../util/logger.js';
import { AdaptivePacer, backoffDelay } from './pacing.js';

export interface RetryOptions {
  /** Attempts per request, including the first (our own, on top of the AWS SDK's). Default 8. */
  maxAttempts: number;
  /** First back-off delay in ms, doubled on each retry. Default 50. */
  baseDelayMs: number;
  /** Cap on one back-off delay in ms. Default 5,000. */
  maxDelayMs: number;
  /**
   * Time one attempt may take, connection to last byte of the answer, in ms; a slower attempt is abandoned
   * and retried like a dropped connection (a write it carried may have been applied: the retry's condition
   * sees that). Default 10,000: DynamoDB answers in milliseconds, so only a lost connection takes this long.
   */
  requestTimeoutMs: number;
}

export const defaultRetry: RetryOptions = { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 5_000, requestTimeoutMs: 10_000 };

/** An attempt abandoned after `RetryOptions.requestTimeoutMs`. Retryable. */
export class RequestTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(operation: string, ms: number) {
    super(`DynamoDB ${operation} got no complete answer within ${ms} ms; abandoned`);
  }
}

const RETRYABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
  'TransactionInProgressException',
  'LimitExceededException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

const READ_OPERATIONS = new Set(['Query', 'GetItem', 'BatchGetItem', 'Scan']);

export function isRetryable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number }; cause?: unknown };
  if (e.name && RETRYABLE_NAMES.has(e.name)) return true;
  if (e.code && RETRYABLE_CODES.has(e.code)) return true;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  return e.cause !== undefined && e.cause !== err && isRetryable(e.cause);
}

/** Errors that say "slow down" (as opposed to a failure): they feed the pacer. */
const THROTTLING_NAMES = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);

export function isThrottling(err: unknown): boolean {
  return !!err && typeof err === 'object' && THROTTLING_NAMES.has((err as { name?: string }).name ?? '');
}

export interface Usage {
  requests: Record<string, number>;
  readCapacityUnits: number;
  writeCapacityUnits: number;
  retries: number;
  /**
   * Writes and reads DynamoDB answered with a throttling error, a batch's statements one by one (a throttled
   * request is also counted in `retries` when retried).
   */
  throttled: number;
}

export function emptyUsage(): Usage {
  return { requests: {}, readCapacityUnits: 0, writeCapacityUnits: 0, retries: 0, throttled: 0 };
}

export class TableClient {
  /** How requests travel: the lean transport, or an AWS SDK client (the caller's, or one built for settings only it has). */
  readonly transport: 'lean' | 'sdk';
  private readonly lean: LeanTransport | undefined;
  private readonly client: DynamoDBClient | undefined;
  private readonly ownsClient: boolean;
  usage: Usage = emptyUsage();
  readonly pacer = new AdaptivePacer();
  /**
   * How a wave's puts go as PartiQL batches (batch-writes.ts): 'on', 25 statements a request; 'throttled',
   * 8, for the rest of an init once DynamoDB throttled a batch (the writer's next init starts 'on' again);
   * 'refused', not at all (one request each) for good once IAM refused one.
   */
  batchWrites: 'on' | 'throttled' | 'refused' = 'on';

  constructor(
    readonly tableName: string,
    opts: { client?: DynamoDBClient; clientConfig?: DynamoDBClientConfig },
    readonly retry: RetryOptions,
  ) {
    this.ownsClient = !opts.client;
    // Whatever carries them, requests leave retries to us (maxAttempts 1 unless configured), so that every
    // throttle reaches the pacer instead of being retried unpaced underneath.
    const lean = opts.client ? undefined : leanConfigFrom((opts.clientConfig ?? {}) as LeanConfigInput, process.env);
    // The lean transport (the reader's, transport/lean.ts) costs a third of the SDK client's CPU per request,
    // which bounds a full sync on a small Lambda (docs/service-limits.md). It needs a region it can read (the
    // SDK also reads one from a profile's config file) and settings it implements; otherwise the SDK client.
    if (lean?.endpoint) {
      this.transport = 'lean';
      // leanConfigFrom accepts only a whole-number maxAttempts; unset, it means 1 here, not the SDK's 3.
      this.lean = new LeanTransport({ ...lean, maxAttempts: (opts.clientConfig?.maxAttempts as number | undefined) ?? 1 });
    } else {
      this.transport = 'sdk';
      this.client = opts.client ?? new DynamoDBClient({ maxAttempts: 1, ...opts.clientConfig });
    }
  }

  /**
   * Sends a command, retrying throttling, 5xx and connection errors with backoff; counts it and its capacity.
   * A write passes the pacer first, `units` being the write units it is expected to cost; `entries` is the
   * writes it carries (a batch's statements), counted in `usage.throttled` if the whole request is throttled.
   * For the pacer a throttled request is one throttle weighing the writes it held back (pacing.ts, shareSince).
   */
  async send<T = Record<string, unknown>>(operation: string, command: object, units = 1, entries = 1): Promise<T> {
    const kind = READ_OPERATIONS.has(operation) ? 'read' : 'write';
    for (let attempt = 1; ; attempt++) {
      if (kind === 'write') await this.pacer.acquire(units);
      this.usage.requests[operation] = (this.usage.requests[operation] ?? 0) + 1;
      try {
        const out = (await this.sendOnce(operation, command)) as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
        this.count(out.ConsumedCapacity, kind);
        // A batch's statements report their own outcomes (statementsDone): one may be throttled, another written.
        if (kind === 'write' && operation !== 'BatchExecuteStatement') this.pacer.succeeded(units);
        return out as T;
      } catch (err) {
        const capacity = (err as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity;
        this.count(capacity, kind);
        if (isThrottling(err)) {
          this.usage.throttled += entries;
          if (kind === 'write') this.pacer.throttled(entries);
          if (operation === 'BatchExecuteStatement') this.batchThrottled();
        } else if (kind === 'write' && (err as Error).name === 'ConditionalCheckFailedException') {
          // A failed condition was served (and billed): it is throughput getting through.
          this.pacer.succeeded(units);
        }
        if (attempt >= this.retry.maxAttempts || !isRetryable(err)) throw err;
        this.usage.retries++;
        await sleep(backoffDelay(attempt, this.retry));
      }
    }
  }

  /**
   * What a served PartiQL batch's statements did: the write units of each statement written, how many were
   * throttled, and units to count when the answer reported no consumed capacity. For the pacer the request
   * is one success weighing the statements written and, if any was throttled, one throttle weighing those
   * (the pacer weighs its share by writes, its error by requests: pacing.ts, shareSince).
   */
  statementsDone(writtenUnits: number[], throttled: number, uncountedUnits: number): void {
    const written = writtenUnits.reduce((s, u) => s + u, 0);
    if (writtenUnits.length > 0) this.pacer.succeeded(written, writtenUnits.length);
    if (throttled > 0) {
      this.pacer.throttled(throttled);
      this.batchThrottled();
    }
    this.usage.throttled += throttled;
    this.usage.writeCapacityUnits += uncountedUnits;
  }

  /**
   * DynamoDB throttled a batch: the writer is at the table's throughput, where a throttle can hold back as
   * many statements as a batch carries at once. The rest of the init goes in smaller batches
   * (batch-writes.ts, THROTTLED_STATEMENTS).
   */
  private batchThrottled(): void {
    if (this.batchWrites === 'on') this.batchWrites = 'throttled';
  }

  /** One attempt, abandoned after `requestTimeoutMs` (an aborted request rejects; it never hangs). */
  private async sendOnce(operation: string, command: object): Promise<unknown> {
    const abortSignal = AbortSignal.timeout(this.retry.requestTimeoutMs);
    try {
      if (this.lean) return await this.lean.call(operation, (command as { input: unknown }).input, abortSignal);
      return await this.client!.send(command as never, { abortSignal } as never);
    } catch (err) {
      if (abortSignal.aborted) throw new RequestTimeoutError(operation, this.retry.requestTimeoutMs);
      throw err;
    }
  }

  /** Every row of a query, following LastEvaluatedKey; a failed page rejects (never hangs). */
  async queryAll(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Record<string, AttributeValue>[]> {
    const rows: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.send<{ Items?: Record<string, AttributeValue>[]; LastEvaluatedKey?: Record<string, AttributeValue> }>(
        'Query',
        new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: start, ReturnConsumedCapacity: 'TOTAL' }),
      );
      rows.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return rows;
  }

  private count(capacity: ConsumedCapacity | ConsumedCapacity[] | undefined, kind: 'read' | 'write'): void {
    for (const c of Array.isArray(capacity) ? capacity : capacity ? [capacity] : []) {
      this.usage.readCapacityUnits += c.ReadCapacityUnits ?? 0;
      this.usage.writeCapacityUnits += c.WriteCapacityUnits ?? 0;
      if (c.ReadCapacityUnits === undefined && c.WriteCapacityUnits === undefined) {
        // Responses may report only the total; attribute it by what the operation does.
        if (kind === 'read') this.usage.readCapacityUnits += c.CapacityUnits ?? 0;
        else this.usage.writeCapacityUnits += c.CapacityUnits ?? 0;
      }
    }
  }

  destroy(): void {
    this.lean?.close();
    if (this.ownsClient) this.client?.destroy();
  }
}

/** What the writer's modules share: the table client, the prefix, the logger and how to name the table in messages. */
export interface StoreContext {
  table: TableClient;
  prefix: string | undefined;
  logger: Logger;
  /** e.g. "table flags prefix prod", for messages. */
  label: string;
}
