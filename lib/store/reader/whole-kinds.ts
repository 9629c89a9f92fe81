// The reader's whole-namespace reads: all flags or all segments, each adopted only as one read of the table.
// - loadAll: the whole namespace, in the hinted key ranges at once (namespace-query.ts), for all('features')
//   and for a small environment once the hints say it fits one Query page per namespace.
// - speculate: on a cold start, before the hints are known, each namespace is asked for as one Query page in
//   the same wave as the first batch. A namespace that fits that page is adopted whole (every later flag, in
//   whatever order, is then cached); one that does not is dropped and the reader goes on item by item, as it
//   would have. A partial page is never joined to a later read: pages read a moment apart could show a flag
//   without the prerequisite created with it (docs/cold-start.md).
import type { LDFeatureStoreItem, LDFeatureStoreKindData, LDLogger } from '@launchdarkly/node-server-sdk';
import { namespaceFor, type StoredRow } from '../layout.js';
import { fitsOnePage, type ReadHints } from '../read-hints.js';
import type { ReadTransport } from '../transport/transport.js';
import type { DataKindName } from '../types.js';
import { refId } from './batch-loader.js';
import { decodeRow, errorText } from './decode.js';
import { readNamespace, readOnePage } from './namespace-query.js';
import { TtlCache } from './ttl-cache.js';

type KindData = LDFeatureStoreKindData;
type Value = LDFeatureStoreItem | null;

export const KINDS: readonly DataKindName[] = ['features', 'segments'];

export interface WholeKindsOptions {
  transport: ReadTransport;
  tableName: string;
  prefix: string | undefined;
  consistentReads: boolean;
  /** 0: nothing is cached. */
  ttlMs: number;
  logger: LDLogger;
  /** The reader's item cache ("features:<key>"): a whole read fills it too. */
  items: TtlCache<string, Value>;
  /** The writer's read hints (fetched first when never read). */
  readHints: () => Promise<ReadHints | undefined>;
  isClosed: () => boolean;
}

export class WholeKinds {
  private readonly cache = new TtlCache<DataKindName, KindData>();
  private readonly loading = new Map<DataKindName, Promise<KindData | undefined>>();
  /** One page per namespace, read on a cold start: resolves to the namespace, or undefined when it did not fit. */
  private readonly speculation = new Map<DataKindName, Promise<KindData | undefined>>();
  /** Ends a speculation without its page (the hints say the page cannot hold the kind). */
  private readonly giveUp = new Map<DataKindName, () => void>();

  constructor(private readonly o: WholeKindsOptions) {}

  /** The kind, if read whole within the TTL. */
  cached(kind: DataKindName): KindData | undefined {
    return this.cache.get(kind)?.value;
  }

  /** A whole read of the kind under way (ranges or a speculative page), if any. */
  inFlight(kind: DataKindName): Promise<KindData | undefined> | undefined {
    return this.speculation.get(kind) ?? this.loading.get(kind);
  }

  /** The speculative page under way for the kind, if any: its answer decides whether items are read one by one. */
  speculating(kind: DataKindName): Promise<KindData | undefined> | undefined {
    return this.speculation.get(kind);
  }

  /** Starts a one-page read of each namespace not cached or under way (the reader asks while the hints are unknown). */
  speculate(): void {
    if (this.o.ttlMs <= 0) return;
    for (const kind of KINDS) {
      if (this.speculation.has(kind) || this.loading.has(kind) || this.cached(kind)) continue;
      // Dropped: the page is abandoned (its answer is never parsed) and never adopted.
      const abandon = new AbortController();
      const dropped = new Promise<undefined>((resolve) =>
        this.giveUp.set(kind, () => {
          abandon.abort();
          resolve(undefined);
        }),
      );
      const promise = Promise.race([this.readPage(kind, abandon.signal), dropped]).finally(() => {
        this.speculation.delete(kind);
        this.giveUp.delete(kind);
      });
      this.speculation.set(kind, promise);
    }
  }

  /**
   * The hints arrived (with the first batch, usually before the pages): a kind they say one page cannot hold
   * stops waiting for its page, which is abandoned and never adopted. A hint is a plan: a stale one costs a
   * round trip, never a wrong answer.
   */
  dropSpeculation(hints: ReadHints): void {
    for (const kind of KINDS) if (fitsOnePage(hints, kind) === false) this.giveUp.get(kind)?.();
  }

  /** The whole kind: a speculative page if it held all of it, else every hinted range. Undefined: the read failed. */
  loadAll(kind: DataKindName): Promise<KindData | undefined> {
    const speculative = this.speculation.get(kind);
    if (speculative) return speculative.then((whole) => whole ?? this.loadAll(kind));
    const pending = this.loading.get(kind);
    if (pending) return pending;
    const promise = this.readRanges(kind).finally(() => this.loading.delete(kind));
    this.loading.set(kind, promise);
    return promise;
  }

  clear(): void {
    this.cache.clear();
  }

  /** A page adopted after its speculation was dropped could replace items read since: it is not adopted. */
  private async readPage(kind: DataKindName, dropped: AbortSignal): Promise<KindData | undefined> {
    const read = this.collector(kind);
    try {
      if (this.o.isClosed()) return undefined;
      const whole = await readOnePage({ ...this.queryBase(kind), take: read.take }, dropped);
      return whole && !dropped.aborted ? this.adopt(kind, read) : undefined;
    } catch (err) {
      if (dropped.aborted || this.o.isClosed()) return undefined;
      // Not an evaluation's failure: the reader falls back to the items it asked for in the same wave.
      this.o.logger.warn(
        `ReadOnlyDynamoDBFeatureStore: could not read all ${kind} of DynamoDB table "${this.o.tableName}" at once; ` +
          `reading them one by one: ${errorText(err)}`,
      );
      return undefined;
    }
  }

  private async readRanges(kind: DataKindName): Promise<KindData | undefined> {
    const read = this.collector(kind);
    try {
      if (this.o.isClosed()) throw new Error('the store is closed');
      const hints = await this.o.readHints();
      // A kind that fits one page is read as one (its hinted ranges would be two reads for one page of data).
      const splits = hints && fitsOnePage(hints, kind) !== true ? hints.ranges[kind] : [];
      await readNamespace({ ...this.queryBase(kind), splits, take: read.take });
    } catch (err) {
      this.o.logger.error(
        `ReadOnlyDynamoDBFeatureStore: could not read all ${kind} ("${namespaceFor(this.o.prefix, kind)}") from DynamoDB table ` +
          `"${this.o.tableName}"; ${kind === 'features' ? 'allFlagsState gets no flags' : 'segment matches fail'}: ${errorText(err)}`,
      );
      return undefined;
    }
    return this.adopt(kind, read);
  }

  private queryBase(kind: DataKindName) {
    const { transport, tableName, consistentReads } = this.o;
    return { transport, tableName, consistentReads, namespace: namespaceFor(this.o.prefix, kind) };
  }

  private collector(kind: DataKindName) {
    // Keys are data: `__proto__` or `toString` must be own entries, never the prototype's.
    const items = Object.create(null) as KindData;
    const rows = new Map<string, Value>();
    const take = (key: string, row: StoredRow) => {
      const value = decodeRow(kind, key, row, this.o.logger);
      rows.set(key, value);
      if (value) items[key] = value;
    };
    return { items, rows, take };
  }

  /** Caches one read of the kind: the kind whole, and each item (absent ones as null) under the same TTL. */
  private adopt(kind: DataKindName, read: { items: KindData; rows: Map<string, Value> }): KindData {
    if (this.o.ttlMs > 0) {
      for (const [key, value] of read.rows) this.o.items.set(refId({ tag: 'item', kind, key }), value, this.o.ttlMs);
      this.cache.set(kind, read.items, this.o.ttlMs);
    }
    return read.items;
  }
}
