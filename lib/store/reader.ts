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
//   the writer's read hints riding along. On a cold start a Query page of each namespace goes in the same
//   wave; a page that holds its namespace is adopted whole, so every later flag, in whatever order it is
//   asked for, is served from the cache (reader/whole-kinds.ts: one read moment per evaluation, never two
//   reads joined). Otherwise, when a flag or segment arrives its prerequisites and segments (and, from the hints, theirs)
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
import { isDataKind, prerequisiteKeys, segmentKeys, type StoredRow } from './layout.js';
import { decodeReadHints, fitsOnePage, parseRefId, refId as hintRefId, type ReadHints } from './read-hints.js';
import { BatchLoader, refId, type Loaded, type Pending } from './reader/batch-loader.js';
import { decodeRow, errorText } from './reader/decode.js';
import { resolveStoreOptions, type StoreOptions } from './options.js';
import { TtlCache } from './reader/ttl-cache.js';
import { KINDS, WholeKinds } from './reader/whole-kinds.js';
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
  private readonly whole: WholeKinds;
  /** The writer's read hints (null: none, or unusable); past `expires` still used while a fresh copy is read. */
  private hints: { value: ReadHints | null; expires: number } | undefined;
  /** Items read in a batch while a speculative page of their kind was under way: used only if it did not fit. */
  private readonly heldFor = new Map<string, Promise<KindData | undefined>>();
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
    this.whole = new WholeKinds({
      transport: this.transport,
      tableName,
      prefix: this.prefix,
      consistentReads: settings.consistentReads,
      ttlMs: this.ttlMs,
      logger: this.logger,
      items: this.cache,
      readHints: () => this.readHints(),
      isClosed: () => this.closed,
    });
  }

  get(kind: DataKind, key: string, callback: (res: Item | null) => void): void {
    const name = kindOf(kind);
    if (!name) return this.answer(callback, null);
    const scoped = this.scope?.[name];
    if (scoped) return this.answer(callback, ownItem(scoped, key));
    // A cold start's page of the whole kind is under way: its answer, one read of the table, comes first.
    const speculative = this.whole.speculating(name);
    if (speculative) {
      const found = speculative.then((whole) => (whole ? ownItem(whole, key) : settled(this.lookup(name, key))));
      return void found.then((value) => this.answer(callback, value ?? null));
    }
    const found = this.lookup(name, key);
    if (found instanceof Promise) found.then((value) => this.answer(callback, value ?? null));
    else this.answer(callback, found.value);
  }

  /** The item from a read under way, the cache (synchronously), or a new read. */
  private lookup(name: DataKindName, key: string): { value: Value } | Promise<Loaded> {
    const id = itemId(name, key);
    // A read already under way is newer than anything cached (with the cache off, it is this evaluation's),
    // except one held beside a page of its kind: the page's moment is what the cache holds.
    const pending = this.heldFor.has(id) ? undefined : this.loader.pending(id);
    return pending ?? this.cache.get(id) ?? this.load(name, key);
  }

  all(kind: DataKind, callback: (res: KindData) => void): void {
    const name = kindOf(kind);
    if (!name) return this.answer(callback, {});
    // Evaluating flags needs their segments: load them alongside.
    const withSegments = name === 'features';
    if (this.ttlMs > 0) {
      if (withSegments && !this.whole.cached('segments')) void this.whole.loadAll('segments');
      const hit = this.whole.cached(name);
      if (hit) return this.answer(callback, hit);
      this.whole.loadAll(name).then((items) => this.answer(callback, items ?? {}));
      return;
    }
    const both = [this.whole.loadAll(name), withSegments ? this.whole.loadAll('segments') : undefined];
    void Promise.all(both).then(([items, segments]) => {
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
    this.whole.clear();
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
    // A cold start, size unknown: each namespace as one page, in the same wave as this item's batch.
    else if (!this.hints && this.ttlMs > 0) this.whole.speculate();
    const speculative = this.whole.speculating(kind);
    // A read of the whole kind is under way: it will have this item too.
    const whole = speculative ? undefined : this.whole.inFlight(kind);
    if (whole) return whole.then((items) => (items ? ownItem(items, key) : undefined));
    const promise = this.loader.enqueue({ tag: 'item', kind, key });
    // Hints already at hand: what this item refers to beyond its own references travels in the same batch.
    if (this.hints?.value) this.prefetchDependencies(kind, undefined, key);
    if (!speculative) return promise;
    // The batch's copy is used only if the page did not hold the whole kind (two reads are never mixed).
    this.heldFor.set(itemId(kind, key), speculative);
    return speculative.then((items) => (items ? ownItem(items, key) : promise));
  }

  /**
   * From the writer's hints (fitsOnePage, read-hints.ts): when each namespace fits one Query page, one wave
   * of two queries costs a few read units more than item reads and saves a round trip per flag asked for
   * later. Without hints, for larger environments, or with the cache off, items are read as asked for.
   */
  private readsWhole(): boolean {
    const hints = this.hints?.value;
    return this.ttlMs > 0 && !!hints && KINDS.every((kind) => fitsOnePage(hints, kind) === true);
  }

  private loadWholeNamespaces(): void {
    for (const kind of KINDS) if (!this.whole.inFlight(kind) && !this.whole.cached(kind)) void this.whole.loadAll(kind);
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
      if (value) this.whole.dropSpeculation(value);
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
    const held = this.heldFor.get(pending.id);
    if (held) {
      // Read beside a page of its whole kind: kept (and its dependencies fetched) only if that page did not fit.
      this.heldFor.delete(pending.id);
      void held.then((whole) => whole || this.keep(pending, ref.kind, ref.key, value));
      return pending.resolve(value);
    }
    this.keep(pending, ref.kind, ref.key, value);
    pending.resolve(value);
  }

  private keep(pending: Pending, kind: DataKindName, key: string, value: Value): void {
    // Set before resolving: a lookup that arrives after this batch (for a segment, once the prerequisite
    // fetched with it is evaluated) must find it.
    if (this.ttlMs > 0) this.cache.set(pending.id, value, this.ttlMs);
    else if (pending.prefetch) this.cache.set(pending.id, value, HOLD_MS);
    if (value) this.prefetchDependencies(kind, value, key);
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
      if (this.loader.pending(id) || this.whole.inFlight(depKind)) continue;
      if (this.ttlMs > 0 && this.cache.get(id)) continue;
      // With the cache off, an item kept for an earlier evaluation is not reused: this one reads afresh.
      this.cache.delete(id);
      void this.loader.enqueue({ tag: 'item', kind: depKind, key: depKey }, true);
    }
  }

  // ---- whole kinds (reader/whole-kinds.ts)

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
const settled = (found: { value: Value } | Promise<Loaded>): Value | Promise<Loaded> => (found instanceof Promise ? found : found.value);
const ownItem = (items: KindData, key: string): Item | null => (Object.hasOwn(items, key) ? (items[key] ?? null) : null);

function describeKeys(keys: string[]): string {
  return keys.length <= 5 ? keys.join(', ') : `${keys.slice(0, 5).join(', ')} and ${keys.length - 5} more`;
}
