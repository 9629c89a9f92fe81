// The full-sync write path: replaces the data of one prefix with a data set, writing only what changed.
// Reads the table (keys, versions, tombstones, the snapshot claim, the read hints), plans (init-plan.ts,
// pure), claims the table for this snapshot (snapshot-claim.ts), applies the waves (wave-writer.ts), then
// rewrites the read hints if needed and writes the `$inited` marker last. The rules and why they hold are
// in docs/write-rules.md; this file is their one implementation.
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ItemTooLargeError, ItemValidationError, PartialInitError, StoreError, WriteFailedError } from './errors.js';
import { readHintState, updateReadHints } from './hints-io.js';
import { demoteToStale, orderFlagDeletions, planInit, type Plan, type PlanRules, type RowState, type WriteOp } from './init-plan.js';
import { encodeItem, type Encoded } from './item-codec.js';
import { initedKey, prerequisiteKeys } from './layout.js';
import { runPool } from './pacing.js';
import { type ClaimState, claimTable, readClaim, stillNewest } from './snapshot-claim.js';
import { markerExists, readItem, readVersions } from './table-reads.js';
import type { StoreContext, Usage } from './table-client.js';
import type { DataKindName, FullDataSet } from './types.js';
import { checkItem } from './validate.js';
import { applyWave, opTarget, type OpResult } from './wave-writer.js';

/** What an init did, and what it cost (its share of the store's Usage: requests, capacity units, retries, throttles). */
export interface InitSummary extends Usage {
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
}

export interface InitOptions {
  /** When the data set was taken from LaunchDarkly. Default: when init is called. */
  snapshotAt?: Date | number;
}

export interface WriterSettings {
  concurrency: number;
  rules?: Partial<PlanRules>;
}

type Problem = ItemValidationError | ItemTooLargeError;

interface Encoding {
  incoming: Record<DataKindName, Map<string, Encoded>>;
  rejected: Record<DataKindName, Set<string>>;
  problems: Problem[];
  compressed: number;
}

function encodeAll(ctx: StoreContext, input: FullDataSet, asOf: number): Encoding {
  const out: Encoding = {
    incoming: { segments: new Map(), features: new Map() },
    rejected: { segments: new Set(), features: new Set() },
    problems: [],
    compressed: 0,
  };
  for (const kind of ['segments', 'features'] as const) {
    for (const [mapKey, raw] of Object.entries(kind === 'features' ? input.flags : input.segments)) {
      try {
        const enc = encodeItem(ctx.prefix, kind, checkItem(kind, raw, mapKey), asOf);
        if (enc.compressed) {
          out.compressed++;
          ctx.logger.warn(
            `${kind}/${enc.key} is over 400 KB; stored gzip-compressed (${enc.bytes} bytes), ` +
              "which LaunchDarkly's own readers see as deleted",
          );
        }
        out.incoming[kind].set(mapKey, enc);
      } catch (err) {
        if (!(err instanceof ItemValidationError || err instanceof ItemTooLargeError)) throw err;
        out.problems.push(err);
        out.rejected[kind].add(mapKey);
        ctx.logger.error(err.message);
      }
    }
  }
  return out;
}

const hasWrites = (plan: Plan) =>
  plan.putWaves.length > 0 || plan.deletions.features.length + plan.deletions.segments.length + plan.removals.length > 0;

interface Counts {
  written: number;
  deleted: number;
  stale: number;
  deletesSkipped: number;
}

/** Replaces the data for the context's prefix with `data`, writing only what changed. */
export async function runInit(ctx: StoreContext, data: unknown, settings: WriterSettings, options: InitOptions = {}): Promise<InitSummary> {
  const started = performance.now();
  const before = snapshot(ctx.table.usage);
  const input = checkDataSet(data);
  const now = Date.now();
  const snapshotAt = options.snapshotAt === undefined ? now : Number(options.snapshotAt);
  if (!Number.isFinite(snapshotAt))
    throw new StoreError(`init option 'snapshotAt' must be a Date or epoch milliseconds, got ${String(options.snapshotAt)}`);
  const enc = encodeAll(ctx, input, snapshotAt);
  // Each init starts with batches, unless IAM refused them (batch-writes.ts).
  if (ctx.table.batchWrites === 'throttled') ctx.table.batchWrites = 'on';

  const [hintState, markerPresent, claimBefore] = await Promise.all([readHintState(ctx), markerExists(ctx, false), readClaim(ctx)]);
  const readExisting = async (): Promise<Record<DataKindName, Map<string, RowState>>> => {
    const [segments, features] = await Promise.all([
      readVersions(ctx, 'segments', hintState?.ranges?.segments),
      readVersions(ctx, 'features', hintState?.ranges?.features),
    ]);
    return { segments, features };
  };
  const plan = (existing: Record<DataKindName, Map<string, RowState>>, newest: boolean) =>
    planInit({
      ...enc,
      existing,
      prerequisitesOf: (key) => (Object.hasOwn(input.flags, key) ? prerequisiteKeys(input.flags[key]) : undefined),
      snapshotAt,
      now,
      newest,
      tombstone: (kind, key, version) => encodeItem(ctx.prefix, kind, { key, version, deleted: true }, snapshotAt),
      rules: settings.rules,
    });

  const { newest, current, contested } = await claimedPlan(ctx, snapshotAt, claimBefore, readExisting, plan);

  const counts: Counts = { written: 0, deleted: 0, stale: current.stale, deletesSkipped: current.deletesSkipped };
  let outcome = await applyPlan(ctx, current, newest, snapshotAt, settings.concurrency, counts);
  if (contested && outcome.newest) {
    const second = plan(await readExisting(), true);
    outcome = await applyPlan(ctx, second, true, snapshotAt, settings.concurrency, counts);
  }

  // Read hints are planned from the data set, so an older one (which the table has partly overtaken) skips them.
  const hintsWritten = outcome.staleDataSet ? false : await updateReadHints(ctx, hintSources(enc, input), hintState);
  // The marker never changes once written, so a re-sync that changed nothing writes nothing at all.
  if (!markerPresent && outcome.newest) await putMarker(ctx);

  const summary: InitSummary = {
    ...counts,
    unchanged: current.unchanged,
    rejected: enc.problems.length,
    compressed: enc.compressed,
    hintsWritten,
    durationMs: Math.round(performance.now() - started),
    ...diffUsage(before, ctx.table.usage),
  };
  ctx.logger.info(
    `Init of ${ctx.label}: ${summary.written} written, ${summary.unchanged} unchanged, ${summary.deleted} deleted, ` +
      `${summary.stale} stale, ${summary.rejected} rejected`,
  );
  if (enc.problems.length > 0) throw new PartialInitError(summary, enc.problems);
  return summary;
}

/**
 * Reads the table, plans, and claims the table when the plan writes and no newer snapshot holds the claim
 * (rule 5, docs/write-rules.md). A lost claim demotes the plan to what an older snapshot may do; a claim
 * another sync took between our read and ours re-plans from a fresh read (`contested`: read once more at the end).
 */
async function claimedPlan(
  ctx: StoreContext,
  snapshotAt: number,
  claimBefore: ClaimState,
  readExisting: () => Promise<Record<DataKindName, Map<string, RowState>>>,
  plan: (existing: Record<DataKindName, Map<string, RowState>>, newest: boolean) => Plan,
): Promise<{ newest: boolean; current: Plan; contested: boolean }> {
  let newest = claimBefore.snapshotAt === undefined || claimBefore.snapshotAt <= snapshotAt;
  const existing = await readExisting();
  let current = plan(existing, newest);
  let contested = false;
  if (newest && hasWrites(current)) {
    const claim = await claimTable(ctx, snapshotAt).catch((err: unknown) => {
      // Nothing was written: name every planned write and the marker, as a failed wave does.
      const planned = [...current.putWaves.flat(), ...current.deletions.features, ...current.deletions.segments].map(opTarget);
      throw new WriteFailedError([...planned, { kind: '$inited', key: initedKey(ctx.prefix) }], err);
    });
    if (!claim.won) {
      newest = false;
      current = plan(existing, false);
    } else if (claim.previous.claim !== claimBefore.claim) {
      // Another full sync claimed the table between our read and our claim: read what it wrote, and once
      // done, read again for what it was still writing (it stops creating and deleting when it sees our claim).
      contested = true;
      current = plan(await readExisting(), true);
    }
  }
  if (!newest) ctx.logger.warn(`Data set for ${ctx.label} is older than one already applied; only moving live items forward`);
  else if (current.staleDataSet && current.deletesSkipped > 0) {
    ctx.logger.warn(
      `Data set for ${ctx.label} is older than the table for ${current.stale} item(s); ` +
        `skipping ${current.deletesSkipped} deletion(s) so that newer items are not removed`,
    );
  }
  return { newest, current, contested };
}

/**
 * Writes a plan's waves in order: puts, flag deletions (dependents first), segment deletions, tombstone
 * removals. Before each wave after the first, checks that no newer snapshot has claimed the table; if one
 * has, the rest is demoted to what a stale snapshot may still do.
 */
async function applyPlan(
  ctx: StoreContext,
  plan: Plan,
  newestAtStart: boolean,
  snapshotAt: number,
  concurrency: number,
  counts: Counts,
): Promise<{ newest: boolean; staleDataSet: boolean }> {
  let newest = newestAtStart;
  let staleDataSet = plan.staleDataSet;
  const deletionWaves = orderFlagDeletions(plan.deletions.features, await deletedPrerequisites(ctx, plan.deletions.features, concurrency));
  let waves: WriteOp[][] = [...plan.putWaves, ...deletionWaves, plan.deletions.segments, plan.removals].filter((w) => w.length > 0);
  for (let i = 0; i < waves.length; i++) {
    if (i > 0 && newest && !(await stillNewest(ctx, snapshotAt))) {
      newest = false;
      staleDataSet = true;
      const demoted = demoteToStale(waves.slice(i));
      waves = [...waves.slice(0, i), ...demoted.waves];
      counts.stale += demoted.droppedPuts;
      counts.deletesSkipped += demoted.droppedDeletes;
      if (i >= waves.length) break;
    }
    const wave = waves[i]!;
    const results = await applyOrExplain(ctx, waves, i, concurrency);
    wave.forEach((op, j) => {
      if (op.type === 'remove') return;
      if (results[j] === 'stale') counts.stale++;
      else if (op.item.tombstone) counts.deleted++;
      else counts.written++;
    });
  }
  return { newest, staleDataSet };
}

/** Applies wave `i`; on failure, names everything not written: the failed ops, the later waves and the marker. */
async function applyOrExplain(ctx: StoreContext, waves: WriteOp[][], i: number, concurrency: number): Promise<OpResult[]> {
  try {
    return await applyWave(ctx, waves[i]!, concurrency);
  } catch (err) {
    const failed = err instanceof WriteFailedError ? err.unwritten : waves[i]!.map(opTarget);
    const unwritten = [
      ...failed,
      ...waves
        .slice(i + 1)
        .flat()
        .map(opTarget),
      { kind: '$inited' as const, key: initedKey(ctx.prefix) },
    ];
    throw new WriteFailedError(unwritten, err instanceof WriteFailedError ? err.cause : err);
  }
}

/**
 * Prerequisites of the flags being deleted, read from the table, for ordering the deletions. Only the flags
 * being deleted are read, and only when there are two or more of them.
 */
async function deletedPrerequisites(
  ctx: StoreContext,
  ops: WriteOp[],
  concurrency: number,
): Promise<(key: string) => string[] | undefined> {
  const prerequisites = new Map<string, string[]>();
  if (ops.length >= 2) {
    const keys = ops.map((op) => opTarget(op).key);
    const items = await runPool(keys, concurrency, (key) => readItem(ctx, 'features', key, false));
    items.forEach((r, i) => {
      if (r.status === 'rejected') throw r.reason;
      prerequisites.set(keys[i]!, r.value && !r.value.deleted ? prerequisiteKeys(r.value) : []);
    });
  }
  return (key) => prerequisites.get(key);
}

function hintSources(enc: Encoding, input: FullDataSet) {
  return {
    features: [...enc.incoming.features.values()].map((e) => ({ key: e.key, bytes: e.bytes, item: input.flags[e.key] })),
    segments: [...enc.incoming.segments.values()].map((e) => ({ key: e.key, bytes: e.bytes, item: input.segments[e.key] })),
  };
}

async function putMarker(ctx: StoreContext): Promise<void> {
  const marker = initedKey(ctx.prefix);
  try {
    await ctx.table.send(
      'PutItem',
      new PutItemCommand({
        TableName: ctx.table.tableName,
        Item: { namespace: { S: marker }, key: { S: marker } },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
  } catch (err) {
    throw new WriteFailedError([{ kind: '$inited', key: marker }], err);
  }
}

function checkDataSet(data: unknown): FullDataSet {
  const what = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new StoreError(`init expects a data set {"flags": {...}, "segments": {...}}, got ${what(data)}`);
  const { flags = {}, segments = {} } = data as Record<string, unknown>;
  for (const [name, value] of [
    ['flags', flags],
    ['segments', segments],
  ] as const) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new StoreError(
        `init expects "${name}" to be an object keyed by ${name === 'flags' ? 'flag' : 'segment'} key, got ${what(value)}`,
      );
    }
  }
  return { flags, segments } as FullDataSet;
}

function snapshot(u: Usage): Usage {
  return { ...u, requests: { ...u.requests } };
}

function diffUsage(before: Usage, after: Usage): Usage {
  const requests: Record<string, number> = {};
  for (const [op, n] of Object.entries(after.requests)) {
    const d = n - (before.requests[op] ?? 0);
    if (d > 0) requests[op] = d;
  }
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    requests,
    readCapacityUnits: round(after.readCapacityUnits - before.readCapacityUnits),
    writeCapacityUnits: round(after.writeCapacityUnits - before.writeCapacityUnits),
    retries: after.retries - before.retries,
    throttled: after.throttled - before.throttled,
  };
}
