// A cold start's speculative read: the first Query page of each namespace and the last page of the flags
// (read from the last key down), each at most FIRST_PAGE_ITEMS items, sent in the same wave as the first
// BatchGetItem. The environment's size is only known once the read hints arrive, which would cost a second
// round trip before a small environment could be read whole; asking for the pages at once costs none. A page
// without LastEvaluatedKey is the whole namespace, and so are the flags' two pages when they meet: the store
// adopts that as its whole-kind read, and every later flag, in whatever order, is served from the cache. A
// page that is not the whole namespace is kept as raw rows, decoded only when a get asks for one of them, so
// a large page never delays an evaluation by decoding rows nobody needs. (Pages are capped in items because
// full 1 MB pages beside the batch delayed its answer by 0.4-0.7 s at 10,000 flags: docs/cold-start.md.)
import type { StoredRow } from '../layout.js';
import { compareKeys } from '../read-hints.js';
import type { QueryOutput } from '../transport/transport.js';
import type { ReadHints } from '../read-hints.js';
import type { FirstPage } from './namespace-query.js';
import type { DataKindName } from '../types.js';
import { TtlCache } from './ttl-cache.js';

export interface FirstPagesOptions {
  /** Sends the Query for a namespace's first page (forward false: its last page). */
  query: (kind: DataKindName, forward: boolean) => Promise<QueryOutput>;
  ttlMs: number;
  /** A page arrived without LastEvaluatedKey: it holds the whole namespace. */
  onComplete: (kind: DataKindName) => void;
  /** The store's cache id of an item. */
  idOf: (kind: DataKindName, key: string) => string;
  /** True when the store already has (or is reading) this item: its copy is as fresh, keep it. */
  known: (id: string) => boolean;
}

const KINDS: DataKindName[] = ['features', 'segments'];

/**
 * Items per speculative page of a cold start: the flags read from both ends make an
 * environment of up to 500 flags whole in one wave. Bounded because on DynamoDB Local (the bench, the tests)
 * full 1 MB pages sent beside the first batch delayed its answer by 0.4–0.7 s at 10,000 flags; pages of 250
 * items, by tens of milliseconds (docs/cold-start.md).
 */
export const FIRST_PAGE_ITEMS = 250;

/**
 * Whether a namespace is read whole from the cold start on, from the hints: segments that fit one hinted
 * range (≤ RANGE_TARGET_BYTES, 700 KB), flags that fit three (≤ ~2 MB: the two pages when they meet, else
 * the hinted ranges read afresh, all at once). Larger namespaces are read item by item.
 */
export function fitsFirstPages(kind: DataKindName, hints: ReadHints): boolean {
  return hints.ranges[kind].length <= (kind === 'features' ? 2 : 0);
}

export class FirstPages {
  private pages: Partial<Record<DataKindName, Promise<FirstPage | undefined>>> | undefined;
  private sentAt = 0;
  private readonly whole = new Set<DataKindName>();
  private readonly raw = new TtlCache<string, StoredRow>();

  constructor(private readonly o: FirstPagesOptions) {}

  /** Sends both queries, once per store (later cold paths know the size from the hints). */
  start(): void {
    if (this.pages) return;
    this.pages = {};
    this.sentAt = Date.now();
    for (const kind of KINDS) {
      // A failed page is only a missed shortcut: the reads it would have saved are made as usual (and log).
      const page = this.send(kind);
      this.pages[kind] = page;
      void page.then((out) => this.arrived(kind, out));
    }
  }

  /** True while the namespace's first page is there to be claimed. */
  has(kind: DataKindName): boolean {
    return !!this.pages?.[kind] && Date.now() - this.sentAt < this.o.ttlMs;
  }

  /** True when the pages arrived and hold the whole namespace. */
  holdsAll(kind: DataKindName): boolean {
    return this.whole.has(kind);
  }

  /** The namespace's first page for a whole-kind read, once: a later read (after the TTL) reads afresh. */
  claim(kind: DataKindName): Promise<FirstPage | undefined> | undefined {
    if (!this.has(kind)) return undefined;
    const page = this.pages![kind];
    delete this.pages![kind];
    return page;
  }

  /** True when a partial page holds this row (not yet taken). */
  holds(id: string): boolean {
    return !!this.raw.get(id);
  }

  /** A row of a partial page, removed once taken (the store caches it decoded). */
  take(id: string): { row: StoredRow; expires: number } | undefined {
    const hit = this.raw.get(id);
    if (hit) this.raw.delete(id);
    return hit && { row: hit.value, expires: hit.expires };
  }

  clear(): void {
    this.raw.clear();
  }

  /** One page (segments), or the flags read from both ends: the union, whole when the two pages meet. */
  private async send(kind: DataKindName): Promise<FirstPage | undefined> {
    const read = (forward: boolean) => this.o.query(kind, forward).catch(() => undefined);
    const first = read(true);
    // Flags are most of an environment's bytes; segments rarely fill a page.
    const last = kind === 'features' ? read(false) : undefined;
    const up = await first;
    if (!up?.LastEvaluatedKey || !last) return up;
    const down = await last;
    if (!down) return up;
    if (!down.LastEvaluatedKey) return down;
    const upTo = up.LastEvaluatedKey.key?.S;
    const downTo = down.LastEvaluatedKey.key?.S;
    const met = upTo !== undefined && downTo !== undefined && compareKeys(upTo, downTo) >= 0;
    // Not met: a partial union, kept as raw rows for single gets (rows read twice are taken once).
    return { Items: [...up.Items, ...down.Items], LastEvaluatedKey: met ? undefined : up.LastEvaluatedKey };
  }

  private arrived(kind: DataKindName, out: QueryOutput | undefined): void {
    if (!out) return;
    if (!out.LastEvaluatedKey) {
      this.whole.add(kind);
      return this.o.onComplete(kind);
    }
    for (const row of out.Items as StoredRow[]) {
      const key = row.key?.S;
      if (key === undefined) continue;
      const id = this.o.idOf(kind, key);
      if (!this.o.known(id)) this.raw.set(id, row, this.o.ttlMs);
    }
  }
}
