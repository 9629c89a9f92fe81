// ReadOnlyFeatureStore: the feature store consumer Lambdas give @launchdarkly/node-server-sdk v9 (with
// `useLdd: true`) to evaluate flags straight from the table the sync writes, in LaunchDarkly's layout.
// Shipped to consumers as `ld-dynamodb-sync/store`, so it imports only the table layout, the AWS client
// and the SDK (which the consumer loads anyway): nothing of the writer, the sync core or the sources.
//
// Implementation notes (what differs from LaunchDarkly's DynamoDB store, and why):
// - LaunchDarkly's store makes one GetItem per flag, prerequisite and segment, one after another, because
//   the evaluator asks for them one at a time. On a Lambda cold start that is a chain of round trips.
//   Here, gets made in the same tick are sent as one BatchGetItem, and when a flag or segment arrives its
//   prerequisites and the segments its `segmentMatch` clauses name are fetched right away, in one batch per
//   level, so the evaluator's follow-up gets find them in flight or cached. The first batch also carries
//   the `$inited` marker, so initialized() usually costs nothing.
// - all('features') (allFlagsState) also loads all segments in parallel, since evaluating them needs them.
//   A namespace larger than one 1 MB query page (a few hundred flags) is read as key ranges in parallel
//   rather than page after page: 10,000 flags are 14 pages, which in sequence cost 14 round trips.
// - Caching lives here (not in the SDK's PersistentDataStoreWrapper, which would cache key by key and miss
//   prefetched items). With cacheTTL 0 every get and all reads the table. Two exceptions keep that from
//   multiplying requests: dependencies fetched ahead for an evaluation are kept (for at most a second) for
//   the lookups of that evaluation, and while the SDK evaluates the result of all('features') (it does so
//   synchronously) its prerequisite and segment lookups are answered from the flags and segments just read.
// - Reads never fail an evaluation: an error is logged and the SDK gets null (the flag's default), as
//   LaunchDarkly's wrapper does. Write methods throw: a read-only store never pretends to have written.
// - The SDK's evaluator needs items preprocessed (attribute references, large segment lists as sets); the
//   SDK's own `reviveFullPayload` does that, exactly as for data it receives from LaunchDarkly.
import {
  reviveFullPayload,
  type DataKind,
  type LDClientContext,
  type LDFeatureStore,
  type LDFeatureStoreItem,
  type LDFeatureStoreKindData,
  type LDLogger,
} from '@launchdarkly/node-server-sdk';
import { COMPRESSED_ATTRIBUTE, initedKey, isDataKind, namespaceFor, prerequisiteKeys, rowJson, segmentKeys, type StoredRow } from './layout.js';
import { decodeReadHints, parseRefId, rangeKeyCondition, rangesOf, readHintsKey, refId, type ReadHints } from './read-hints.js';
import { readerSettings, ReaderOptionsError, type ReadOnlyFeatureStoreOptions } from './reader/options.js';
import { createReadTransport, type Attr, type QueryOutput, type ReadTransport, type Row } from './transport/transport.js';
import type { DataKindName } from './types.js';

export { ReaderOptionsError, type ReadOnlyFeatureStoreOptions };
export { createReadTransport, type ReadTransport } from './transport/transport.js';

type AttributeValue = Attr;
type QueryCommandOutput = QueryOutput;

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
        'but this store is read-only: flags are written by ld-dynamodb-sync. Configure the SDK with useLdd: true so it never writes to its feature store.',
    );
  }
}

/** BatchGetItem takes at most 100 keys. */
const BATCH_LIMIT = 100;
/** With cacheTTL 0, how long items read on a lookup's behalf wait for the evaluation that needs them. */
const HOLD_MS = 1000;
const UNPROCESSED_RETRIES = 6;
const UNPROCESSED_BASE_DELAY_MS = 25;
const UNPROCESSED_MAX_DELAY_MS = 800;
const MARKER = '$inited';
const HINTS = '$readHints';
/** Read hints are a plan, not data: kept this long, then refreshed by riding along with a later batch. */
const HINTS_TTL_MS = 5 * 60_000;
/** At most this many dependencies are fetched ahead for one item (a guard against a pathological hint). */
const MAX_PREFETCH = 500;
/**
 * Where a large namespace is cut into ranges read in parallel. Flag keys are mostly lower-case words, so the
 * points spread over the alphabet; anything sorting before 'b' (digits, capitals) falls in the first range.
 */
const SPLIT_POINTS = ['b', 'c', 'd', 'e', 'g', 'i', 'l', 'm', 'o', 'p', 'r', 's', 't', 'v'];

type Item = LDFeatureStoreItem;
type Value = Item | null;
/** undefined means the read failed; the caller answers null without caching. */
type Loaded = Value | undefined;

interface CacheEntry<T> {
  value: T;
  expires: number;
}

interface Request {
  id: string;
  kind: DataKindName | typeof MARKER | typeof HINTS;
  key: string;
  /** Fetched ahead of the evaluator's lookup: with the cache off it is still kept briefly for that lookup. */
  prefetch: boolean;
  resolve: (value: Loaded) => void;
}

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
  readerSettings(tableName, options);
  return (clientContext) => new ReadOnlyDynamoDBFeatureStore(tableName, options, clientContext?.basicConfiguration?.logger);
}

export class ReadOnlyDynamoDBFeatureStore implements LDFeatureStore {
  readonly tableName: string;
  readonly prefix: string | undefined;
  private readonly transport: ReadTransport;
  private readonly ttlMs: number;
  private readonly consistentReads: boolean;
  private readonly logger: LDLogger;

  private readonly cache = new Map<string, CacheEntry<Value>>();
  private readonly allCache = new Map<DataKindName, CacheEntry<LDFeatureStoreKindData>>();
  /** Items being read (queued or sent), by id: a second get for the same key waits for the same read. */
  private readonly loading = new Map<string, Promise<Loaded>>();
  private readonly allLoading = new Map<DataKindName, Promise<LDFeatureStoreKindData | undefined>>();
  /** With the cache off: what all() just read, visible only while the SDK runs its callback. */
  private scope: Partial<Record<DataKindName, LDFeatureStoreKindData>> | undefined;
  private queue: Request[] = [];
  private flushScheduled = false;
  private initedTrue = false;
  /** The writer's read hints (read-hints.ts); value null when the table has none or they are unusable. */
  private hints: CacheEntry<ReadHints | null> | undefined;
  private initedFalseUntil = 0;
  private closed = false;

  constructor(tableName: string, options: ReadOnlyFeatureStoreOptions = {}, sdkLogger?: LDLogger) {
    const settings = readerSettings(tableName, options);
    this.tableName = tableName;
    this.prefix = settings.prefix;
    this.ttlMs = settings.ttlMs;
    this.consistentReads = settings.consistentReads;
    this.logger = settings.logger ?? sdkLogger ?? silent;
    // The lean transport unless the caller hands us an SDK client (or a configuration only the SDK implements).
    this.transport = createReadTransport({ client: settings.client, clientConfig: settings.clientConfig });
  }

  get(kind: DataKind, key: string, callback: (res: Item | null) => void): void {
    const name = kindOf(kind);
    if (!name) return this.answer(callback, null);
    const scoped = this.scope?.[name];
    if (scoped) return this.answer(callback, ownItem(scoped, key));
    const id = itemId(name, key);
    // A read already under way is newer than anything cached (with the cache off, it is this evaluation's).
    const pending = this.loading.get(id);
    if (pending) return void pending.then((value) => this.answer(callback, value ?? null));
    const hit = this.fresh(id);
    if (hit) return this.answer(callback, hit.value);
    this.load(name, key).then((value) => this.answer(callback, value ?? null));
  }

  all(kind: DataKind, callback: (res: LDFeatureStoreKindData) => void): void {
    const name = kindOf(kind);
    if (!name) return this.answer(callback, {});
    // Evaluating flags needs their segments: load them alongside.
    const withSegments = name === 'features';
    if (this.ttlMs > 0) {
      if (withSegments && !this.freshAll('segments')) void this.loadAll('segments');
      const hit = this.freshAll(name);
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
    this.loadMarker().then((found) => this.answer(callback, found === true));
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

  // ---- single items: coalesced BatchGetItem with dependency prefetch

  private load(kind: DataKindName, key: string): Promise<Loaded> {
    const id = itemId(kind, key);
    const pending = this.loading.get(id);
    if (pending) return pending;
    // A query of the whole kind is under way (allFlagsState): it will have this item too.
    // A small environment (the hints say each namespace fits one query page) is read whole, both namespaces
    // in one parallel wave: every flag asked for afterwards, in whatever order, is then in the cache.
    if (this.readsWhole()) this.loadWholeNamespaces();
    const whole = this.allLoading.get(kind);
    if (whole) return whole.then((items) => (items ? ownItem(items, key) : undefined));
    const promise = this.enqueue(id, kind, key, false);
    // Hints already at hand: what this item refers to beyond its own references travels in the same batch.
    if (this.hints?.value) this.prefetchDependencies(kind, undefined, key);
    return promise;
  }

  /**
   * The read policy, from the writer's hints: a namespace with no split points is under RANGE_TARGET_BYTES
   * (read-hints.ts), one Query page; when both are, one wave of two queries costs little more than a few
   * item reads and saves a round trip per flag asked for later. Without hints (unknown size), larger
   * environments, or with the cache off, items are read as they are asked for.
   */
  private readsWhole(): boolean {
    const hints = this.hints?.value;
    return this.ttlMs > 0 && !!hints && hints.ranges.features.length === 0 && hints.ranges.segments.length === 0;
  }

  private loadWholeNamespaces(): void {
    for (const kind of ['features', 'segments'] as const) if (!this.allLoading.has(kind) && !this.freshAll(kind)) void this.loadAll(kind);
  }

  private hintsUnknown(): boolean {
    return (!this.hints || this.hints.expires <= Date.now()) && !this.loading.has(HINTS);
  }

  /** The read hints, fetching them first if this store has never had them; stale ones are used while refreshed. */
  private async loadHints(): Promise<ReadHints | undefined> {
    if (this.hints) return this.hints.value ?? undefined;
    await (this.loading.get(HINTS) ?? this.enqueue(HINTS, HINTS, HINTS, false));
    // Set by settle() while awaiting (TypeScript keeps the narrowing from above).
    const loaded = this.hints as CacheEntry<ReadHints | null> | undefined;
    return loaded?.value ?? undefined;
  }

  private loadMarker(): Promise<boolean | undefined> {
    const pending = this.loading.get(MARKER);
    const p = pending ?? this.enqueue(MARKER, MARKER, MARKER, false);
    return p.then((v) => (v === undefined ? undefined : v !== null));
  }

  private enqueue(id: string, kind: Request['kind'], key: string, prefetch: boolean): Promise<Loaded> {
    let resolve!: (value: Loaded) => void;
    const promise = new Promise<Loaded>((r) => (resolve = r));
    this.loading.set(id, promise);
    this.queue.push({ id, kind, key, prefetch, resolve });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // setImmediate runs after every promise continuation of this tick, so all the gets a burst of
      // evaluations makes (and the SDK's follow-ups to an answered batch) travel together.
      setImmediate(() => this.flush());
    }
    return promise;
  }

  private markerUnknown(): boolean {
    return !this.initedTrue && Date.now() >= this.initedFalseUntil && !this.loading.has(MARKER);
  }

  private flush(): void {
    this.flushScheduled = false;
    const requests = this.queue;
    this.queue = [];
    // The marker and the read hints ride along when there is room: initialized() then costs no request of
    // its own, and the hints arrive with the first items, in time to plan the fetch of their dependencies.
    const extras: (typeof MARKER | typeof HINTS)[] = [];
    if (this.markerUnknown()) extras.push(MARKER);
    if (this.hintsUnknown()) extras.push(HINTS);
    for (const extra of extras) {
      if (requests.length % BATCH_LIMIT === 0) break;
      let resolve!: (value: Loaded) => void;
      this.loading.set(extra, new Promise<Loaded>((r) => (resolve = r)));
      requests.push({ id: extra, kind: extra, key: extra, prefetch: false, resolve });
    }
    for (let i = 0; i < requests.length; i += BATCH_LIMIT) void this.fetchBatch(requests.slice(i, i + BATCH_LIMIT));
  }

  private keyOf(request: Request): Record<string, AttributeValue> {
    if (request.kind === MARKER || request.kind === HINTS) {
      const id = request.kind === MARKER ? initedKey(this.prefix) : readHintsKey(this.prefix);
      return { namespace: { S: id }, key: { S: id } };
    }
    return { namespace: { S: namespaceFor(this.prefix, request.kind) }, key: { S: request.key } };
  }

  private async fetchBatch(requests: Request[]): Promise<void> {
    const waiting = new Map<string, Request>();
    for (const r of requests) {
      const k = this.keyOf(r);
      waiting.set(rowId(k), r);
    }
    try {
      if (this.closed) throw new Error('the store is closed');
      for (let attempt = 0; ; attempt++) {
        const out = await this.transport.batchGet(
          this.tableName,
          [...waiting.values()].map((r) => this.keyOf(r)),
          this.consistentReads,
        );
        // The hints first: the items of this batch use them to plan the fetch of their dependencies.
        const hintsKey = readHintsKey(this.prefix);
        const isHints = (row: Record<string, AttributeValue>) => row.namespace?.S === hintsKey;
        const rows = [...out.rows].sort((a, b) => Number(isHints(b)) - Number(isHints(a)));
        for (const row of rows) {
          const id = rowId(row);
          const request = waiting.get(id);
          if (!request) continue;
          waiting.delete(id);
          this.settle(request, row as StoredRow);
        }
        const unprocessed = new Set(out.unprocessed.map(rowId));
        for (const [id, request] of waiting) {
          if (unprocessed.has(id)) continue;
          waiting.delete(id);
          this.settle(request, undefined);
        }
        if (waiting.size === 0) return;
        // DynamoDB returns unprocessed keys when throttled or past 16 MB of response: ask again, backing off.
        if (attempt >= UNPROCESSED_RETRIES) {
          throw new Error(`${waiting.size} keys were still unprocessed after ${UNPROCESSED_RETRIES} retries`);
        }
        const delay = Math.min(UNPROCESSED_MAX_DELAY_MS, UNPROCESSED_BASE_DELAY_MS * 2 ** attempt);
        await sleep(delay / 2 + Math.random() * (delay / 2));
      }
    } catch (err) {
      const keys = [...waiting.values()].map((r) =>
        r.kind === MARKER ? initedKey(this.prefix) : r.kind === HINTS ? readHintsKey(this.prefix) : `${r.kind}/${r.key}`,
      );
      this.logger.error(
        `ReadOnlyDynamoDBFeatureStore: could not read ${describeKeys(keys)} from DynamoDB table "${this.tableName}"; ` +
          `evaluations get their default value: ${errorText(err)}`,
      );
      for (const request of waiting.values()) this.fail(request);
    }
  }

  private settle(request: Request, row: StoredRow | undefined): void {
    this.loading.delete(request.id);
    if (request.kind === HINTS) {
      const bytes = (row as Record<string, AttributeValue> | undefined)?.hints?.B;
      const value = decodeReadHints(bytes) ?? null;
      if (bytes && !value) this.logger.warn(`ReadOnlyDynamoDBFeatureStore: read hints in table "${this.tableName}" are in a form this version does not know; reading without them`);
      this.hints = { value, expires: Date.now() + HINTS_TTL_MS };
      // Settled before the items of its batch: their dependencies, and every later get, join these queries.
      if (this.readsWhole()) this.loadWholeNamespaces();
      request.resolve(null);
      return;
    }
    if (request.kind === MARKER) {
      if (row) this.initedTrue = true;
      else if (this.ttlMs > 0) this.initedFalseUntil = Date.now() + this.ttlMs;
      request.resolve(row ? MARKER_PRESENT : null);
      return;
    }
    const value = row ? this.decode(request.kind, request.key, row) : null;
    // Set before resolving: a lookup that arrives after this batch (for a segment, once the prerequisite
    // fetched with it is evaluated) must find it.
    if (this.ttlMs > 0) this.cache.set(request.id, { value, expires: Date.now() + this.ttlMs });
    else if (request.prefetch) this.cache.set(request.id, { value, expires: Date.now() + HOLD_MS });
    if (value) this.prefetchDependencies(request.kind, value, request.key);
    request.resolve(value);
  }

  private fail(request: Request): void {
    this.loading.delete(request.id);
    request.resolve(undefined);
  }

  /**
   * Queues the prerequisites and segments an item refers to, and (from the read hints) what those refer to
   * in turn, unless cached or already on their way: a flag's whole dependency tree in one batch.
   */
  private prefetchDependencies(kind: DataKindName, item: Item | undefined, key?: string): void {
    const wanted = new Map<string, [DataKindName, string]>();
    const next: string[] = [];
    const self = key === undefined ? undefined : refId(kind, key);
    const want = (id: string) => {
      const parsed = parseRefId(id);
      if (!parsed || id === self || wanted.has(id) || wanted.size >= MAX_PREFETCH) return;
      wanted.set(id, parsed);
      next.push(id);
    };
    if (item) {
      if (kind === 'features') for (const k of prerequisiteKeys(item)) want(refId('features', k));
      for (const k of segmentKeys(item)) want(refId('segments', k));
    }
    const refs = this.hints?.value?.refs;
    if (refs) {
      const refsOf = (id: string) => (Object.hasOwn(refs, id) && Array.isArray(refs[id]) ? refs[id] : []);
      if (self !== undefined) for (const id of refsOf(self)) want(id);
      while (next.length > 0) for (const id of refsOf(next.shift()!)) want(id);
    }
    for (const [depKind, depKey] of wanted.values()) {
      const id = itemId(depKind, depKey);
      if (this.loading.has(id) || this.allLoading.has(depKind)) continue;
      if (this.ttlMs > 0 && this.fresh(id)) continue;
      // With the cache off, an item kept for an earlier evaluation is not reused: this one reads afresh.
      this.cache.delete(id);
      void this.enqueue(id, depKind, depKey, true);
    }
  }

  // ---- whole kinds: paginated Query

  private loadAll(kind: DataKindName): Promise<LDFeatureStoreKindData | undefined> {
    const pending = this.allLoading.get(kind);
    if (pending) return pending;
    const promise = this.queryAll(kind).finally(() => this.allLoading.delete(kind));
    this.allLoading.set(kind, promise);
    return promise;
  }

  private async queryAll(kind: DataKindName): Promise<LDFeatureStoreKindData | undefined> {
    const namespace = namespaceFor(this.prefix, kind);
    // Keys are data: `__proto__` or `toString` must be own entries, never the prototype's.
    const items: LDFeatureStoreKindData = Object.create(null) as LDFeatureStoreKindData;
    const rows = new Map<string, Value>();
    const take = (out: QueryCommandOutput) => {
      for (const row of (out.Items ?? []) as StoredRow[]) {
        const key = row.key?.S;
        // Adjacent ranges share their boundary key: decode it once.
        if (key === undefined || rows.has(key)) continue;
        const value = this.decode(kind, key, row);
        rows.set(key, value);
        if (value) items[key] = value;
      }
    };
    try {
      if (this.closed) throw new Error('the store is closed');
      // The writer's read hints cut a large namespace into ranges of under one 1 MB page each: all of them
      // are read at once, one round trip in all.
      const splits = (await this.loadHints())?.ranges[kind] ?? [];
      if (splits.length > 0) {
        await Promise.all(rangesOf(splits).map(([lo, hi]) => this.queryRange(namespace, lo, hi, take)));
        return this.finishAll(kind, rows, items);
      }
      // Without hints (a table written by LaunchDarkly's store): one query answers a namespace under 1 MB (a
      // few hundred flags). Beyond that, paging one query through 1 MB pages is a chain of round trips
      // (10,000 flags take 14), so the rest of the key space after the first page is split into ranges read
      // in parallel.
      const first = await this.query(namespace);
      const after = first.LastEvaluatedKey?.key?.S;
      const ranges: [string, string | undefined][] = [];
      if (after !== undefined) {
        let lo = after;
        for (const point of SPLIT_POINTS) {
          if (point <= lo) continue;
          ranges.push([lo, point]);
          lo = point;
        }
        ranges.push([lo, undefined]);
      }
      const rest = Promise.all(ranges.map(([lo, hi]) => this.queryRange(namespace, lo, hi, take)));
      take(first);
      await rest;
    } catch (err) {
      this.logger.error(
        `ReadOnlyDynamoDBFeatureStore: could not read all ${kind} ("${namespace}") from DynamoDB table "${this.tableName}"; ` +
          `${kind === 'features' ? 'allFlagsState gets no flags' : 'segment matches fail'}: ${errorText(err)}`,
      );
      return undefined;
    }
    return this.finishAll(kind, rows, items);
  }

  private finishAll(kind: DataKindName, rows: Map<string, Value>, items: LDFeatureStoreKindData): LDFeatureStoreKindData {
    if (this.ttlMs > 0) {
      const expires = Date.now() + this.ttlMs;
      for (const [key, value] of rows) this.cache.set(itemId(kind, key), { value, expires });
      this.allCache.set(kind, { value: items, expires });
    }
    return items;
  }

  /** Pages through the keys from `lo` to `hi` (both included; no bound where one is undefined). */
  private async queryRange(namespace: string, lo: string | undefined, hi: string | undefined, take: (out: QueryCommandOutput) => void): Promise<void> {
    let page: Promise<QueryCommandOutput> | undefined = this.query(namespace, lo, hi);
    while (page) {
      const out: QueryCommandOutput = await page;
      // Ask for the next page before decoding this one, so decoding overlaps the network.
      page = out.LastEvaluatedKey ? this.query(namespace, lo, hi, out.LastEvaluatedKey) : undefined;
      take(out);
    }
  }

  private query(namespace: string, lo?: string, hi?: string, start?: Record<string, AttributeValue>): Promise<QueryCommandOutput> {
    const range = rangeKeyCondition(lo, hi);
    const values: Record<string, AttributeValue> = { ':ns': { S: namespace }, ...range.values };
    const condition = `#ns = :ns${range.expression}`;
    return this.transport.query({
        TableName: this.tableName,
        KeyConditionExpression: condition,
        // Only what decoding needs: leaving out the repeated namespace and the version saves response bytes and parsing.
        ProjectionExpression: '#k, #item, #gz',
        ExpressionAttributeNames: { '#ns': 'namespace', '#k': 'key', '#item': 'item', '#gz': COMPRESSED_ATTRIBUTE },
        ExpressionAttributeValues: values,
        ConsistentRead: this.consistentReads,
        ExclusiveStartKey: start,
      });
  }

  // ---- helpers

  private decode(kind: DataKindName, key: string, row: StoredRow): Value {
    let json: string | undefined;
    try {
      json = rowJson(row);
    } catch (err) {
      this.logger.warn(`ReadOnlyDynamoDBFeatureStore: ${kind} "${key}" has an unreadable compressed item; treating it as deleted: ${errorText(err)}`);
      return null;
    }
    if (json === undefined) return null;
    let item: unknown;
    try {
      item = JSON.parse(json);
    } catch (err) {
      this.logger.warn(`ReadOnlyDynamoDBFeatureStore: ${kind} "${key}" holds invalid JSON; treating it as deleted: ${errorText(err)}`);
      return null;
    }
    if (!item || typeof item !== 'object' || Array.isArray(item) || (item as Item).deleted) return null;
    try {
      reviveFullPayload(kind === 'features' ? { flags: { [key]: item } } : { segments: { [key]: item } });
    } catch (err) {
      // An item whose rules or targets have the wrong shape: the evaluator could not use it either.
      this.logger.warn(`ReadOnlyDynamoDBFeatureStore: ${kind} "${key}" is malformed; treating it as deleted: ${errorText(err)}`);
      return null;
    }
    return item as Item;
  }

  private fresh(id: string): CacheEntry<Value> | undefined {
    const entry = this.cache.get(id);
    if (!entry) return undefined;
    if (entry.expires > Date.now()) return entry;
    this.cache.delete(id);
    return undefined;
  }

  private freshAll(kind: DataKindName): CacheEntry<LDFeatureStoreKindData> | undefined {
    const entry = this.allCache.get(kind);
    if (!entry) return undefined;
    if (entry.expires > Date.now()) return entry;
    this.allCache.delete(kind);
    return undefined;
  }

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

const itemId = (kind: DataKindName, key: string) => `${kind}:${key}`;
const ownItem = (items: LDFeatureStoreKindData, key: string): Item | null => (Object.hasOwn(items, key) ? (items[key] ?? null) : null);
const rowId = (row: Record<string, AttributeValue>) => `${row.namespace?.S}\u0000${row.key?.S}`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function describeKeys(keys: string[]): string {
  return keys.length <= 5 ? keys.join(', ') : `${keys.slice(0, 5).join(', ')} and ${keys.length - 5} more`;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
