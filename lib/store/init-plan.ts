// The init plan: given the data set (already encoded) and what the table holds (keys, versions, tombstones,
// write times), decides what to write, in which waves, under which condition, and what to delete. Pure: no
// I/O, no clock (times are passed in), so every rule in docs/write-rules.md is unit-tested without DynamoDB
// (test/unit/store-init-plan.test.ts). The writer (writer.ts) reads the table, runs the plan, applies it.
import type { Encoded } from './item-codec.js';
import type { DataKindName } from './types.js';

/** What the version read found for one key. */
export interface RowState {
  version: number;
  /** A tombstone this store wrote (`deleted` attribute), as opposed to a live row or LaunchDarkly's own tombstone. */
  tombstone: boolean;
  /** The moment of LaunchDarkly's data the row reflects (epoch ms, item-codec.ts); undefined for rows other writers made. */
  asOf?: number;
}

/**
 * The condition a write carries, i.e. what the table must still hold for it to apply:
 * - `newer`: nothing, or an older version (a concurrent newer write survives);
 * - `exact`: exactly the row the plan was made from (a deletion, or overriding a restarted version);
 * - `live-newer`: an older live row, never a tombstone (what a stale snapshot may still move forward);
 * - `tombstone`: exactly the expired tombstone being removed.
 */
export type Expect =
  | { type: 'newer' }
  | { type: 'live-newer' }
  | { type: 'exact'; version: number; asOf?: number }
  | { type: 'tombstone'; version: number };

export type WriteOp =
  | { type: 'put'; item: Encoded; expect: Expect; found: 'absent' | 'live' | 'tombstone' }
  | { type: 'remove'; kind: DataKindName; key: string; expect: Extract<Expect, { type: 'tombstone' }> };

export interface PlanInput {
  incoming: Record<DataKindName, Map<string, Encoded>>;
  /** Keys of items rejected as invalid: their rows are kept, not deleted as missing. */
  rejected: Record<DataKindName, Set<string>>;
  existing: Record<DataKindName, Map<string, RowState>>;
  /** Prerequisite keys of an incoming flag; undefined for keys that are not flags of the data set. */
  prerequisitesOf: (key: string) => string[] | undefined;
  /** When the data set was taken from LaunchDarkly (epoch ms). */
  snapshotAt: number;
  now: number;
  /** False when a newer snapshot has claimed the table (snapshot-claim.ts): only live rows move forward. */
  newest: boolean;
  /** Encodes the tombstone of a row at a version (item-codec.ts encodeItem with `deleted: true`). */
  tombstone: (kind: DataKindName, key: string, version: number) => Encoded;
  rules?: Partial<PlanRules>;
}

export interface PlanRules {
  /**
   * A row written at least this long before the snapshot was taken, holding a higher version than the
   * snapshot, is a flag deleted and re-created with versions starting lower: the snapshot's item replaces it.
   * Covers clock skew between writers and how far LaunchDarkly's poll data may lag its stream. Default 10 min.
   */
  restartMarginMs: number;
  /** Tombstones this store wrote are removed by the first newest full sync this long after. Default 1 h. */
  tombstoneTtlMs: number;
}

export const defaultPlanRules: PlanRules = { restartMarginMs: 10 * 60_000, tombstoneTtlMs: 60 * 60_000 };

export interface Plan {
  /** Segments, then flags level by level along prerequisites. */
  putWaves: WriteOp[][];
  /** Deletions (tombstones at the version read), to be ordered with orderFlagDeletions. */
  deletions: Record<DataKindName, WriteOp[]>;
  /** Expired tombstones to remove, last. */
  removals: WriteOp[];
  unchanged: number;
  /** Items not written because the table holds something newer. */
  stale: number;
  /** Deletions not made: the data set is stale, or the row was written after the snapshot was taken. */
  deletesSkipped: number;
  /** The data set is older than the table in some item: deletions and read hints are skipped. */
  staleDataSet: boolean;
}

export function planInit(input: PlanInput): Plan {
  const rules = { ...defaultPlanRules, ...input.rules };
  const restartBefore = input.snapshotAt - rules.restartMarginMs;
  let unchanged = 0;
  let stale = 0;
  const puts: Record<DataKindName, WriteOp[]> = { segments: [], features: [] };
  for (const kind of ['segments', 'features'] as const) {
    for (const item of input.incoming[kind].values()) {
      const row = input.existing[kind].get(item.key);
      const found = row === undefined ? 'absent' : row.tombstone ? 'tombstone' : 'live';
      const restarted = row?.asOf !== undefined && row.asOf < restartBefore;
      if (!input.newest) {
        // A snapshot older than one already applied only moves live rows forward: it never creates,
        // re-creates or deletes, since its absences and presences may be older than the table's.
        if (found === 'live' && row!.version < item.version) puts[kind].push({ type: 'put', item, expect: { type: 'live-newer' }, found });
        else if (found === 'live' && row!.version === item.version) unchanged++;
        else stale++;
      } else if (row === undefined || row.version < item.version) {
        puts[kind].push({ type: 'put', item, expect: { type: 'newer' }, found });
      } else if (row.version === item.version && !row.tombstone) {
        unchanged++;
      } else if (row.version === item.version) {
        // A tombstone at the very version the newest snapshot holds live: a full sync's deletion (tombstones
        // keep the version read) of a flag that is back, e.g. after a poll that briefly lacked it. LaunchDarkly
        // deletes at a higher version, so the newest data set having it live at this version is the truth.
        puts[kind].push({ type: 'put', item, expect: { type: 'exact', version: row.version, asOf: row.asOf }, found });
      } else if (restarted) {
        puts[kind].push({ type: 'put', item, expect: { type: 'exact', version: row.version, asOf: row.asOf }, found });
      } else {
        stale++;
      }
    }
  }

  const staleDataSet = stale > 0 || !input.newest;
  const deletions: Record<DataKindName, WriteOp[]> = { segments: [], features: [] };
  const removals: WriteOp[] = [];
  let deletesSkipped = 0;
  for (const kind of ['features', 'segments'] as const) {
    for (const [key, row] of input.existing[kind]) {
      if (input.incoming[kind].has(key) || input.rejected[kind].has(key)) continue;
      if (row.tombstone) {
        if (!staleDataSet && row.asOf !== undefined && row.asOf < input.now - rules.tombstoneTtlMs) {
          removals.push({ type: 'remove', kind, key, expect: { type: 'tombstone', version: row.version } });
        }
        continue;
      }
      // A row written after the snapshot was taken is newer than the snapshot's absence of it.
      if (staleDataSet || (row.asOf !== undefined && row.asOf > input.snapshotAt)) {
        deletesSkipped++;
        continue;
      }
      deletions[kind].push({
        type: 'put',
        item: input.tombstone(kind, key, row.version),
        expect: { type: 'exact', version: row.version, asOf: row.asOf },
        found: 'live',
      });
    }
  }

  const putWaves = [puts.segments, ...prerequisiteLevels(puts.features, (op) => opKey(op), input.prerequisitesOf)].filter(
    (w) => w.length > 0,
  );
  return { putWaves, deletions, removals, unchanged, stale, deletesSkipped, staleDataSet };
}

export function opKey(op: WriteOp): string {
  return op.type === 'put' ? op.item.key : op.key;
}

export function opKind(op: WriteOp): DataKindName {
  return op.type === 'put' ? op.item.kind : op.kind;
}

/**
 * Flag deletions, dependents before the prerequisites they name (the reverse of the creation order), so
 * that a reader never finds a live flag whose prerequisite is already gone.
 */
export function orderFlagDeletions(ops: WriteOp[], prerequisitesOf: (key: string) => string[] | undefined): WriteOp[][] {
  if (ops.length < 2) return ops.length ? [ops] : [];
  return prerequisiteLevels(ops, opKey, prerequisitesOf).reverse();
}

/**
 * What is left of the remaining waves when a newer snapshot claims the table mid-init: only puts that move
 * a row that was live forward, now guarded against tombstones too. Returns the waves and what was dropped.
 */
export function demoteToStale(waves: WriteOp[][]): { waves: WriteOp[][]; droppedPuts: number; droppedDeletes: number } {
  let droppedPuts = 0;
  let droppedDeletes = 0;
  const kept = waves.map((wave) =>
    wave.flatMap((op): WriteOp[] => {
      if (op.type === 'put' && !op.item.tombstone && op.found === 'live' && op.expect.type === 'newer')
        return [{ ...op, expect: { type: 'live-newer' } }];
      if (op.type === 'put' && op.item.tombstone) droppedDeletes++;
      else if (op.type === 'put') droppedPuts++;
      return [];
    }),
  );
  return { waves: kept.filter((w) => w.length > 0), droppedPuts, droppedDeletes };
}

/**
 * Groups items into levels so that every flag comes after the flags it names as prerequisites. A flag's
 * level counts every prerequisite `prerequisitesOf` knows (undefined: not a flag of the set), so for writes
 * unchanged prerequisites count too. A prerequisite cycle, which LaunchDarkly prevents but bad input may
 * contain, is broken arbitrarily rather than looping.
 */
export function prerequisiteLevels<T>(
  items: T[],
  keyOf: (item: T) => string,
  prerequisitesOf: (key: string) => string[] | undefined,
): T[][] {
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
  for (const item of items) {
    const at = Math.max(0, levelOf(keyOf(item)));
    levels[at] ??= [];
    levels[at].push(item);
  }
  return levels.filter((l) => l && l.length > 0);
}
