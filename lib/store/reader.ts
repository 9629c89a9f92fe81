// ReadOnlyFeatureStore: the feature store consumer Lambdas give @launchdarkly/node-server-sdk v9 (with
// `useLdd: true`) to evaluate flags straight from the table the sync writes, in LaunchDarkly's layout.
// Shipped to consumers as `ld-dynamodb-sync/store`, so it imports only the table layout, its lean DynamoDB
// transport and the SDK (which the consumer loads anyway): nothing of the writer, the sync core or the sources.
//
// Implementation notes (what differs from LaunchDarkly's DynamoDB store, and why; docs/cold-start.md):
// - No AWS SDK on the cold path: reads go through lib/store/transport (aws4-signed HTTP with keep-alive),
//   unless the caller passes an SDK client, which is then used as it is.
// - LaunchDarkly's store makes one GetItem per flag, prerequisite and segment, one after another. Here, gets
//   made in the same tick are sent as one BatchGetItem (reader/batch-loader.ts) with the `$inited` marker and
//   the writer's read hints riding along. When the hints say both namespaces fit one Query page, both are
//   read whole at once and every later flag, in whatever order it is asked for, is served from the cache.
//   Otherwise, when a flag or segment arrives its prerequisites and segments (and, from the hints, theirs)
//   are fetched right away in one batch, so the evaluator's follow-up gets find them in flight or cached.
// - all('features') (allFlagsState) also loads all segments in parallel; a large namespace is read as key
//   ranges in parallel (reader/namespace-query.ts).
// - Caching lives here (reader/ttl-cache.ts), not in the SDK's PersistentDataStoreWrapper, which would cache
//   key by key and miss prefetched items. With cacheTTL 0 every get and all reads the table; two exceptions
//   keep that from multiplying requests: dependencies fetched ahead for an evaluation are kept (for at most a
//   second) for that evaluation's lookups, and while the SDK evaluates the result of all('features') (it does
//   so synchronously) its prerequisite and segment lookups are answered from the flags and segments just read.
// - Reads never fail an evaluation: an error is logged and the SDK gets null (the flag's default), as
//   LaunchDarkly's wrapper does. Write methods throw: a read-only store never pretends to have written.
// - Flag keys are data: lookups use own-property checks, so `__proto__` or `toString` are plain keys.
import type {
  DataKind,
  LDClientContext,
  LDFeatureStore,
  LDFeatureStoreItem,
  LDFeatureStoreKindData,
  LDLogger,
} from '@launchdarkly/node-server-sdk';
import { isDataKind, namespaceFor, prerequisiteKeys, segmentKeys, type StoredRow } from './layout.js';
import { decodeReadHints, parseRefId, refId as hintRefId, type ReadHints } from './read-hints.js';
import { BatchLoader, refId, type Loaded, type Pending } from './reader/batch-loader.js';
import { decodeRow, errorText } from './reader/decode.js';
import { readNamespace } from './reader/namespace-query.js';
import { resolveStoreOptions, type StoreOptions } from './options.js';
import { TtlCache } from './reader/ttl-cache.js';
import { createReadTransport, type ReadTransport } from './transport/transport.js';
import type { DataKindName } from './types.js';

export { StoreOptionsError, StoreOptionsError as ReaderOptionsError } from './errors.js';
export { DynamoDBBigSegmentStore, type DynamoDBBigSegmentStoreOptions } from './big-segments.js';
export type { StoreOptions, StoreBaseOptions, LDDynamoDBOptions } from './options.js';

/** Our option names and LaunchDarkly's (options.ts): a client, or the configuration the transport is built from. */
export type ReadOnlyFeatureStoreOptions = StoreOptions;
export { createReadTransport, type ReadTransport } from './transport/transport.js';

/** Thrown by the write methods (init, upsert, delete): this store only reads. */
export class ReadOnlyStoreError extends Error {
  override name = 'ReadOnlyStoreError';
  constructor(
    readonly method: string,
    readonly tableName: string,
    readonly prefix: string | undefined,
  ) {
    super(
      `ReadOnlyDynamoDBFeatureStore.${method}() was called for table "${tableName}"${prefix ? ` (prefix "${prefix}")` : ''}, ` +
        'but this store is read-only: flags are written by ld-dynamodb-sync. ' +
        'Configure the SDK with useLdd: true so it never writes to its feature store.',
    );
  }
}

/** With cacheTTL 0, how long items read on a lookup's behalf wait for the evaluation that needs them. */
const HOLD_MS = 1000;
/** Read hints are a plan, not data: kept this long, then refreshed by riding along with a later batch. */
const HINTS_TTL_MS = 5 * 60_000;
/** At most this many dependencies are fetched ahead for one item (a guard against a pathological hint). */
const MAX_PREFETCH = 500;

type Item = LDFeatureStoreItem;
type Value = Item | null;
type KindData = LDFeatureStoreKindData;

/** What a marker read resolves to when the marker exists (its row carries no item). */
const MARKER_PRESENT: Item = { version: 0 };

const silent: LDLogger = { error() {}, warn() {}, info() {}, debug() {} };

/**
 * A factory for the SDK's `featureStore` option:
 * `init(sdkKey, { useLdd: true, featureStore: ReadOnlyFeatureStore('flags', { prefix: 'production' }) })`.
 * Options are checked here, so a mistake fails at start-up rather than at the first evaluation.
 */
export function ReadOnlyFeatureStore(
  tableName: string,
  options: ReadOnlyFeatureStoreOptions = {},
): (clientContext: LDClientContext) => LDFeatureStore {
  resolveStoreOptions('ReadOnlyFeatureStore', tableName, options);
  return (clientContext) => new ReadOnlyDynamoDBFeatureStore(tableName, options, clientContext?.basicConfiguration?.logger);
}

export class ReadOnlyDynamoDBFeatureStore implements LDFeatureStore {
  readonly tableName: string;
  readonly prefix: string | undefined;
  private readonly transport: ReadTransport;
  private readonly ttlMs: number;
  private readonly consistentReads: boolean;
  private readonly logger: LDLogger;
  private readonly loader: BatchLoader;

  /** Items by id ("features:<key>"); whole kinds; the writer's read hints (null when none or unusable). */
  private readonly cache = new TtlCache<string, Value>();
  private readonly allCache = new TtlCache<DataKindName, KindData>();
  /** The writer's read hints (null: none, or unusable); past `expires` still used while a fresh copy is read. */
  private hints: { value: ReadHints | null; expires: number } | undefined;
  private readonly allLoading = new Map<DataKindName, Promise<KindData | undefined>>();
  /** With the cache off: what all() just read, visible only while the SDK runs its callback. */
  private scope: Partial<Record<DataKindName, KindData>> | undefined;
  private initedTrue = false;
  private initedFalseUntil = 0;
  private closed = false;

  constructor(tableName: string, options: ReadOnlyFeatureStoreOptions = {}, sdkLogger?: LDLogger) {
    const settings = resolveStoreOptions('ReadOnlyFeatureStore', tableName, options);
    this.tableName = tableName;
    this.prefix = settings.prefix;
    this.ttlMs = settings.cacheTTLSeconds * 1000;
    this.consistentReads = settings.consistentReads;
    this.logger = settings.logger ?? sdkLogger ?? silent;
    for (const warning of settings.warnings) this.logger.warn(warning);
    // The lean transport unless the caller hands us an SDK client (or a configuration only the SDK implements).
    this.transport = createReadTransport({ client: settings.client, clientConfig: settings.clientConfig });
    this.loader = new BatchLoader({
      transport: this.transport,
      tableName,
      prefix: this.prefix,
      consistentReads: settings.consistentReads,
      // initialized() then costs no request of its own, and the hints arrive with the first items.
      extras: () => [
        ...(this.markerUnknown() ? [{ tag: 'marker' as const }] : []),
        ...(this.hintsDue() ? [{ tag: 'hints' as const }] : []),
      ],
      settle: (pending, row) => this.settle(pending, row),
      onError: (keys, err) =>
        this.logger.error(
          `ReadOnlyDynamoDBFeatureStore: could not read ${describeKeys(keys)} from DynamoDB table "${this.tableName}"; ` +
            `evaluations get their default value: ${errorText(err)}`,
        ),
      isClosed: () => this.closed,
    });
  }

  get(kind: DataKind, key: string, callback: (res: Item | null) => void): void {
    const name = kindOf(kind);
    if (!name) return this.answer(callback, null);
    const scoped = this.scope?.[name];
    if (scoped) return this.answer(callback, ownItem(scoped, key));
    // A read already under way is newer than anything cached (with the cache off, it is this evaluation's).
    const pending = this.loader.pending(itemId(name, key));
    if (pending) return void pending.then((value) => this.answer(callback, value ?? null));
    const hit = this.cache.get(itemId(name, key));
    if (hit) return this.answer(callback, hit.value);
    this.load(name, key).then((value) => this.answer(callback, value ?? null));
  }

  all(kind: DataKind, callback: (res: KindData) => void): void {
    const name = kindOf(kind);
    if (!name) return this.answer(callback, {});
    // Evaluating flags needs their segments: load them alongside.
    const withSegments = name === 'features';
    if (this.ttlMs > 0) {
      if (withSegments && !this.allCache.get('segments')) void this.loadAll('segments');
      const hit = this.allCache.get(name);
      if (hit) return this.answer(callback, hit.value);
      this.loadAll(name).then((items) => this.answer(callback, items ?? {}));
      return;
    }
    void Promise.all([this.loadAll(name), withSegments ? this.loadAll('segments') : undefined]).then(([items, segments]) => {
      this.scope = { [name]: items, ...(segments ? { segments } : {}) };
      try {
        this.answer(callback, items ?? {});
      } finally {
        this.scope = undefined;
      }
    });
  }

  initialized(callback: (isInitialized: boolean) => void): void {
    if (this.initedTrue) return this.answer(callback, true);
    if (Date.now() < this.initedFalseUntil) return this.answer(callback, false);
    this.loader.enqueue({ tag: 'marker' }).then((found) => this.answer(callback, found !== undefined && found !== null));
  }

  init(): void {
    this.refuse('init');
  }

  upsert(): void {
    this.refuse('upsert');
  }

  delete(): void {
    this.refuse('delete');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cache.clear();
    this.allCache.clear();
    this.transport.close();
  }

  getDescription(): string {
    return 'DynamoDB (read-only)';
  }

  // ---- the read policy

  private load(kind: DataKindName, key: string): Promise<Loaded> {
    // A small environment (the hints say each namespace fits one query page) is read whole, both namespaces
    // in one parallel wave: every flag asked for afterwards, in whatever order, is then in the cache.
    if (this.readsWhole()) this.loadWholeNamespaces();
    // A query of the whole kind is under way: it will have this item too.
    const whole = this.allLoading.get(kind);
    if (whole) return whole.then((items) => (items ? ownItem(items, key) : undefined));
    const promise = this.loader.enqueue({ tag: 'item', kind, key });
    // Hints already at hand: what this item refers to beyond its own references travels in the same batch.
    if (this.hints?.value) this.prefetchDependencies(kind, undefined, key);
    return promise;
  }

  /**
   * From the writer's hints: a namespace with no split points is under RANGE_TARGET_BYTES (read-hints.ts),
   * one Query page; when both are, one wave of two queries costs a few read units more than item reads and
   * saves a round trip per flag asked for later. Without hints (size unknown), for larger environments, or
   * with the cache off, items are read as they are asked for.
   */
  private readsWhole(): boolean {
    const hints = this.hints?.value;
    return this.ttlMs > 0 && !!hints && hints.ranges.features.length === 0 && hints.ranges.segments.length === 0;
  }

  private loadWholeNamespaces(): void {
    for (const kind of ['features', 'segments'] as const)
      if (!this.allLoading.has(kind) && !this.allCache.get(kind)) void this.loadAll(kind);
  }

  private hintsDue(): boolean {
    return !this.hints || this.hints.expires <= Date.now();
  }

  private markerUnknown(): boolean {
    return !this.initedTrue && Date.now() >= this.initedFalseUntil;
  }

  // ---- single rows, as the batch loader hands them over

  private settle(pending: Pending, row: StoredRow | undefined): void {
    const { ref } = pending;
    if (ref.tag === 'hints') {
      const bytes = (row as { hints?: { B?: Uint8Array } } | undefined)?.hints?.B;
      const value = decodeReadHints(bytes) ?? null;
      if (bytes && !value)
        this.logger.warn(
          `ReadOnlyDynamoDBFeatureStore: read hints in table "${this.tableName}" are in a form this version does not know; ` +
            'reading without them',
        );
      this.hints = { value, expires: Date.now() + HINTS_TTL_MS };
      // Settled before the items of its batch: their dependencies, and every later get, join these queries.
      if (this.readsWhole()) this.loadWholeNamespaces();
      return pending.resolve(null);
    }
    if (ref.tag === 'marker') {
      if (row) this.initedTrue = true;
      else if (this.ttlMs > 0) this.initedFalseUntil = Date.now() + this.ttlMs;
      return pending.resolve(row ? MARKER_PRESENT : null);
    }
    const value = row ? decodeRow(ref.kind, ref.key, row, this.logger) : null;
    // Set before resolving: a lookup that arrives after this batch (for a segment, once the prerequisite
    // fetched with it is evaluated) must find it.
    if (this.ttlMs > 0) this.cache.set(pending.id, value, this.ttlMs);
    else if (pending.prefetch) this.cache.set(pending.id, value, HOLD_MS);
    if (value) this.prefetchDependencies(ref.kind, value, ref.key);
    pending.resolve(value);
  }

  /**
   * Queues the prerequisites and segments an item refers to, and (from the read hints) what those refer to
   * in turn, unless cached or already on their way: a flag's whole dependency tree in one batch.
   */
  private prefetchDependencies(kind: DataKindName, item: Item | undefined, key: string): void {
    const wanted = new Map<string, [DataKindName, string]>();
    const next: string[] = [];
    const self = hintRefId(kind, key);
    const want = (id: string) => {
      const parsed = parseRefId(id);
      if (!parsed || id === self || wanted.has(id) || wanted.size >= MAX_PREFETCH) return;
      wanted.set(id, parsed);
      next.push(id);
    };
    if (item) {
      if (kind === 'features') for (const k of prerequisiteKeys(item)) want(hintRefId('features', k));
      for (const k of segmentKeys(item)) want(hintRefId('segments', k));
    }
    const refs = this.hints?.value?.refs;
    if (refs) {
      const refsOf = (id: string) => (Object.hasOwn(refs, id) && Array.isArray(refs[id]) ? refs[id] : []);
      for (const id of refsOf(self)) want(id);
      while (next.length > 0) for (const id of refsOf(next.shift()!)) want(id);
    }
    for (const [depKind, depKey] of wanted.values()) {
      const id = itemId(depKind, depKey);
      if (this.loader.pending(id) || this.allLoading.has(depKind)) continue;
      if (this.ttlMs > 0 && this.cache.get(id)) continue;
      // With the cache off, an item kept for an earlier evaluation is not reused: this one reads afresh.
      this.cache.delete(id);
      void this.loader.enqueue({ tag: 'item', kind: depKind, key: depKey }, true);
    }
  }

  // ---- whole kinds

  private loadAll(kind: DataKindName): Promise<KindData | undefined> {
    const pending = this.allLoading.get(kind);
    if (pending) return pending;
    const promise = this.queryAll(kind).finally(() => this.allLoading.delete(kind));
    this.allLoading.set(kind, promise);
    return promise;
  }

  private async queryAll(kind: DataKindName): Promise<KindData | undefined> {
    const namespace = namespaceFor(this.prefix, kind);
    // Keys are data: `__proto__` or `toString` must be own entries, never the prototype's.
    const items = Object.create(null) as KindData;
    const rows = new Map<string, Value>();
    try {
      if (this.closed) throw new Error('the store is closed');
      const splits = (await this.readHints())?.ranges[kind] ?? [];
      await readNamespace({
        transport: this.transport,
        tableName: this.tableName,
        consistentReads: this.consistentReads,
        namespace,
        splits,
        take: (key, row) => {
          const value = decodeRow(kind, key, row, this.logger);
          rows.set(key, value);
          if (value) items[key] = value;
        },
      });
    } catch (err) {
      this.logger.error(
        `ReadOnlyDynamoDBFeatureStore: could not read all ${kind} ("${namespace}") from DynamoDB table "${this.tableName}"; ` +
          `${kind === 'features' ? 'allFlagsState gets no flags' : 'segment matches fail'}: ${errorText(err)}`,
      );
      return undefined;
    }
    if (this.ttlMs > 0) {
      for (const [key, value] of rows) this.cache.set(itemId(kind, key), value, this.ttlMs);
      this.allCache.set(kind, items, this.ttlMs);
    }
    return items;
  }

  /** The read hints, fetched first if this store has never had them (stale ones are used while refreshed). */
  private async readHints(): Promise<ReadHints | undefined> {
    if (!this.hints) await this.loader.enqueue({ tag: 'hints' });
    return this.hints?.value ?? undefined;
  }

  // ---- helpers

  /** Calls an SDK callback; an exception from it must not break the store's bookkeeping. */
  private answer<T>(callback: (value: T) => void, value: T): void {
    try {
      callback(value);
    } catch (err) {
      this.logger.error(`ReadOnlyDynamoDBFeatureStore: a feature store callback threw: ${errorText(err)}`);
    }
  }

  private refuse(method: string): never {
    const err = new ReadOnlyStoreError(method, this.tableName, this.prefix);
    this.logger.error(err.message);
    throw err;
  }
}

function kindOf(kind: DataKind | undefined): DataKindName | undefined {
  const ns = kind?.namespace;
  return isDataKind(ns) ? ns : undefined;
}

const itemId = (kind: DataKindName, key: string) => refId({ tag: 'item', kind, key });
const ownItem = (items: KindData, key: string): Item | null => (Object.hasOwn(items, key) ? (items[key] ?? null) : null);

function describeKeys(keys: string[]): string {
  return keys.length <= 5 ? keys.join(', ') : `${keys.slice(0, 5).join(', ')} and ${keys.length - 5} more`;
}
