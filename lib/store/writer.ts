// DynamoDBFlagStore: writes and reads LaunchDarkly flags and segments in LaunchDarkly's own DynamoDB layout.
//
// Implementation notes (what differs from LaunchDarkly's stores, and why):
// - Every write is conditional on the stored version (`attribute_not_exists(version) OR version < :v`),
//   init included, so a slow writer holding an older data set can never roll an item back. BatchWriteItem
//   cannot carry conditions, so init writes either single conditional PutItems (small changes: each costs
//   exactly the item's write units) or TransactWriteItems of up to 100 conditional puts (bulk loads: far
//   fewer requests, at twice the write units). A transaction cancelled only by failed conditions is resent
//   without those items; one cancelled by throttling or conflicts is retried.
// - init is a diff: it first reads keys and versions only (a projected Query per namespace) and writes
//   items that are new or have a higher version, so a re-sync where nothing changed writes nothing.
//   Order: segments, then flags level by level along prerequisites, then deletions (flags before segments),
//   then the `$inited` marker. Items are replaced in place, so a flag present before and after an init is
//   never missing in between. A deletion is conditional on the version we read, so a concurrent newer
//   write survives it; and when the data set holds any item older than the table's, it is a stale snapshot
//   and its deletions are skipped (its absences would roll back newer creations).
// - Throttling, 5xx and dropped connections are retried with exponential backoff and jitter, within a
//   bound; what still fails rejects with WriteFailedError listing the keys, and later waves, deletions and
//   the marker are not written, so the table never claims an init that did not complete.
// - Bad items are rejected one by one (ItemValidationError / ItemTooLargeError) while the rest is written,
//   and a bad item's existing row is kept rather than deleted as "missing".
// - Items over 400 KB are stored gzip-compressed (see layout.ts) instead of being dropped.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  type AttributeValue,
  type DynamoDBClient,
  type DynamoDBClientConfig,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { ItemTooLargeError, ItemValidationError, PartialInitError, StoreError, WriteFailedError, type UnwrittenItem } from './errors.js';
import {
  COMPRESSED_ATTRIBUTE,
  MAX_ITEM_BYTES,
  estimateItemBytes,
  initedKey,
  namespaceFor,
  prefixed,
  prerequisiteKeys,
  rowJson,
  rowVersion,
  type StoredRow,
} from './layout.js';
import { computeReadHints, decodeReadHints, encodeReadHints, rangeKeyCondition, rangesOf, readHintsKey, type HintSource, type ReadHints } from './read-hints.js';
import { TableClient, backoffDelay, defaultRetry, emptyUsage, isRetryable, sleep, type RetryOptions, type Usage } from './table-client.js';
import type { DataKindName, FullDataSet, StoreLogger, VersionedItem } from './types.js';
import { silentLogger } from './types.js';
import { checkItem, checkKey, checkKind, checkVersion } from './validate.js';

export const SYNC_STATUS_KEY = '$syncStatus';

interface CommonOptions {
  tableName: string;
  /** Key prefix; several environments can share one table, each under its own prefix. */
  prefix?: string;
  logger?: StoreLogger;
  /** Strongly consistent reads for get, all and initialized. Default false. */
  consistentReads?: boolean;
  /** Parallel single-item writes during init. Default 16. */
  concurrency?: number;
  /**
   * A write wave of at least this many items uses TransactWriteItems (fewer requests, 2× write units). Default
   * 100. A first load (no item of this prefix in the table yet) uses transactions for every wave of 2 or more.
   */
  transactionThreshold?: number;
  /** Bound on retries of throttled or failed requests. */
  retry?: Partial<RetryOptions>;
}

/** Pass a client, or the configuration to build one, never both. */
export type DynamoDBFlagStoreOptions = CommonOptions &
  ({ client: DynamoDBClient; clientConfig?: never } | { client?: never; clientConfig?: DynamoDBClientConfig });

const KNOWN_OPTIONS = new Set(['tableName', 'prefix', 'client', 'clientConfig', 'logger', 'consistentReads', 'concurrency', 'transactionThreshold', 'retry']);

export interface InitSummary {
  /** Items stored because they were new or had a higher version. */
  written: number;
  /** Items the table already had at the same version: not written. */
  unchanged: number;
  /** Rows removed because the data set no longer has them. */
  deleted: number;
  /** Items skipped because the table had a newer version (the data set, or part of it, was older). */
  stale: number;
  /** Items rejected as invalid or too large (see PartialInitError). */
  rejected: number;
  /** Deletions not made because the data set was stale. */
  deletesSkipped: number;
  /** Items stored in the compressed form because their JSON was over 400 KB. */
  compressed: number;
  /** Whether the read hints row (see read-hints.ts) was rewritten: only when references or sizes changed. */
  hintsWritten: boolean;
  durationMs: number;
  requests: Record<string, number>;
  readCapacityUnits: number;
  writeCapacityUnits: number;
  retries: number;
}

export interface SyncStatus {
  syncedAt: Date;
  source: string;
  summary?: Record<string, unknown>;
}

interface Encoded {
  kind: DataKindName;
  key: string;
  version: number;
  attrs: Record<string, AttributeValue>;
  bytes: number;
  compressed: boolean;
}

type WriteOp =
  | { type: 'put'; item: Encoded }
  | { type: 'delete'; kind: DataKindName; key: string; expectVersion: number | undefined };

type OpResult = 'written' | 'stale';

/** TransactWriteItems limits: 100 actions and 4 MB per request; we keep a margin on the size. */
const TX_MAX_ITEMS = 100;
const TX_MAX_BYTES = 3_500_000;
/** Transactions in flight at once: measured fastest on DynamoDB Local with 2 vCPU (8 beat 4 by 15–25%, 16 no better). */
const TX_CONCURRENCY = 8;

export class DynamoDBFlagStore {
  readonly tableName: string;
  readonly prefix: string | undefined;
  private readonly table: TableClient;
  private readonly logger: StoreLogger;
  private readonly consistentReads: boolean;
  private readonly concurrency: number;
  private readonly transactionThreshold: number;

  constructor(options: DynamoDBFlagStoreOptions) {
    for (const name of Object.keys(options ?? {})) {
      if (!KNOWN_OPTIONS.has(name)) throw new StoreError(`Unknown option '${name}'; expected one of ${[...KNOWN_OPTIONS].join(', ')}`);
    }
    if (typeof options?.tableName !== 'string' || options.tableName.length < 3) {
      throw new StoreError(`Option 'tableName' must be a DynamoDB table name (3 to 255 characters), got ${JSON.stringify(options?.tableName)}`);
    }
    if (options.client && options.clientConfig) throw new StoreError("Pass either 'client' or 'clientConfig', not both");
    if (options.prefix !== undefined && typeof options.prefix !== 'string') throw new StoreError(`Option 'prefix' must be a string, got ${typeof options.prefix}`);
    this.tableName = options.tableName;
    this.prefix = options.prefix || undefined;
    this.logger = options.logger ?? silentLogger;
    this.consistentReads = options.consistentReads ?? false;
    this.concurrency = positiveInt('concurrency', options.concurrency, 16);
    this.transactionThreshold = positiveInt('transactionThreshold', options.transactionThreshold, 100);
    this.table = new TableClient(this.tableName, options, { ...defaultRetry, ...options.retry });
  }

  /** Requests and capacity consumed by this store so far. */
  get usage(): Usage {
    return this.table.usage;
  }

  /** Replaces the data for this prefix with `data`, writing only what changed. See the notes at the top. */
  async init(data: FullDataSet): Promise<InitSummary> {
    const started = performance.now();
    const before = snapshot(this.table.usage);
    const input = checkDataSet(data);

    const problems: (ItemValidationError | ItemTooLargeError)[] = [];
    const incoming: Record<DataKindName, Map<string, Encoded>> = { segments: new Map(), features: new Map() };
    const rejectedKeys: Record<DataKindName, Set<string>> = { segments: new Set(), features: new Set() };
    let compressed = 0;
    for (const kind of ['segments', 'features'] as const) {
      for (const [mapKey, raw] of Object.entries(kind === 'features' ? input.flags : input.segments)) {
        try {
          const enc = this.encode(kind, checkItem(kind, raw, mapKey));
          if (enc.compressed) compressed++;
          incoming[kind].set(mapKey, enc);
        } catch (err) {
          if (!(err instanceof ItemValidationError || err instanceof ItemTooLargeError)) throw err;
          problems.push(err);
          rejectedKeys[kind].add(mapKey);
          this.logger.error(err.message);
        }
      }
    }

    // The read hints' key ranges let the version reads run as parallel queries instead of a chain of pages.
    const [hintState, markerPresent] = await Promise.all([this.readHintState(), this.markerExists(false)]);
    const [segmentsNow, featuresNow] = await Promise.all([
      this.readVersions('segments', hintState?.ranges?.segments),
      this.readVersions('features', hintState?.ranges?.features),
    ]);
    const existing: Record<DataKindName, Map<string, number>> = { segments: segmentsNow, features: featuresNow };

    let unchanged = 0;
    let stale = 0;
    const toWrite: Record<DataKindName, Encoded[]> = { segments: [], features: [] };
    for (const kind of ['segments', 'features'] as const) {
      for (const enc of incoming[kind].values()) {
        const current = existing[kind].get(enc.key);
        if (current === undefined || current < enc.version) toWrite[kind].push(enc);
        else if (current === enc.version) unchanged++;
        else stale++;
      }
    }

    const deletions: Record<DataKindName, WriteOp[]> = { segments: [], features: [] };
    for (const kind of ['features', 'segments'] as const) {
      for (const [key, version] of existing[kind]) {
        if (!incoming[kind].has(key) && !rejectedKeys[kind].has(key)) {
          deletions[kind].push({ type: 'delete', kind, key, expectVersion: version });
        }
      }
    }
    const staleDataSet = stale > 0;
    let deletesSkipped = 0;
    if (stale > 0 && deletions.features.length + deletions.segments.length > 0) {
      deletesSkipped = deletions.features.length + deletions.segments.length;
      this.logger.warn(
        `Data set for ${this.describe()} is older than the table for ${stale} item(s); skipping ${deletesSkipped} deletion(s) so that newer items are not removed`,
      );
      deletions.features = [];
      deletions.segments = [];
    }

    const waves: WriteOp[][] = [
      toWrite.segments.map((item): WriteOp => ({ type: 'put', item })),
      ...prerequisiteLevels(toWrite.features, (enc) => enc.key, (key) => (key in input.flags ? prerequisiteKeys(input.flags[key]) : undefined)).map((level) =>
        level.map((item): WriteOp => ({ type: 'put', item })),
      ),
      ...(await this.deletionWaves(deletions.features)),
      deletions.segments,
    ].filter((w) => w.length > 0);

    // A first load writes every item once and then never again: it trades write units for speed, sending
    // even the small waves (a level of dependent flags) as transactions, which on DynamoDB Local write 50
    // items in a fifth of the time 50 parallel PutItems take. Re-syncs keep single puts at 1× write units.
    const firstLoad = existing.features.size === 0 && existing.segments.size === 0;
    let written = 0;
    let deleted = 0;
    for (let i = 0; i < waves.length; i++) {
      const wave = waves[i]!;
      let results: OpResult[];
      try {
        results = await this.applyWave(wave, firstLoad);
      } catch (err) {
        const notAttempted = waves.slice(i + 1).flat();
        const failed = err instanceof WriteFailedError ? err.unwritten : wave.map(opTarget);
        const unwritten = [...failed, ...notAttempted.map(opTarget), { kind: '$inited' as const, key: initedKey(this.prefix) }];
        throw new WriteFailedError(unwritten, err instanceof WriteFailedError ? err.cause : err);
      }
      wave.forEach((op, j) => {
        if (results[j] === 'stale') stale++;
        else if (op.type === 'put') written++;
        else deleted++;
      });
    }

    // Read hints are planned from the data set, so an older one (which the table has partly overtaken) skips them.
    const hintsWritten = staleDataSet
      ? false
      : await this.updateReadHints(
          {
            features: [...incoming.features.values()].map((enc): HintSource => ({ key: enc.key, bytes: enc.bytes, item: input.flags[enc.key] })),
            segments: [...incoming.segments.values()].map((enc): HintSource => ({ key: enc.key, bytes: enc.bytes, item: input.segments[enc.key] })),
          },
          hintState,
        );

    // The marker never changes once written, so a re-sync that changed nothing writes nothing at all.
    if (!markerPresent) await this.putMarker();

    const after = this.table.usage;
    const summary: InitSummary = {
      written,
      unchanged,
      deleted,
      stale,
      rejected: problems.length,
      deletesSkipped,
      compressed,
      hintsWritten,
      durationMs: Math.round(performance.now() - started),
      ...diffUsage(before, after),
    };
    this.logger.info(`Init of ${this.describe()}: ${written} written, ${unchanged} unchanged, ${deleted} deleted, ${stale} stale, ${problems.length} rejected`);
    if (problems.length > 0) throw new PartialInitError(summary, problems);
    return summary;
  }

  /** Stores `item` if its version is higher than the stored one. Resolves false when the table had that version or newer. */
  async upsert(kind: DataKindName, item: VersionedItem): Promise<boolean> {
    checkKind(kind, (item as { key?: string })?.key);
    const enc = this.encode(kind, checkItem(kind, item));
    return (await this.writeOne({ type: 'put', item: enc })) === 'written';
  }

  /** Stores a tombstone for `key` at `version`, under the same version rule as upsert. */
  async delete(kind: DataKindName, key: string, version: number): Promise<boolean> {
    checkKind(kind, key);
    checkKey(kind, key);
    checkVersion(kind, key, version);
    const enc = this.encode(kind, { key, version, deleted: true });
    return (await this.writeOne({ type: 'put', item: enc })) === 'written';
  }

  /** The item, or null when it is missing or deleted. */
  async get(kind: DataKindName, key: string): Promise<VersionedItem | null> {
    const item = await this.getIncludingDeleted(kind, key);
    return item && !item.deleted ? item : null;
  }

  /** Every item of a kind, keyed by key, without deleted ones. */
  async all(kind: DataKindName): Promise<Record<string, VersionedItem>> {
    // Null prototype: keys such as "__proto__" are ordinary keys here (security fix; the writer rewrite keeps this).
    const result: Record<string, VersionedItem> = Object.create(null);
    for (const [key, item] of Object.entries(await this.allIncludingDeleted(kind))) if (!item.deleted) result[key] = item;
    return result;
  }

  /** Like get, but returns tombstones (`deleted: true`) too: what a version comparison needs. */
  async getIncludingDeleted(kind: DataKindName, key: string): Promise<VersionedItem | null> {
    checkKind(kind, key);
    const out = await this.table.send<{ Item?: Record<string, AttributeValue> }>(
      'GetItem',
      new GetItemCommand({
        TableName: this.tableName,
        Key: { namespace: { S: namespaceFor(this.prefix, kind) }, key: { S: key } },
        ConsistentRead: this.consistentReads,
      }),
    );
    return out.Item ? this.decode(kind, key, out.Item as StoredRow) : null;
  }

  /** Like all, but with tombstones. */
  async allIncludingDeleted(kind: DataKindName): Promise<Record<string, VersionedItem>> {
    checkKind(kind);
    const rows = await this.table.queryAll({
      KeyConditionExpression: '#ns = :ns',
      ExpressionAttributeNames: { '#ns': 'namespace' },
      ExpressionAttributeValues: { ':ns': { S: namespaceFor(this.prefix, kind) } },
      ConsistentRead: this.consistentReads,
    });
    const result: Record<string, VersionedItem> = Object.create(null);
    for (const row of rows) {
      const key = row.key?.S;
      if (key === undefined) continue;
      const item = this.decode(kind, key, row as StoredRow);
      if (item) result[key] = item;
    }
    return result;
  }

  /** Whether any writer has completed an init for this prefix (the `$inited` marker exists). */
  async initialized(): Promise<boolean> {
    return this.markerExists(this.consistentReads);
  }

  private async markerExists(consistent: boolean): Promise<boolean> {
    const marker = initedKey(this.prefix);
    const out = await this.table.send<{ Item?: unknown }>(
      'GetItem',
      new GetItemCommand({
        TableName: this.tableName,
        Key: { namespace: { S: marker }, key: { S: marker } },
        ConsistentRead: consistent,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    return out.Item !== undefined;
  }

  /**
   * Records when and from where data was last synced, in an item outside LaunchDarkly's namespaces
   * (`[prefix:]$syncStatus`), so consumers and alarms can tell how fresh the table is.
   */
  async recordSync(record: { source: string; at?: Date; summary?: object }): Promise<void> {
    const id = prefixed(this.prefix, SYNC_STATUS_KEY);
    const at = record.at ?? new Date();
    const item: Record<string, AttributeValue> = {
      namespace: { S: id },
      key: { S: id },
      syncedAt: { N: String(at.getTime()) },
      source: { S: record.source },
    };
    if (record.summary) item.summary = { S: JSON.stringify(record.summary) };
    try {
      // Conditional so that a slow writer never moves the time backwards.
      await this.table.send('PutItem', new PutItemCommand({
        TableName: this.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(syncedAt) OR syncedAt <= :at',
        ExpressionAttributeValues: { ':at': { N: String(at.getTime()) } },
        ReturnConsumedCapacity: 'TOTAL',
      }));
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return;
      throw new WriteFailedError([{ kind: '$syncStatus', key: id }], err);
    }
  }

  async syncStatus(): Promise<SyncStatus | null> {
    const id = prefixed(this.prefix, SYNC_STATUS_KEY);
    const out = await this.table.send<{ Item?: Record<string, AttributeValue> }>(
      'GetItem',
      new GetItemCommand({ TableName: this.tableName, Key: { namespace: { S: id }, key: { S: id } }, ConsistentRead: this.consistentReads }),
    );
    if (!out.Item?.syncedAt?.N) return null;
    let summary: Record<string, unknown> | undefined;
    try {
      summary = out.Item.summary?.S ? JSON.parse(out.Item.summary.S) : undefined;
    } catch {
      summary = undefined;
    }
    return { syncedAt: new Date(Number(out.Item.syncedAt.N)), source: out.Item.source?.S ?? 'unknown', summary };
  }

  /** Destroys the DynamoDB client if this store created it; a client passed in stays the caller's. */
  close(): void {
    this.table.destroy();
  }

  private describe(): string {
    return `table ${this.tableName}${this.prefix ? ` prefix ${this.prefix}` : ''}`;
  }

  private encode(kind: DataKindName, item: VersionedItem): Encoded {
    let json: string;
    try {
      json = JSON.stringify(item.deleted ? { key: item.key, version: item.version, deleted: true } : item);
    } catch (err) {
      // A cycle or nesting deeper than the JSON encoder's stack: this item cannot be stored, the others can.
      throw new ItemValidationError(kind, item.key, `cannot be serialised to JSON (${(err as Error).message})`);
    }
    const base = {
      namespace: { S: namespaceFor(this.prefix, kind) },
      key: { S: item.key },
      version: { N: String(item.version) },
    };
    const plain = { ...base, item: { S: json } };
    const bytes = estimateItemBytes(plain);
    if (bytes <= MAX_ITEM_BYTES) return { kind, key: item.key, version: item.version, attrs: plain, bytes, compressed: false };
    const packed = { ...base, [COMPRESSED_ATTRIBUTE]: { B: gzipSync(json, { level: 9 }) } };
    const packedBytes = estimateItemBytes(packed);
    if (packedBytes > MAX_ITEM_BYTES) throw new ItemTooLargeError(kind, item.key, packedBytes, MAX_ITEM_BYTES);
    this.logger.warn(`${kind}/${item.key} is ${bytes} bytes; stored gzip-compressed (${packedBytes} bytes), which LaunchDarkly's own readers see as deleted`);
    return { kind, key: item.key, version: item.version, attrs: packed, bytes: packedBytes, compressed: true };
  }

  private decode(kind: DataKindName, key: string, row: StoredRow): VersionedItem | null {
    let json: string | undefined;
    try {
      json = rowJson(row);
      if (json === undefined) return { key, version: rowVersion(row), deleted: true };
      return JSON.parse(json) as VersionedItem;
    } catch (err) {
      this.logger.error(`${kind}/${key} in ${this.describe()} holds unreadable JSON; treating it as deleted (${(err as Error).message})`);
      return null;
    }
  }

  /** Keys and versions of a namespace (a projected query), over the hinted key ranges in parallel when there are any. */
  private async readVersions(kind: DataKindName, splits: string[] = []): Promise<Map<string, number>> {
    const pages = await Promise.all(
      rangesOf(splits).map(([lo, hi]) => {
        const range = rangeKeyCondition(lo, hi);
        return this.table.queryAll({
          KeyConditionExpression: `#ns = :ns${range.expression}`,
          ProjectionExpression: '#k, #v',
          ExpressionAttributeNames: { '#ns': 'namespace', '#k': 'key', '#v': 'version' },
          ExpressionAttributeValues: { ':ns': { S: namespaceFor(this.prefix, kind) }, ...range.values },
        });
      }),
    );
    const versions = new Map<string, number>();
    // Adjacent ranges share their boundary key: the map keeps it once.
    for (const rows of pages) for (const row of rows) if (row.key?.S !== undefined) versions.set(row.key.S, rowVersion(row as StoredRow));
    return versions;
  }

  /** What the stored read hints were planned from; undefined when there are none (or they cannot be read). */
  private async readHintState(): Promise<{ refsDigest?: string; features?: number; segments?: number; ranges?: ReadHints['ranges'] } | undefined> {
    const id = readHintsKey(this.prefix);
    try {
      const out = await this.table.send<{ Item?: Record<string, AttributeValue> }>(
        'GetItem',
        new GetItemCommand({
          TableName: this.tableName,
          Key: { namespace: { S: id }, key: { S: id } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      if (!out.Item) return undefined;
      return {
        refsDigest: out.Item.refsDigest?.S,
        features: Number(out.Item.featureCount?.N),
        segments: Number(out.Item.segmentCount?.N),
        ranges: decodeReadHints(out.Item.hints?.B)?.ranges,
      };
    } catch (err) {
      this.logger.warn(`Could not read the read hints of ${this.describe()}; they will be rewritten (${(err as Error).message})`);
      return undefined;
    }
  }

  /**
   * Rewrites the read hints row when the references between items changed or a namespace grew or shrank by
   * more than a tenth, so a re-sync that changed nothing (or only flag contents) does not write it. A failure
   * is logged, not thrown: hints only spare readers round trips.
   */
  private async updateReadHints(sources: Record<DataKindName, HintSource[]>, previous: Awaited<ReturnType<DynamoDBFlagStore['readHintState']>>): Promise<boolean> {
    const hints = computeReadHints(sources);
    const refsDigest = createHash('sha256').update(JSON.stringify(hints.refs)).digest('base64url');
    const close = (before: number | undefined, now: number) => before !== undefined && Math.abs(before - now) <= Math.max(50, before / 10);
    if (previous && previous.refsDigest === refsDigest && close(previous.features, sources.features.length) && close(previous.segments, sources.segments.length)) return false;
    const { bytes, refsDropped } = encodeReadHints(hints);
    if (refsDropped) this.logger.warn(`Read hints of ${this.describe()} would exceed the item limit with references; storing key ranges only`);
    const id = readHintsKey(this.prefix);
    try {
      await this.table.send('PutItem', new PutItemCommand({
        TableName: this.tableName,
        Item: {
          namespace: { S: id },
          key: { S: id },
          hints: { B: bytes },
          refsDigest: { S: refsDigest },
          featureCount: { N: String(sources.features.length) },
          segmentCount: { N: String(sources.segments.length) },
        },
        ReturnConsumedCapacity: 'TOTAL',
      }));
      return true;
    } catch (err) {
      this.logger.warn(`Could not write the read hints of ${this.describe()}; readers plan their reads without them (${(err as Error).message})`);
      return false;
    }
  }

  private async putMarker(): Promise<void> {
    const marker = initedKey(this.prefix);
    try {
      await this.table.send('PutItem', new PutItemCommand({
        TableName: this.tableName,
        Item: { namespace: { S: marker }, key: { S: marker } },
        ReturnConsumedCapacity: 'TOTAL',
      }));
    } catch (err) {
      throw new WriteFailedError([{ kind: '$inited', key: marker }], err);
    }
  }

  /**
   * Deletions of flags, dependents before the prerequisites they name (the reverse of the creation order),
   * so that a reader never finds a live flag whose prerequisite is already gone. Only the flags being
   * deleted are read, and only when there are two or more of them, so a sync without deletions reads nothing.
   */
  private async deletionWaves(ops: WriteOp[]): Promise<WriteOp[][]> {
    if (ops.length < 2) return [ops];
    const keys = ops.map((op) => opTarget(op).key);
    const prerequisites = new Map<string, string[]>();
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        const item = await this.getIncludingDeleted('features', key);
        prerequisites.set(key, item && !item.deleted ? prerequisiteKeys(item) : []);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, ops.length) }, worker));
    const levels = prerequisiteLevels(ops, (op) => opTarget(op).key, (key) => prerequisites.get(key));
    return levels.reverse();
  }

  /** Applies one wave of independent writes; resolves with each op's outcome, or rejects with what was not written. */
  private async applyWave(ops: WriteOp[], firstLoad = false): Promise<OpResult[]> {
    if (ops.length >= this.transactionThreshold || (firstLoad && ops.length >= 2)) return this.applyTransactions(ops);
    const results: OpResult[] = new Array(ops.length);
    const failed: UnwrittenItem[] = [];
    let firstError: unknown;
    let next = 0;
    const worker = async () => {
      while (next < ops.length) {
        const i = next++;
        try {
          results[i] = await this.writeOp(ops[i]!);
        } catch (err) {
          firstError ??= err;
          failed.push(opTarget(ops[i]!));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, ops.length) }, worker));
    if (failed.length > 0) throw new WriteFailedError(failed, firstError);
    return results;
  }

  private async writeOne(op: WriteOp): Promise<OpResult> {
    try {
      return await this.writeOp(op);
    } catch (err) {
      throw new WriteFailedError([opTarget(op)], err);
    }
  }

  private async writeOp(op: WriteOp): Promise<OpResult> {
    try {
      if (op.type === 'put') {
        await this.table.send('PutItem', new PutItemCommand({ TableName: this.tableName, ...putCondition(op.item), ReturnConsumedCapacity: 'TOTAL' }));
      } else {
        await this.table.send('DeleteItem', new DeleteItemCommand({ TableName: this.tableName, ...this.deleteCondition(op), ReturnConsumedCapacity: 'TOTAL' }));
      }
      return 'written';
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return 'stale';
      throw err;
    }
  }

  private deleteCondition(op: Extract<WriteOp, { type: 'delete' }>): {
    Key: Record<string, AttributeValue>;
    ConditionExpression: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues?: Record<string, AttributeValue>;
  } {
    const Key = { namespace: { S: namespaceFor(this.prefix, op.kind) }, key: { S: op.key } };
    return op.expectVersion === undefined
      ? { Key, ConditionExpression: 'attribute_exists(#k) AND attribute_not_exists(#v)', ExpressionAttributeNames: { '#k': 'key', '#v': 'version' } }
      : { Key, ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': { N: String(op.expectVersion) } } };
  }

  /** Bulk writes as transactions of conditional writes; items whose condition failed are dropped and the rest resent. */
  private async applyTransactions(ops: WriteOp[]): Promise<OpResult[]> {
    const results: OpResult[] = new Array(ops.length).fill('written');
    const chunks: number[][] = [];
    let chunk: number[] = [];
    let bytes = 0;
    ops.forEach((op, i) => {
      const size = op.type === 'put' ? op.item.bytes : 200;
      if (chunk.length === TX_MAX_ITEMS || (chunk.length > 0 && bytes + size > TX_MAX_BYTES)) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(i);
      bytes += size;
    });
    if (chunk.length > 0) chunks.push(chunk);

    const failed: UnwrittenItem[] = [];
    let firstError: unknown;
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const indexes = chunks[next++]!;
        try {
          for (const i of await this.transact(indexes.map((i) => ops[i]!))) results[indexes[i]!] = 'stale';
        } catch (err) {
          firstError ??= err;
          failed.push(...indexes.map((i) => opTarget(ops[i]!)));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(TX_CONCURRENCY, chunks.length) }, worker));
    if (failed.length > 0) throw new WriteFailedError(failed, firstError);
    return results;
  }

  /** Writes `ops` in one transaction; returns the indexes (into ops) whose condition failed, i.e. were stale. */
  private async transact(ops: WriteOp[]): Promise<number[]> {
    let pending = ops.map((_, i) => i);
    const stale: number[] = [];
    for (let attempt = 1; pending.length > 0; attempt++) {
      const items: TransactWriteItem[] = pending.map((i) => {
        const op = ops[i]!;
        return op.type === 'put'
          ? { Put: { TableName: this.tableName, ...putCondition(op.item) } }
          : { Delete: { TableName: this.tableName, ...this.deleteCondition(op) } };
      });
      try {
        await this.table.send('TransactWriteItems', new TransactWriteItemsCommand({ TransactItems: items, ReturnConsumedCapacity: 'TOTAL' }));
        return stale;
      } catch (err) {
        if ((err as Error).name !== 'TransactionCanceledException') throw err;
        const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
        const conditionFailed = new Set(reasons.flatMap((r, j) => (r.Code === 'ConditionalCheckFailed' ? [j] : [])));
        if (conditionFailed.size === 0) {
          // Cancelled for another reason: retry only if DynamoDB says it is transient.
          if (!isRetryable(err) || attempt >= this.table.retry.maxAttempts) throw err;
          this.table.usage.retries++;
          await sleep(backoffDelay(attempt, this.table.retry));
          continue;
        }
        for (const j of conditionFailed) stale.push(pending[j]!);
        pending = pending.filter((_, j) => !conditionFailed.has(j));
      }
    }
    return stale;
  }
}

function putCondition(item: Encoded) {
  return {
    Item: item.attrs,
    ConditionExpression: 'attribute_not_exists(#v) OR #v < :v',
    ExpressionAttributeNames: { '#v': 'version' },
    ExpressionAttributeValues: { ':v': { N: String(item.version) } },
  };
}

function opTarget(op: WriteOp): UnwrittenItem {
  return op.type === 'put' ? { kind: op.item.kind, key: op.item.key } : { kind: op.kind, key: op.key };
}

function checkDataSet(data: unknown): FullDataSet {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new StoreError(`init expects a data set {"flags": {...}, "segments": {...}}, got ${data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data}`);
  }
  const { flags = {}, segments = {} } = data as Record<string, unknown>;
  for (const [name, value] of [['flags', flags], ['segments', segments]] as const) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new StoreError(`init expects "${name}" to be an object keyed by ${name === 'flags' ? 'flag' : 'segment'} key, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
    }
  }
  return { flags, segments } as FullDataSet;
}

/**
 * Groups flags into levels so that every flag comes after the flags it names as prerequisites. A flag's
 * level counts every prerequisite `prerequisitesOf` knows (undefined: not a flag of the set), so for writes
 * unchanged prerequisites count too. A prerequisite cycle, which LaunchDarkly prevents but bad input may
 * contain, is broken arbitrarily rather than looping.
 */
function prerequisiteLevels<T>(items: T[], keyOf: (item: T) => string, prerequisitesOf: (key: string) => string[] | undefined): T[][] {
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const levelOf = (key: string): number => {
    const known = level.get(key);
    if (known !== undefined) return known;
    const prerequisites = visiting.has(key) ? undefined : prerequisitesOf(key);
    if (prerequisites === undefined) return -1;
    visiting.add(key);
    let l = 0;
    for (const p of prerequisites) l = Math.max(l, levelOf(p) + 1);
    visiting.delete(key);
    level.set(key, l);
    return l;
  };
  const levels: T[][] = [];
  for (const item of items) (levels[Math.max(0, levelOf(keyOf(item)))] ??= []).push(item);
  return levels.filter((l) => l && l.length > 0);
}

function positiveInt(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new StoreError(`Option '${name}' must be a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

function snapshot(u: Usage): Usage {
  return { ...u, requests: { ...u.requests } };
}

function diffUsage(before: Usage, after: Usage): Pick<InitSummary, 'requests' | 'readCapacityUnits' | 'writeCapacityUnits' | 'retries'> {
  const requests: Record<string, number> = {};
  for (const [op, n] of Object.entries(after.requests)) {
    const d = n - (before.requests[op] ?? 0);
    if (d > 0) requests[op] = d;
  }
  return {
    requests,
    readCapacityUnits: round(after.readCapacityUnits - before.readCapacityUnits),
    writeCapacityUnits: round(after.writeCapacityUnits - before.writeCapacityUnits),
    retries: after.retries - before.retries,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;
export { emptyUsage };
