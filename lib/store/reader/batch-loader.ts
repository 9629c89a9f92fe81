// Coalesces the reader's single-row reads into BatchGetItem requests: every read asked for in the same tick
// travels in one batch (up to 100 keys each), and a second read of a row already on its way waits for the
// same answer. Unprocessed keys (throttling, 16 MB of response) are asked for again with backoff. The rows
// are tagged: an item (flag or segment), the `$inited` marker, or the writer's read hints, which ride along
// in a batch when there is room so they never cost a request of their own.
import type { LDFeatureStoreItem } from '@launchdarkly/node-server-sdk';
import { initedKey, namespaceFor, type StoredRow } from '../layout.js';
import { readHintsKey } from '../read-hints.js';
import type { Row, ReadTransport } from '../transport/transport.js';
import type { DataKindName } from '../types.js';

export type RowRef = { tag: 'item'; kind: DataKindName; key: string } | { tag: 'marker' } | { tag: 'hints' };

/** What a read resolves to: the item, null when absent, undefined when the read failed. */
export type Loaded = LDFeatureStoreItem | null | undefined;

export interface Pending {
  id: string;
  ref: RowRef;
  /** Fetched ahead of the evaluator's lookup (a dependency): with the cache off it is still kept briefly. */
  prefetch: boolean;
  resolve: (value: Loaded) => void;
}

export interface BatchLoaderOptions {
  transport: ReadTransport;
  tableName: string;
  prefix: string | undefined;
  consistentReads: boolean;
  /** The rows that should ride along with the next batch (the marker, the hints), if there is room. */
  extras: () => RowRef[];
  /** A row arrived (undefined: it does not exist). Called for the hints first, then the rest. */
  settle: (pending: Pending, row: StoredRow | undefined) => void;
  /** A batch failed after retries: its reads resolve to undefined. */
  onError: (keys: string[], err: unknown) => void;
  isClosed: () => boolean;
}

/** BatchGetItem takes at most 100 keys. */
const BATCH_LIMIT = 100;
const UNPROCESSED_RETRIES = 6;
const UNPROCESSED_BASE_DELAY_MS = 25;
const UNPROCESSED_MAX_DELAY_MS = 800;

export const refId = (ref: RowRef): string =>
  ref.tag === 'item' ? `${ref.kind}:${ref.key}` : ref.tag === 'marker' ? '$inited' : '$readHints';

export class BatchLoader {
  private readonly loading = new Map<string, Promise<Loaded>>();
  private queue: Pending[] = [];
  private flushScheduled = false;

  constructor(private readonly o: BatchLoaderOptions) {}

  /** The read of this row under way (queued or sent), if any. */
  pending(id: string): Promise<Loaded> | undefined {
    return this.loading.get(id);
  }

  enqueue(ref: RowRef, prefetch = false): Promise<Loaded> {
    const id = refId(ref);
    const existing = this.loading.get(id);
    if (existing) return existing;
    const promise = this.track(id, ref, prefetch, this.queue);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // setImmediate runs after every promise continuation of this tick, so all the gets a burst of
      // evaluations makes (and the SDK's follow-ups to an answered batch) travel together.
      setImmediate(() => this.flush());
    }
    return promise;
  }

  private track(id: string, ref: RowRef, prefetch: boolean, into: Pending[]): Promise<Loaded> {
    let resolve!: (value: Loaded) => void;
    const promise = new Promise<Loaded>((r) => (resolve = r));
    this.loading.set(id, promise);
    into.push({ id, ref, prefetch, resolve });
    return promise;
  }

  private flush(): void {
    this.flushScheduled = false;
    const requests = this.queue;
    this.queue = [];
    for (const extra of this.o.extras()) {
      const id = refId(extra);
      if (this.loading.has(id) || requests.length % BATCH_LIMIT === 0) continue;
      void this.track(id, extra, false, requests);
    }
    for (let i = 0; i < requests.length; i += BATCH_LIMIT) void this.fetchBatch(requests.slice(i, i + BATCH_LIMIT));
  }

  private keyOf(ref: RowRef): Row {
    if (ref.tag === 'item') return { namespace: { S: namespaceFor(this.o.prefix, ref.kind) }, key: { S: ref.key } };
    const id = ref.tag === 'marker' ? initedKey(this.o.prefix) : readHintsKey(this.o.prefix);
    return { namespace: { S: id }, key: { S: id } };
  }

  private settle(pending: Pending, row: StoredRow | undefined): void {
    this.loading.delete(pending.id);
    this.o.settle(pending, row);
  }

  private async fetchBatch(requests: Pending[]): Promise<void> {
    const waiting = new Map<string, Pending>();
    for (const r of requests) waiting.set(rowId(this.keyOf(r.ref)), r);
    try {
      if (this.o.isClosed()) throw new Error('the store is closed');
      for (let attempt = 0; ; attempt++) {
        const out = await this.o.transport.batchGet(
          this.o.tableName,
          [...waiting.values()].map((r) => this.keyOf(r.ref)),
          this.o.consistentReads,
        );
        // The hints first: the items of this batch use them to plan the fetch of their dependencies.
        const found = out.rows.map((row) => ({ row, pending: waiting.get(rowId(row)) })).filter((f) => f.pending !== undefined);
        found.sort((a, b) => Number(b.pending!.ref.tag === 'hints') - Number(a.pending!.ref.tag === 'hints'));
        for (const { row, pending } of found) {
          waiting.delete(rowId(row));
          this.settle(pending!, row as StoredRow);
        }
        const unprocessed = new Set(out.unprocessed.map(rowId));
        for (const [id, request] of waiting) {
          if (unprocessed.has(id)) continue;
          waiting.delete(id);
          this.settle(request, undefined);
        }
        if (waiting.size === 0) return;
        if (attempt >= UNPROCESSED_RETRIES)
          throw new Error(`${waiting.size} keys were still unprocessed after ${UNPROCESSED_RETRIES} retries`);
        const delay = Math.min(UNPROCESSED_MAX_DELAY_MS, UNPROCESSED_BASE_DELAY_MS * 2 ** attempt);
        await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * (delay / 2)));
      }
    } catch (err) {
      this.o.onError(
        [...waiting.values()].map((r) => describeRef(r.ref, this.o.prefix)),
        err,
      );
      for (const request of waiting.values()) {
        this.loading.delete(request.id);
        request.resolve(undefined);
      }
    }
  }
}

function describeRef(ref: RowRef, prefix: string | undefined): string {
  if (ref.tag === 'item') return `${ref.kind}/${ref.key}`;
  return ref.tag === 'marker' ? initedKey(prefix) : readHintsKey(prefix);
}

const rowId = (row: Row) => `${row.namespace?.S}\u0000${row.key?.S}`;
