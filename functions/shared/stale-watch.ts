// Stale rows, made visible. A row the table holds at a version ahead of LaunchDarkly (a hand edit, a bug, a
// restore from backup) makes every later full sync report it as stale and skip that sync's deletions, and
// nothing else would say so: the writer keeps the newer row on purpose (it never rolls a version back). This
// wrapper sits between the sync core and the store, adds up what each init reports (ItemsStale,
// DeletesSkipped, published per environment; an alarm fires when they persist across syncs) and, when a sync
// found stale rows, names them in the log: which keys, at which version in the table and in LaunchDarkly's data.
import type { DynamoDBFlagStore, InitSummary } from '../../lib/store/index.js';
import type { DataKindName, FullDataSet } from '../../lib/model/types.js';
import type { SyncStore } from '../../lib/sync/index.js';
import { logger } from './observability.js';

/** At most this many keys are named per sync; the count says how many there are in all. */
export const MAX_NAMED_KEYS = 20;

export interface StaleCounts {
  stale: number;
  deletesSkipped: number;
}

/** A SyncStore that counts what its inits found stale and names the stale keys in the log. */
export class StaleWatch implements SyncStore {
  readonly counts: StaleCounts = { stale: 0, deletesSkipped: 0 };

  constructor(
    private readonly store: DynamoDBFlagStore,
    private readonly environment: string,
  ) {}

  async init(data: FullDataSet): Promise<InitSummary> {
    const summary = await this.store.init(data);
    this.counts.stale += summary.stale;
    this.counts.deletesSkipped += summary.deletesSkipped;
    if (summary.stale > 0) await this.nameStaleKeys(data, summary);
    return summary;
  }

  upsert: SyncStore['upsert'] = (kind, item) => this.store.upsert(kind, item);
  delete: SyncStore['delete'] = (kind, key, version) => this.store.delete(kind, key, version);
  recordSync: SyncStore['recordSync'] = (record) => this.store.recordSync(record);

  /** Reads the table (only when a sync found stale rows, which should be rare) to say which rows are ahead. */
  private async nameStaleKeys(data: FullDataSet, summary: InitSummary): Promise<void> {
    const ahead: string[] = [];
    try {
      for (const [kind, items] of [
        ['features', data.flags],
        ['segments', data.segments],
      ] as [DataKindName, FullDataSet['flags']][]) {
        const stored = await this.store.allIncludingDeleted(kind);
        for (const [key, item] of Object.entries(items)) {
          const row = Object.hasOwn(stored, key) ? stored[key] : undefined;
          if (row && row.version > item.version)
            ahead.push(`${kind}/${JSON.stringify(key)} (table v${row.version}, LaunchDarkly v${item.version})`);
        }
      }
    } catch (err) {
      logger.warn({ message: `could not read the table to name the stale rows: ${(err as Error).name}`, environment: this.environment });
    }
    const named = ahead.slice(0, MAX_NAMED_KEYS);
    logger.warn({
      message:
        `sync found ${summary.stale} row(s) ahead of LaunchDarkly's data and skipped ${summary.deletesSkipped} deletion(s); ` +
        'the table keeps the newer rows until LaunchDarkly reaches their version or they are fixed by hand',
      environment: this.environment,
      staleKeys: named,
      ...(ahead.length > named.length && { staleKeysNotShown: ahead.length - named.length }),
    });
  }
}
