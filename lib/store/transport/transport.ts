// The read path's DynamoDB transport: the three reads a store needs (GetItem, BatchGetItem, Query) behind a
// small interface, and the factory that picks an implementation. Any read-only store (the feature store
// reader, a big-segment store) can use it.
//
// Why not the AWS SDK v3 client: on a Lambda cold start at 128 MB (7% of a CPU) loading
// @aws-sdk/client-dynamodb alone takes about 1.5 s, more than the LaunchDarkly SDK it serves
// (docs/cold-start.md). The lean transport (lean.ts) signs with `aws4` and speaks DynamoDB's JSON protocol
// over node:http(s) with keep-alive: about 10 KB instead of 525 KB. A user who passes their own SDK client
// keeps it (sdk.ts); so does a `clientConfig` with settings the lean transport does not implement (a custom
// request handler, middleware, a credential provider chain of the SDK's own, …).
import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { leanConfigFrom, type LeanConfigInput } from './config.js';
import { LeanTransport } from './lean.js';
import { SdkTransport } from './sdk.js';

/** An attribute value in the shape the AWS SDK v3 uses (binary as Uint8Array). */
export interface Attr {
  S?: string;
  N?: string;
  B?: Uint8Array;
  BOOL?: boolean;
  NULL?: boolean;
  SS?: string[];
  NS?: string[];
  BS?: Uint8Array[];
  L?: Attr[];
  M?: Record<string, Attr>;
}

export type Row = Record<string, Attr>;

export interface QueryInput {
  TableName: string;
  KeyConditionExpression: string;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, Attr>;
  ConsistentRead?: boolean;
  ExclusiveStartKey?: Row;
  Limit?: number;
}

export interface QueryOutput {
  Items: Row[];
  LastEvaluatedKey?: Row;
}

export interface BatchGetOutput {
  rows: Row[];
  /** Keys DynamoDB did not process (throttling, 16 MB of response): the caller asks again, backing off. */
  unprocessed: Row[];
}

/** One request each; errors worth retrying (throttling, 5xx, dropped connections) are retried inside. */
export interface ReadTransport {
  /** Which implementation: for logs and tests. */
  readonly kind: 'lean' | 'sdk';
  getItem(table: string, key: Row, consistentRead?: boolean): Promise<Row | undefined>;
  batchGet(table: string, keys: Row[], consistentRead?: boolean): Promise<BatchGetOutput>;
  /** `signal` abandons the request (a read the caller no longer needs): it rejects, and is not retried. */
  query(input: QueryInput, signal?: AbortSignal): Promise<QueryOutput>;
  /** Frees sockets (and a client the transport built); a client passed in is left alone. */
  close(): void;
}

export interface TransportOptions {
  /** An AWS SDK v3 DynamoDB client to use as it is (LaunchDarkly's option name: `dynamoDBClient`). */
  client?: DynamoDBClient;
  /** How to reach DynamoDB; the same shape as the SDK's DynamoDBClientConfig (LaunchDarkly's `clientOptions`). */
  clientConfig?: DynamoDBClientConfig;
}

/**
 * The transport for the options: the caller's client if given; else the lean transport when `clientConfig`
 * holds only what it implements (endpoint, region, credentials, FIPS, dual-stack, maxAttempts); else an SDK
 * client built from `clientConfig` (loaded only then).
 */
export function createReadTransport(options: TransportOptions = {}, env: NodeJS.ProcessEnv = process.env): ReadTransport {
  if (options.client) return new SdkTransport(options.client, false);
  const lean = leanConfigFrom((options.clientConfig ?? {}) as LeanConfigInput, env);
  if (lean) return new LeanTransport(lean);
  return new SdkTransport(options.clientConfig ?? {}, true);
}
