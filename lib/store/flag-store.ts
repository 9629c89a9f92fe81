// DynamoDBFlagStore: the store sync jobs use. Writes LaunchDarkly flags and segments in LaunchDarkly's own
// DynamoDB layout (full syncs through writer.ts, single patches here) and reads them back for version
// comparisons and status. The write rules (version guards, waves, tombstones, the snapshot claim, deleted
// and re-created flags) are in docs/write-rules.md; consumers read with reader.ts instead.
import type { AttributeValue, DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { unknownOption } from '../util/options.js';
import { StoreError, WriteFailedError } from './errors.js';
import { encodeItem } from './item-codec.js';
import { namespaceFor, type StoredRow } from './layout.js';
import { readSyncStatus, recordSync, type SyncStatus } from './sync-status.js';
import { TableClient, defaultRetry, type RetryOptions, type StoreContext, type Usage } from './table-client.js';
import { decodeOrLog, markerExists, readItem } from './table-reads.js';
import { type Logger, silentLogger } from '../util/logger.js';
import type { DataKindName, FullDataSet, VersionedItem } from './types.js';
import { checkItem, checkKey, checkKind, checkVersion } from './validate.js';
import { writeOp } from './wave-writer.js';
import { runInit, type InitOptions, type InitSummary } from './writer.js';

export { SYNC_STATUS_KEY, type SyncStatus } from './sync-status.js';
export type { InitSummary, InitOptions } from './writer.js';

interface CommonOptions {
  tableName: string;
  /** Key prefix; several environments can share one table, each under its own prefix. */
  prefix?: string;
  logger?: Logger;
  /** Strongly consistent reads for get, all and initialized. Default false. */
  consistentReads?: boolean;
  /** Most single-item writes in flight during init; the pacer lowers the rate when DynamoDB throttles. Default 48. */
  concurrency?: number;
  /** No longer used: bulk loads are single conditional PutItems at 1× write units. Accepted for compatibility. */
  transactionThreshold?: number;
  /** Bound on retries of throttled or failed requests. */
  retry?: Partial<RetryOptions>;
}

/** Pass a client, or the configuration to build one, never both. */
export type DynamoDBFlagStoreOptions = CommonOptions &
  ({ client: DynamoDBClient; clientConfig?: never } | { client?: never; clientConfig?: DynamoDBClientConfig });

const KNOWN_OPTIONS = new Set([
  'tableName',
  'prefix',
  'client',
  'clientConfig',
  'logger',
  'consistentReads',
  'concurrency',
  'transactionThreshold',
  'retry',
]);

export class DynamoDBFlagStore {
  readonly tableName: string;
  readonly prefix: string | undefined;
  private readonly ctx: StoreContext;
  private readonly consistentReads: boolean;
  private readonly concurrency: number;

  constructor(options: DynamoDBFlagStoreOptions) {
    const unknown = unknownOption(options ?? {}, KNOWN_OPTIONS);
    if (unknown !== undefined) throw new StoreError(unknown);
    if (typeof options?.tableName !== 'string' || options.tableName.length < 3) {
      throw new StoreError(
        `Option 'tableName' must be a DynamoDB table name (3 to 255 characters), got ${JSON.stringify(options?.tableName)}`,
      );
    }
    if (options.client && options.clientConfig) throw new StoreError("Pass either 'client' or 'clientConfig', not both");
    if (options.prefix !== undefined && typeof options.prefix !== 'string')
      throw new StoreError(`Option 'prefix' must be a string, got ${typeof options.prefix}`);
    this.tableName = options.tableName;
    this.prefix = options.prefix || undefined;
    this.consistentReads = options.consistentReads ?? false;
    this.concurrency = positiveInt('concurrency', options.concurrency, 48);
    positiveInt('transactionThreshold', options.transactionThreshold, 1);
    const table = new TableClient(this.tableName, options, { ...defaultRetry, ...options.retry });
    const label = `table ${this.tableName}${this.prefix ? ` prefix ${this.prefix}` : ''}`;
    this.ctx = { table, prefix: this.prefix, logger: options.logger ?? silentLogger, label };
  }

  /** Requests and capacity consumed by this store so far. */
  get usage(): Usage {
    return this.ctx.table.usage;
  }

  /** Replaces the data for this prefix with `data`, writing only what changed (docs/write-rules.md). */
  async init(data: FullDataSet, options?: InitOptions): Promise<InitSummary> {
    return runInit(this.ctx, data, { concurrency: this.concurrency }, options);
  }

  /** Stores `item` if its version is higher than the stored one. Resolves false when the table had that version or newer. */
  async upsert(kind: DataKindName, item: VersionedItem): Promise<boolean> {
    checkKind(kind, (item as { key?: string })?.key);
    return this.putNewer(kind, checkItem(kind, item));
  }

  /** Stores a tombstone for `key` at `version`, under the same version rule as upsert. */
  async delete(kind: DataKindName, key: string, version: number): Promise<boolean> {
    checkKind(kind, key);
    checkKey(kind, key);
    checkVersion(kind, key, version);
    return this.putNewer(kind, { key, version, deleted: true });
  }

  private async putNewer(kind: DataKindName, item: VersionedItem): Promise<boolean> {
    const encoded = encodeItem(this.prefix, kind, item, Date.now());
    if (encoded.compressed)
      this.ctx.logger.warn(`${kind}/${item.key} is over 400 KB; stored gzip-compressed, which LaunchDarkly's own readers see as deleted`);
    try {
      return (await writeOp(this.ctx, { type: 'put', item: encoded, expect: { type: 'newer' }, found: 'absent' })) === 'written';
    } catch (err) {
      throw new WriteFailedError([{ kind, key: item.key }], err);
    }
  }

  /** The item, or null when it is missing or deleted. */
  async get(kind: DataKindName, key: string): Promise<VersionedItem | null> {
    const item = await this.getIncludingDeleted(kind, key);
    return item && !item.deleted ? item : null;
  }

  /** Every item of a kind, keyed by key, without deleted ones. */
  async all(kind: DataKindName): Promise<Record<string, VersionedItem>> {
    const result: Record<string, VersionedItem> = Object.create(null);
    for (const [key, item] of Object.entries(await this.allIncludingDeleted(kind))) if (!item.deleted) result[key] = item;
    return result;
  }

  /** Like get, but returns tombstones (`deleted: true`) too: what a version comparison needs. */
  async getIncludingDeleted(kind: DataKindName, key: string): Promise<VersionedItem | null> {
    checkKind(kind, key);
    return readItem(this.ctx, kind, key, this.consistentReads);
  }

  /** Like all, but with tombstones. */
  async allIncludingDeleted(kind: DataKindName): Promise<Record<string, VersionedItem>> {
    checkKind(kind);
    const rows = await this.ctx.table.queryAll({
      KeyConditionExpression: '#ns = :ns',
      ExpressionAttributeNames: { '#ns': 'namespace' },
      ExpressionAttributeValues: { ':ns': { S: namespaceFor(this.prefix, kind) } },
      ConsistentRead: this.consistentReads,
    });
    const result: Record<string, VersionedItem> = Object.create(null);
    for (const row of rows as Record<string, AttributeValue>[]) {
      const key = row.key?.S;
      if (key === undefined) continue;
      const item = decodeOrLog(this.ctx, kind, key, row as StoredRow);
      if (item) result[key] = item;
    }
    return result;
  }

  /** Whether any writer has completed an init for this prefix (the `$inited` marker exists). */
  async initialized(): Promise<boolean> {
    return markerExists(this.ctx, this.consistentReads);
  }

  /** Records when and from where data was last synced (sync-status.ts), so consumers and alarms can tell how fresh the table is. */
  async recordSync(record: { source: string; at?: Date; summary?: object }): Promise<void> {
    return recordSync(this.ctx, record);
  }

  async syncStatus(): Promise<SyncStatus | null> {
    return readSyncStatus(this.ctx, this.consistentReads);
  }

  /** Destroys the DynamoDB client if this store created it; a client passed in stays the caller's. */
  close(): void {
    this.ctx.table.destroy();
  }
}

function positiveInt(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new StoreError(`Option '${name}' must be a positive integer, got ${JSON.stringify(value)}`);
  return value;
}
