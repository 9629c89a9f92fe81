// Races: two syncs holding different snapshots (an older S1 and a newer S2 of the same environment, both
// later than the table's S0) interleaved in both orders, and at random; and stream patches racing a poll.
// Each sync passes when its snapshot was taken (S1 before S2), as the sync core does with its fetch time.
// Each writer talks to DynamoDB through its own fault proxy, whose hook holds one writer's writes until the
// other has finished, or whose latency shuffles their requests. Afterwards every item of the newest
// snapshot must be at its newest version, no version may ever have gone down (a reader polls throughout),
// and the next sync of the newest data must leave the table equal to it.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PollingClient } from '../../lib/launchdarkly/polling.js';
import { DynamoDBFlagStore, type Flag, type FullDataSet } from '../../lib/store/index.js';
import { runPollSync, runStreamSync } from '../../lib/sync/index.js';
import { startFaultProxy, type DynamoDBFaultProxy } from '../support/ddb-fault-proxy.js';
import { generateEnvironment } from '../support/generate-environment.js';
import { startLaunchDarklyServer } from '../support/ld-server.js';
import { freshTable, localClient, localClientConfig } from '../support/tables.js';
import { evolve } from './support/data.js';
import { startPoller } from './support/poller.js';
import { record } from './support/report.js';
import { compareWith, describeProblems, readTable, rolledBack, type TableState } from './support/table-state.js';
import { until } from '../support/until.js';

const AREA = 'Races';

let client: DynamoDBClient;
let proxyOld: DynamoDBFaultProxy;
let proxyNew: DynamoDBFaultProxy;
let s0: FullDataSet;
let s1: FullDataSet;
let s2: FullDataSet;
/** The mirror image: S2 plus the flags S1 deleted, re-created (S1 deleted them, S2 has them live again). */
let s2m: FullDataSet;
let stay: Set<string>;

beforeAll(async () => {
  client = localClient();
  proxyOld = await startFaultProxy({ target: localClientConfig().endpoint, seed: 11 });
  proxyNew = await startFaultProxy({ target: localClientConfig().endpoint, seed: 12 });
  s0 = generateEnvironment({ flags: 1_500, segments: 75, seed: 51 });
  s1 = evolve(s0, { changed: 0.3, removed: 0.05, added: 0.05, changedSegments: 0.3, seed: 52, createdPrefix: 'created-in-s1' });
  s2 = evolve(s1, { changed: 0.3, removed: 0.05, added: 0.05, changedSegments: 0.3, seed: 53, createdPrefix: 'created-in-s2' });
  stay = new Set(Object.keys(s0.flags).filter((k) => k in s1.flags && k in s2.flags));
  const recreated = Object.fromEntries(
    Object.entries(s0.flags)
      .filter(([k]) => !(k in s1.flags))
      .map(([k, f]) => [k, { ...f, version: f.version + 3 }]),
  );
  s2m = { flags: { ...s2.flags, ...recreated }, segments: s2.segments };
});
afterAll(async () => {
  await proxyOld?.close();
  await proxyNew?.close();
  client?.destroy();
});

const storeVia = (proxy: DynamoDBFaultProxy, tableName: string) =>
  new DynamoDBFlagStore({ tableName, clientConfig: localClientConfig(proxy.endpoint) });

/** Items the newer snapshot deleted (present in S0 or S1, absent from the newest) that are live in the table. */
function resurrected(state: TableState, newestSet: FullDataSet): string[] {
  const out: string[] = [];
  for (const kind of ['features', 'segments'] as const) {
    const newest = kind === 'features' ? newestSet.flags : newestSet.segments;
    for (const [key, stored] of state[kind]) if (!stored.deleted && !(key in newest)) out.push(`${kind}/${key}`);
  }
  return out;
}

/** How many items of S0 or S1 the newest snapshot no longer has. */
function deletedByNewest(): number {
  let n = 0;
  for (const [older, newest] of [
    [{ ...s0.flags, ...s1.flags }, s2.flags],
    [{ ...s0.segments, ...s1.segments }, s2.segments],
  ] as const) {
    for (const key of Object.keys(older)) if (!(key in newest)) n++;
  }
  return n;
}

interface RaceOutcome {
  behind: string[];
  regressions: string[];
  deletedButLive: string[];
  afterNextSync: string;
  checked: number;
}

/** The two syncs of a race: each applies its snapshot with the time it was taken (the older one first). */
interface Syncs {
  older: () => Promise<unknown>;
  newer: () => Promise<unknown>;
}

/** Runs S1 and the newest snapshot against a table holding S0, interleaved by `arrange`, and reports what the table ended with. */
async function race(arrange: (syncs: Syncs) => Promise<void>, newest: FullDataSet = s2): Promise<RaceOutcome> {
  const tableName = await freshTable(client, 'race');
  const direct = new DynamoDBFlagStore({ tableName, client });
  await direct.init(s0);
  const start = await readTable(client, tableName);
  const poller = startPoller(client, tableName, undefined, stay);
  const oldStore = storeVia(proxyOld, tableName);
  const newStore = storeVia(proxyNew, tableName);
  const takenAt = Date.now();
  try {
    await arrange({
      older: () => oldStore.init(s1, { snapshotAt: takenAt }),
      newer: () => newStore.init(newest, { snapshotAt: takenAt + 1_000 }),
    });
  } finally {
    proxyOld.setHook(undefined);
    proxyNew.setHook(undefined);
    proxyOld.setRules([]);
    proxyNew.setRules([]);
    oldStore.close();
    newStore.close();
  }
  const report = await poller.stop();
  const end = await readTable(client, tableName);
  const comparison = compareWith(end, newest);
  // The next sync of the newest data (the next poll, or the next put of a stream) must converge.
  await direct.init(newest);
  const next = compareWith(await readTable(client, tableName), newest);
  direct.close();
  return {
    behind: [...comparison.missing, ...comparison.different],
    regressions: [...rolledBack(start, end), ...report.regressions, ...report.missing],
    deletedButLive: resurrected(end, newest),
    afterNextSync: describeProblems(next),
    checked: comparison.checked,
  };
}

/** Holds every write sent through `proxy` until `release` settles. */
function holdWrites(proxy: DynamoDBFaultProxy, release: Promise<unknown>, onFirst: () => void): void {
  let first = true;
  proxy.setHook(async (request) => {
    if (!request.write) return;
    if (first) {
      first = false;
      onFirst();
    }
    await release.catch(() => undefined);
  });
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function olderWritesAfterNewer(syncs: Syncs): Promise<void> {
  // The older sync has read the table (S0) and is about to write when the newer one runs from start to end.
  const gate = deferred();
  const firstWrite = deferred();
  holdWrites(proxyOld, gate.promise, firstWrite.resolve);
  const older = syncs.older();
  await firstWrite.promise;
  await syncs.newer();
  gate.resolve();
  await older;
}

async function newerWritesAfterOlder(syncs: Syncs): Promise<void> {
  // The newer sync has read the table (S0) and is about to write when the older one runs from start to end.
  const gate = deferred();
  const firstWrite = deferred();
  holdWrites(proxyNew, gate.promise, firstWrite.resolve);
  const newer = syncs.newer();
  await firstWrite.promise;
  await syncs.older();
  gate.resolve();
  await newer;
}

const ORDERS = [
  { name: 'the older snapshot writes after the newer sync completed', arrange: olderWritesAfterNewer },
  { name: 'the newer snapshot writes after the older sync completed', arrange: newerWritesAfterOlder },
  ...[1, 2, 3].map((n) => ({
    name: `both at once, requests shuffled by random latency (run ${n})`,
    arrange: async (syncs: Syncs) => {
      proxyOld.setRules([{ fault: 'latency', rate: 0.5, latencyMs: 10 * n }]);
      proxyNew.setRules([{ fault: 'latency', rate: 0.5, latencyMs: 15 * n }]);
      await Promise.all([syncs.older(), syncs.newer()]);
    },
  })),
];

describe('two syncs with an older and a newer snapshot', () => {
  for (const order of ORDERS) {
    it(`${order.name}: every item of the newest snapshot ends at its newest version, none goes back, the next sync converges`, async ({
      task,
    }) => {
      const outcome = await race(order.arrange);
      record(task, {
        area: AREA,
        name: `older/newer snapshot: ${order.name}`,
        injected: 1,
        checked: outcome.checked,
        lost: outcome.behind.length,
        rolledBack: outcome.regressions.length,
        note: outcome.deletedButLive.length
          ? `${outcome.deletedButLive.length} items S2 deleted live until the next sync (known gap below)`
          : undefined,
      });
      expect(outcome.behind).toEqual([]);
      expect(outcome.regressions).toEqual([]);
      expect(outcome.afterNextSync).toBe('none');
    });
  }

  // Once a gap (a flag the newer snapshot deleted came back live when the syncs raced): closed by the
  // snapshot claim and full-sync tombstones (docs/write-rules.md). The older sync, finding a newer snapshot
  // has claimed the table, only moves live rows forward: it neither re-creates nor creates.
  for (const order of ORDERS.slice(0, 2)) {
    it(`${order.name}: items the newer snapshot deleted stay deleted`, async ({ task }) => {
      const outcome = await race(order.arrange);
      record(task, {
        area: AREA,
        name: `older/newer snapshot, deletions: ${order.name}`,
        injected: 1,
        checked: deletedByNewest(),
        lost: outcome.behind.length,
        rolledBack: outcome.deletedButLive.length,
        note: outcome.deletedButLive.length ? `live though deleted: ${outcome.deletedButLive.slice(0, 2).join(', ')}…` : undefined,
      });
      expect(outcome.deletedButLive).toEqual([]);
      expect(outcome.behind).toEqual([]);
      expect(outcome.regressions).toEqual([]);
    });

    // The mirror image: flags the older snapshot deleted and the newer one has live again must stay live.
    it(`${order.name}: items the older snapshot deleted and the newer one re-created stay live`, async ({ task }) => {
      const outcome = await race(order.arrange, s2m);
      const recreated = Object.keys(s2m.flags).filter((k) => !(k in s1.flags) && k in s0.flags).length;
      record(task, {
        area: AREA,
        name: `older/newer snapshot, re-creations: ${order.name}`,
        injected: 1,
        checked: outcome.checked,
        lost: outcome.behind.length,
        rolledBack: outcome.regressions.length + outcome.deletedButLive.length,
        note: `${recreated} flags deleted by the older snapshot, live in the newer`,
      });
      expect(recreated).toBeGreaterThan(0);
      expect(outcome.behind).toEqual([]);
      expect(outcome.deletedButLive).toEqual([]);
      expect(outcome.regressions).toEqual([]);
    });
  }
});

describe('stream patches racing a poll', () => {
  it("a patch, a delete and a creation land while a poll of an older snapshot is writing: the stream's versions win", async ({ task }) => {
    const tableName = await freshTable(client, 'racepatch');
    const direct = new DynamoDBFlagStore({ tableName, client });
    await direct.init(s0);
    // LaunchDarkly now serves S1; the poll fetches it, then (its writes held) the stream delivers newer changes.
    const sdkKey = 'sdk-race-0000';
    const ld = await startLaunchDarklyServer({ sdkKey, data: s0 });
    const streamStore = new DynamoDBFlagStore({ tableName, client });
    const controller = new AbortController();
    const streaming = runStreamSync({
      store: streamStore,
      sdkKey,
      streamUri: ld.streamUri,
      signal: controller.signal,
      retry: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    await ld.waitForStreams(1);
    // The stream's first put (S0) is a no-op diff; wait until it was applied.
    await until(async () => (await streamStore.syncStatus())?.source === 'stream', 'the stream’s first put to be applied', 20_000);

    ld.setData(s1);
    const changedKeys = Object.keys(s1.flags).filter((k) => s0.flags[k] && s1.flags[k]!.version > s0.flags[k]!.version);
    const [patched, deleted] = changedKeys;
    const createdKey = 'created-by-stream';
    const pollHeld = deferred();
    const pollWriting = deferred();
    holdWrites(proxyOld, pollHeld.promise, pollWriting.resolve);
    const pollStore = storeVia(proxyOld, tableName);
    const poll = runPollSync({ store: pollStore, poller: new PollingClient({ sdkKey, baseUri: ld.baseUri }) });
    await pollWriting.promise;

    const patchedItem: Flag = { ...s1.flags[patched!]!, version: s1.flags[patched!]!.version + 5, on: false };
    const deletedVersion = s1.flags[deleted!]!.version + 5;
    const createdItem: Flag = {
      key: createdKey,
      version: 1,
      on: true,
      variations: [true, false],
      fallthrough: { variation: 0 },
      offVariation: 1,
      salt: 'x',
    };
    ld.sendPatch('features', patchedItem);
    ld.sendDelete('features', deleted!, deletedVersion);
    ld.sendPatch('features', createdItem);
    await until(
      async () => (await direct.getIncludingDeleted('features', createdKey)) !== null,
      `the stream’s creation of ${createdKey}`,
      20_000,
    );
    pollHeld.resolve();
    let pollError: unknown;
    await poll.catch((err) => (pollError = err));
    proxyOld.setHook(undefined);
    controller.abort();
    await streaming.catch(() => undefined);

    const end = await readTable(client, tableName);
    const problems: string[] = [];
    if (end.features.get(patched!)?.version !== patchedItem.version)
      problems.push(`patched flag at ${end.features.get(patched!)?.version}, want ${patchedItem.version}`);
    if (end.features.get(patched!)?.json !== JSON.stringify(patchedItem)) problems.push('patched flag content differs');
    const tomb = end.features.get(deleted!);
    if (!tomb?.deleted || tomb.version !== deletedVersion) problems.push(`deleted flag: ${JSON.stringify(tomb)}`);
    if (end.features.get(createdKey)?.version !== 1 || end.features.get(createdKey)?.deleted)
      problems.push('flag created by the stream is gone');
    // Everything else the poll carried is at S1's version.
    const rest = compareWith(end, s1, { skip: new Set([`features/${patched}`, `features/${deleted}`, `features/${createdKey}`]) });
    record(task, {
      area: AREA,
      name: 'stream patch, delete and creation racing a poll',
      injected: 3,
      checked: rest.checked + 3,
      lost: rest.missing.length + rest.different.length + problems.length,
      rolledBack: 0,
      note: pollError ? `poll failed: ${(pollError as Error).message}` : undefined,
    });
    expect(pollError).toBeUndefined();
    expect(problems).toEqual([]);
    expect(describeProblems(rest)).toBe('none');
    pollStore.close();
    streamStore.close();
    direct.close();
    await ld.close();
  });
});
