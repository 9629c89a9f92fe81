// DynamoDBBigSegmentStore: the SDK's `bigSegments: { store }` for @launchdarkly/node-server-sdk v9, a
// drop-in for the store of the same name in LaunchDarkly's DynamoDB package (same factory, same options,
// same table layout). Read-only: LaunchDarkly's Relay Proxy (or its Big Segments synchronizer) writes the rows.
//
// Layout (shared by LaunchDarkly's SDKs and the Relay Proxy; the same table as the flags, or another one):
// - `namespace = key = "[<prefix>:]big_segments_metadata"`, attribute `synchronizedOn` (N, Unix ms): when the
//   writer last brought the data up to date. Relay also keeps a `lastVersion` (S) cursor there; we ignore it.
// - `namespace = "[<prefix>:]big_segments_user"`, `key` = base64(SHA-256(context key)), string sets `included`
//   and `excluded` of segment references `<segmentKey>.g<generation>`. The SDK hashes the key; the store only
//   looks the hash up. A reference in both sets counts as included, as in LaunchDarkly's stores.
// What the SDK makes of the answers (documented by LaunchDarkly, shown by test/integration/big-segments.test.ts):
// metadata missing or older than `bigSegments.staleAfter` gives the reason's `bigSegmentsStatus` "STALE", a
// failed read "STORE_ERROR", no store configured "NOT_CONFIGURED".
//
// Cheap on a cold start: every read is one GetItem through the read path's lean transport (lib/store/transport:
// aws4-signed HTTP with keep-alive, no AWS SDK), or through the caller's own SDK client when one is given.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { interfaces, LDClientContext } from '@launchdarkly/node-server-sdk';
import { errorText } from '../util/error-text.js';
import { resolveStoreOptions, type ResolvedStoreOptions, type StoreOptions } from './options.js';
import { createReadTransport } from './transport/transport.js';

export const BIG_SEGMENTS_METADATA = 'big_segments_metadata';
export const BIG_SEGMENTS_USER = 'big_segments_user';
const SYNCHRONIZED_ON = 'synchronizedOn';
const INCLUDED = 'included';
const EXCLUDED = 'excluded';

/**
 * LaunchDarkly's options (and ours): `prefix`, a client (`dynamoDBClient` / `client`) or its configuration
 * (`clientOptions` / `clientConfig`), `logger`, `consistentReads`. `cacheTTL` is accepted and ignored, as in
 * LaunchDarkly's store: the SDK's `bigSegments` options (`userCacheTime`, `statusPollInterval`) set the caching.
 */
export type DynamoDBBigSegmentStoreOptions = StoreOptions;

/** The primary key of one row. */
export interface RowKey {
  namespace: string;
  key: string;
}

type Row = Record<string, AttributeValue>;

/** Reads one row by its key; undefined when there is none. Rejects when the table cannot be read. */
export type GetItem = (key: RowKey) => Promise<Row | undefined>;

/** `[<prefix>:]name`, the namespace (and, for the metadata, the key) of a Big Segments row. */
export function bigSegmentsNamespace(prefix: string | undefined, name: string): string {
  return prefix ? `${prefix}:${name}` : name;
}

/** The store over any GetItem: what the SDK calls, and the layout's rules. */
export class BigSegmentTableStore implements interfaces.BigSegmentStore {
  private readonly metadataKey: string;
  private readonly userNamespace: string;

  constructor(
    private readonly getItem: GetItem,
    prefix: string | undefined,
    private readonly onClose: () => void = () => {},
  ) {
    this.metadataKey = bigSegmentsNamespace(prefix, BIG_SEGMENTS_METADATA);
    this.userNamespace = bigSegmentsNamespace(prefix, BIG_SEGMENTS_USER);
  }

  /** `{ lastUpToDate }` from the metadata row; `{}` when there is none (the SDK then reports STALE). */
  async getMetadata(): Promise<interfaces.BigSegmentStoreMetadata> {
    const row = await this.getItem({ namespace: this.metadataKey, key: this.metadataKey });
    const millis = Number.parseInt(row?.[SYNCHRONIZED_ON]?.N ?? '', 10);
    return Number.isFinite(millis) ? { lastUpToDate: millis } : {};
  }

  /** Segment reference → included (true) or excluded (false); undefined when no Big Segment names the context. */
  async getUserMembership(userHash: string): Promise<interfaces.BigSegmentStoreMembership | undefined> {
    const row = await this.getItem({ namespace: this.userNamespace, key: userHash });
    if (!row) return undefined;
    const membership: interfaces.BigSegmentStoreMembership = {};
    // Excluded first, so that a reference in both sets ends up included.
    for (const ref of row[EXCLUDED]?.SS ?? []) membership[ref] = false;
    for (const ref of row[INCLUDED]?.SS ?? []) membership[ref] = true;
    return membership;
  }

  close(): void {
    this.onClose();
  }
}

/**
 * A factory for the SDK's `bigSegments.store` option:
 * `init(sdkKey, { bigSegments: { store: DynamoDBBigSegmentStore('my-table', { prefix: 'prod' }) } })`.
 * Options are checked here, so a mistake fails where the store is configured.
 */
export function DynamoDBBigSegmentStore(
  tableName: string,
  options: DynamoDBBigSegmentStoreOptions = {},
): (clientContext: LDClientContext) => interfaces.BigSegmentStore {
  const o = resolveStoreOptions('DynamoDBBigSegmentStore', tableName, options);
  return (clientContext) => {
    for (const warning of o.warnings) (o.logger ?? clientContext?.basicConfiguration?.logger)?.warn(warning);
    const { getItem, close } = transportGetItem(o);
    return new BigSegmentTableStore(getItem, o.prefix, close);
  };
}

/** GetItem through the read path's transport (lean, or the caller's SDK client), built with the store. */
function transportGetItem(o: ResolvedStoreOptions): { getItem: GetItem; close: () => void } {
  const transport = createReadTransport({ client: o.client, clientConfig: o.clientConfig });
  let closed = false;
  const where = `DynamoDB table "${o.tableName}"${o.prefix ? ` (prefix "${o.prefix}")` : ''}`;
  const getItem: GetItem = async (key) => {
    if (closed) throw new Error(`DynamoDBBigSegmentStore: the store is closed; cannot read ${where}`);
    try {
      return (await transport.getItem(o.tableName, { namespace: { S: key.namespace }, key: { S: key.key } }, o.consistentReads)) as
        | Record<string, AttributeValue>
        | undefined;
    } catch (err) {
      throw new Error(`DynamoDBBigSegmentStore: could not read "${key.namespace}" from ${where}: ${errorText(err)}`, { cause: err });
    }
  };
  const close = () => {
    closed = true;
    transport.close();
  };
  return { getItem, close };
}
