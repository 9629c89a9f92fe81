// The init plan's rules (lib/store/init-plan.ts, docs/write-rules.md), without DynamoDB.
import { describe, expect, it } from 'vitest';
import { demoteToStale, orderFlagDeletions, planInit, type PlanInput, type RowState, type WriteOp } from '../../lib/store/init-plan.js';
import { encodeItem } from '../../lib/store/item-codec.js';
import type { DataKindName, Flag } from '../../lib/store/types.js';

const T = 1_800_000_000_000;
const MIN = 60_000;

function input(flags: Flag[], rows: Record<string, RowState>, over: Partial<PlanInput> = {}): PlanInput {
  const incoming = { segments: new Map(), features: new Map(flags.map((f) => [f.key, encodeItem(undefined, 'features', f, T)])) };
  const byKey = new Map(flags.map((f) => [f.key, f]));
  return {
    incoming,
    rejected: { segments: new Set(), features: new Set() },
    existing: { segments: new Map(), features: new Map(Object.entries(rows)) },
    prerequisitesOf: (key) => (byKey.has(key) ? (byKey.get(key)!.prerequisites ?? []).map((p) => p.key) : undefined),
    snapshotAt: T,
    now: T,
    newest: true,
    tombstone: (kind: DataKindName, key: string, version: number) => encodeItem(undefined, kind, { key, version, deleted: true }, T),
    ...over,
  };
}

const flag = (key: string, version: number, prerequisites: string[] = []): Flag => ({
  key,
  version,
  prerequisites: prerequisites.map((k) => ({ key: k, variation: 0 })),
});
const live = (version: number, asOf?: number): RowState => ({ version, tombstone: false, asOf });
const tomb = (version: number, asOf?: number): RowState => ({ version, tombstone: true, asOf });
const puts = (waves: WriteOp[][]) =>
  waves.flat().map((op) => (op.type === 'put' ? `${op.item.key}@${op.item.version}:${op.expect.type}` : `remove ${op.key}`));

describe('init plan: what a full sync writes', () => {
  it('writes new and newer items, skips equal ones, counts older ones as stale', () => {
    const plan = planInit(
      input([flag('new', 1), flag('up', 3), flag('same', 2), flag('old', 1)], { up: live(2), same: live(2), old: live(5) }),
    );
    expect(puts(plan.putWaves).sort()).toEqual(['new@1:newer', 'up@3:newer']);
    expect(plan).toMatchObject({ unchanged: 1, stale: 1, staleDataSet: true });
  });

  it('orders flags after their prerequisites, and flag deletions dependents first', () => {
    const plan = planInit(input([flag('top', 1, ['mid']), flag('mid', 1, ['base']), flag('base', 1)], {}));
    expect(plan.putWaves.map((w) => w.map((op) => (op.type === 'put' ? op.item.key : '')))).toEqual([['base'], ['mid'], ['top']]);
    const gone = planInit(input([], { a: live(1), b: live(1) }));
    const ordered = orderFlagDeletions(gone.deletions.features, (k) => (k === 'b' ? ['a'] : []));
    expect(ordered.map((w) => w.map((op) => (op.type === 'put' ? op.item.key : '')))).toEqual([['b'], ['a']]);
  });

  it('deletes by writing a tombstone at the version read, conditional on that exact row', () => {
    const plan = planInit(input([], { gone: live(4, T - MIN) }));
    const [op] = plan.deletions.features;
    expect(op).toMatchObject({
      type: 'put',
      item: { key: 'gone', version: 4, tombstone: true },
      expect: { type: 'exact', version: 4, asOf: T - MIN },
    });
    expect(op!.type === 'put' && op!.item.attrs.deleted).toEqual({ BOOL: true });
  });

  it('a stale data set deletes nothing; a row that reflects a moment after the snapshot is not deleted', () => {
    expect(planInit(input([flag('x', 1)], { x: live(2), gone: live(1) }))).toMatchObject({
      deletesSkipped: 1,
      deletions: { features: [] },
    });
    const later = planInit(input([], { 'created-by-stream': live(1, T + 5_000) }));
    expect(later).toMatchObject({ deletesSkipped: 1, deletions: { features: [] } });
  });

  it('a snapshot older than the claimed one only moves live rows forward: no creation, re-creation or deletion', () => {
    const plan = planInit(
      input([flag('live', 3), flag('new', 1), flag('dead', 9)], { live: live(2), dead: tomb(4), gone: live(1) }, { newest: false }),
    );
    expect(puts(plan.putWaves)).toEqual(['live@3:live-newer']);
    expect(plan).toMatchObject({ stale: 2, deletesSkipped: 1, staleDataSet: true });
  });

  it('re-creates over a tombstone with a lower version', () => {
    expect(puts(planInit(input([flag('x', 5)], { x: tomb(4, T - MIN) })).putWaves)).toEqual(['x@5:newer']);
  });
});

describe('init plan: deleted and re-created flags whose versions start lower (docs/write-rules.md §5)', () => {
  it('a tombstone or live row from well before the snapshot, at a higher version, is replaced exactly', () => {
    const plan = planInit(input([flag('t', 1), flag('l', 2)], { t: tomb(7, T - 11 * MIN), l: live(9, T - 11 * MIN) }));
    expect(puts(plan.putWaves).sort()).toEqual(['l@2:exact', 't@1:exact']);
    expect(plan.putWaves.flat()[0]).toMatchObject({ expect: { type: 'exact', asOf: T - 11 * MIN } });
    expect(plan.staleDataSet).toBe(false);
  });

  it('within the margin, or for rows without a moment (other writers), the higher version wins: no rollback', () => {
    const plan = planInit(
      input([flag('t', 1), flag('l', 2), flag('ld', 1)], { t: tomb(7, T - 9 * MIN), l: live(9, T - MIN), ld: live(5) }),
    );
    expect(plan.putWaves).toEqual([]);
    expect(plan).toMatchObject({ stale: 3, staleDataSet: true });
  });

  it('a stale snapshot never replaces a higher version, however old', () => {
    const plan = planInit(input([flag('t', 1)], { t: tomb(7, T - 60 * MIN) }, { newest: false }));
    expect(plan.putWaves).toEqual([]);
  });
});

describe('init plan: tombstones are removed once they have served', () => {
  it('removes this store’s tombstones older than the TTL, keeps younger ones and never removes when stale', () => {
    const rows = { old: tomb(3, T - 61 * MIN), young: tomb(3, T - 59 * MIN) };
    expect(puts([planInit(input([], rows)).removals])).toEqual(['remove old']);
    expect(planInit(input([], rows, { newest: false })).removals).toEqual([]);
    expect(planInit(input([], rows, { rules: { tombstoneTtlMs: 24 * 60 * MIN } })).removals).toEqual([]);
  });
});

describe('demoting the rest of a plan when a newer snapshot claims the table mid-init', () => {
  it('keeps only puts that move a live row forward, now guarded against tombstones', () => {
    const plan = planInit(input([flag('live', 3), flag('new', 1)], { live: live(2), gone: live(1) }));
    const waves = [...plan.putWaves, plan.deletions.features];
    const demoted = demoteToStale(waves);
    expect(puts(demoted.waves)).toEqual(['live@3:live-newer']);
    expect(demoted).toMatchObject({ droppedPuts: 1, droppedDeletes: 1 });
  });
});

describe('keys that are also Object.prototype names', () => {
  it('__proto__ and constructor are ordinary keys', () => {
    const plan = planInit(
      input(
        [flag('__proto__', 2), flag('constructor', 1, ['__proto__'])],
        Object.fromEntries([
          ['__proto__', live(1)],
          ['toString', live(1)],
        ]),
      ),
    );
    expect(puts(plan.putWaves)).toEqual(['__proto__@2:newer', 'constructor@1:newer']);
    expect(plan.deletions.features.map((op) => (op.type === 'put' ? op.item.key : ''))).toEqual(['toString']);
  });
});
