// The lean transport: DynamoDB's JSON protocol (POST /, X-Amz-Target: DynamoDB_20120810.<Operation>,
// application/x-amz-json-1.0) over node:http(s) with keep-alive, signed with Signature Version 4 by `aws4`
// (a small, long-maintained signer on node:crypto). Retries with capped, jittered exponential backoff what the
// AWS SDK retries: throttling, 5xx, and connections dropped before an answer. Binary attributes travel as
// base64 and are handed to callers as Uint8Array, as the SDK does, so callers cannot tell the two apart.
// The reader uses its reads; the sync store's TableClient sends every operation through `call`, one attempt
// each (it retries itself, through its pacer), at a third of the SDK client's CPU per request.
import type http from 'node:http';
import aws4 from 'aws4';
import { nodeHttp, nodeHttps } from '../builtins.js';
import type { LeanConfig } from './config.js';
import type { Attr, BatchGetOutput, QueryInput, QueryOutput, ReadTransport, Row } from './transport.js';

/** A DynamoDB error answer, named as the AWS SDK names it (`ResourceNotFoundException`, …). */
export class DynamoDBRequestError extends Error {
  /** The HTTP status where the AWS SDK's errors have it, so code written for those reads both. */
  readonly $metadata: { httpStatusCode?: number };

  constructor(
    override readonly name: string,
    message: string,
    readonly statusCode: number | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
    this.$metadata = { httpStatusCode: statusCode };
  }
}

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'Throttling',
  'TooManyRequestsException',
]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND']);
const BASE_DELAY_MS = 50;
const BINARY_KEY = /"BS?":/;
const MAX_DELAY_MS = 2_000;

export class LeanTransport implements ReadTransport {
  readonly kind = 'lean';
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private closed = false;

  constructor(private readonly config: LeanConfig) {
    const secure = config.endpoint?.protocol !== 'http:';
    // Keep-alive: a Lambda reuses its connection across invocations instead of a TLS handshake per request.
    const { Agent, request } = secure ? nodeHttps() : nodeHttp();
    this.agent = new Agent({ keepAlive: true, maxSockets: 50 });
    this.request = request;
  }

  async getItem(table: string, key: Row, consistentRead?: boolean): Promise<Row | undefined> {
    const out = (await this.call('GetItem', { TableName: table, Key: key, ConsistentRead: consistentRead })) as { Item?: Row };
    return out.Item;
  }

  async batchGet(table: string, keys: Row[], consistentRead?: boolean): Promise<BatchGetOutput> {
    const out = (await this.call('BatchGetItem', { RequestItems: { [table]: { Keys: keys, ConsistentRead: consistentRead } } })) as {
      Responses?: Record<string, Row[]>;
      UnprocessedKeys?: Record<string, { Keys?: Row[] }>;
    };
    return { rows: out.Responses?.[table] ?? [], unprocessed: out.UnprocessedKeys?.[table]?.Keys ?? [] };
  }

  async query(input: QueryInput, signal?: AbortSignal): Promise<QueryOutput> {
    const out = (await this.call('Query', input, signal)) as { Items?: Row[]; LastEvaluatedKey?: Row };
    return { Items: out.Items ?? [], LastEvaluatedKey: out.LastEvaluatedKey };
  }

  close(): void {
    this.closed = true;
    this.agent.destroy();
  }

  /**
   * One operation of DynamoDB's JSON protocol (`input` as the AWS SDK's command input), retried up to
   * `maxAttempts`; resolves to the response with binary attributes decoded. `signal` abandons it.
   */
  async call(operation: string, input: unknown, signal?: AbortSignal): Promise<unknown> {
    const body = JSON.stringify(input, binaryToBase64);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(operation, body, signal);
      } catch (err) {
        if (attempt >= this.config.maxAttempts || !isRetryable(err) || signal?.aborted) throw err;
        const delay = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * (delay / 2)));
      }
    }
  }

  private async attempt(operation: string, body: string, signal?: AbortSignal): Promise<unknown> {
    if (this.closed) throw new Error('the store is closed');
    const { endpoint, problem } = this.config;
    if (!endpoint) throw new Error(problem ?? 'no DynamoDB endpoint');
    const credentials = await this.config.credentials();
    const signed = aws4.sign(
      {
        host: endpoint.host,
        path: endpoint.pathname || '/',
        method: 'POST',
        service: 'dynamodb',
        region: this.config.region,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` },
        body,
      },
      { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken },
    );
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = this.request(
        {
          protocol: endpoint.protocol,
          hostname: endpoint.hostname,
          port: endpoint.port || undefined,
          path: signed.path,
          method: 'POST',
          headers: signed.headers,
          agent: this.agent,
          // Abandoned: the socket is destroyed, so an unread answer costs no parsing.
          signal,
        },
        (res) => {
          // Decoded as it arrives (multi-byte characters split across chunks are handled by the stream):
          // joining the chunks first would copy every 1 MB page once more.
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        },
      );
      // No timeout of our own, as the AWS SDK has none by default: an overloaded DynamoDB (or DynamoDB Local)
      // answers late rather than never, and the Lambda's own timeout bounds a request that truly hangs.
      req.on('error', reject);
      req.end(body);
    });
    // Binary attributes are rare in answers (compressed items, the read hints): walking a 1 MB page of
    // strings for them costs more than looking for their key. Inside a string, a quote is escaped (\"B\":),
    // so only a real attribute named B or BS matches.
    if (status === 200) return BINARY_KEY.test(text) ? reviveBinary(JSON.parse(text)) : JSON.parse(text);
    throw errorFrom(status, text);
  }
}

function errorFrom(status: number, text: string): DynamoDBRequestError {
  let type = '';
  let message = text.slice(0, 300);
  try {
    const parsed = JSON.parse(text) as { __type?: string; message?: string; Message?: string };
    type = (parsed.__type ?? '').split('#').pop() ?? '';
    message = parsed.message ?? parsed.Message ?? message;
  } catch {
    // Not JSON (a proxy's error page): keep the start of the text.
  }
  const name = type || `HTTP${status}`;
  return new DynamoDBRequestError(
    name,
    `${name} (HTTP ${status}): ${message}`,
    status,
    status >= 500 || status === 429 || THROTTLING.has(type),
  );
}

function isRetryable(err: unknown): boolean {
  if (err instanceof DynamoDBRequestError) return err.retryable;
  const code = (err as { code?: string } | null)?.code;
  return code !== undefined && TRANSIENT_CODES.has(code);
}

/** JSON.stringify replacer: binary attribute values go over the wire as base64, as DynamoDB expects. */
function binaryToBase64(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
  return value;
}

/** Turns every `B` / `BS` value in a response from base64 into bytes (in place). */
function reviveBinary(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (const v of value) reviveBinary(v);
  } else if (value && typeof value === 'object') {
    const attr = value as Attr & Record<string, unknown>;
    for (const key of Object.keys(attr)) {
      const v = attr[key];
      if (key === 'B' && typeof v === 'string') attr.B = Buffer.from(v, 'base64');
      else if (key === 'BS' && Array.isArray(v)) attr.BS = v.map((b) => Buffer.from(String(b), 'base64'));
      else if (typeof v === 'object') reviveBinary(v);
    }
  }
  return value;
}
