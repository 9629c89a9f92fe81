// A thin layer over the DynamoDB client for the writer: bounded retries with backoff and jitter, paginated
// queries, and counters of requests and consumed capacity (what a sync costs, reported in its summary).
import {
  DynamoDBClient,
  QueryCommand,
  type DynamoDBClientConfig,
  type ConsumedCapacity,
  type QueryCommandInput,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';

export interface RetryOptions {
  /** Attempts per request, including the first (our own, on top of the AWS SDK's). Default 8. */
  maxAttempts: number;
  /** First back-off delay in ms, doubled on each retry. Default 50. */
  baseDelayMs: number;
  /** Cap on one back-off delay in ms. Default 5,000. */
  maxDelayMs: number;
}

export const defaultRetry: RetryOptions = { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 5_000 };

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
/** Cancellation reasons of a transaction that say "try again", as opposed to a failed condition. */
export const RETRYABLE_CANCELLATION = new Set(['ThrottlingError', 'TransactionConflict', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

const READ_OPERATIONS = new Set(['Query', 'GetItem', 'BatchGetItem', 'Scan']);

export function isRetryable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number }; cause?: unknown };
  if (e.name && RETRYABLE_NAMES.has(e.name)) return true;
  if (e.code && RETRYABLE_CODES.has(e.code)) return true;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  if (e.name === 'TransactionCanceledException') {
    const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
    const codes = reasons.map((r) => r.Code).filter((c) => c && c !== 'None');
    return codes.length > 0 && codes.every((c) => RETRYABLE_CANCELLATION.has(c!));
  }
  return e.cause !== undefined && e.cause !== err && isRetryable(e.cause);
}

/** Delay before retry number `attempt` (1-based): exponential, capped, with jitter in (delay/2, delay]. */
export function backoffDelay(attempt: number, retry: RetryOptions): number {
  const delay = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  return delay - Math.floor(Math.random() * 0.5 * delay);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Usage {
  requests: Record<string, number>;
  readCapacityUnits: number;
  writeCapacityUnits: number;
  retries: number;
}

export function emptyUsage(): Usage {
  return { requests: {}, readCapacityUnits: 0, writeCapacityUnits: 0, retries: 0 };
}

export class TableClient {
  readonly client: DynamoDBClient;
  private readonly ownsClient: boolean;
  usage: Usage = emptyUsage();

  constructor(
    readonly tableName: string,
    opts: { client?: DynamoDBClient; clientConfig?: DynamoDBClientConfig },
    readonly retry: RetryOptions,
  ) {
    this.ownsClient = !opts.client;
    this.client = opts.client ?? new DynamoDBClient(opts.clientConfig ?? {});
  }

  /** Sends a command, retrying throttling, 5xx and connection errors with backoff; counts it and its capacity. */
  async send<T = Record<string, unknown>>(operation: string, command: object): Promise<T> {
    const kind = READ_OPERATIONS.has(operation) ? 'read' : 'write';
    for (let attempt = 1; ; attempt++) {
      this.usage.requests[operation] = (this.usage.requests[operation] ?? 0) + 1;
      try {
        const out = (await this.client.send(command as never)) as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
        this.count(out.ConsumedCapacity, kind);
        return out as T;
      } catch (err) {
        const capacity = (err as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity;
        this.count(capacity, kind);
        if (attempt >= this.retry.maxAttempts || !isRetryable(err)) throw err;
        this.usage.retries++;
        await sleep(backoffDelay(attempt, this.retry));
      }
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
    if (this.ownsClient) this.client.destroy();
  }
}
