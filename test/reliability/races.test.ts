// Races: two syncs holding different snapshots (an older S1 and a newer S2 of the same environment, both
// later than the table's S0) interleaved in both orders, and at random; and stream patches racing a poll.
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
let stay: Set<string>;

beforeAll(async () => {
  client = localClient();
  proxyOld = await startFaultProxy({ target: localClientConfig().endpoint, seed: 11 });
  proxyNew = await startFaultProxy({ target: localClientConfig().endpoint, seed: 12 });
  s0 = generateEnvironment({ flags: 1_500, segments: 75, seed: 51 });
  s1 = evolve(s0, { changed: 0.3, removed: 0.05, added: 0.05, changedSegments: 0.3, seed: 52, createdPrefix: 'created-in-s1' });
  s2 = evolve(s1, { changed: 0.3, removed: 0.05, added: 0.05, changedSegments: 0.3, seed: 53, createdPrefix: 'created-in-s2' });
  stay = new Set(Object.keys(s0.flags).filter((k) => k in s1.flags && k in s2.flags));
});
afterAll(async () => {
  await proxyOld?.close();
  await proxyNew?.close();
  client?.destroy();
});

const storeVia = (proxy: DynamoDBFaultProxy, tableName: string) => new DynamoDBFlagStore({ tableName, clientConfig: localClientConfig(proxy.endpoint) });

/** Items the newer snapshot deleted (present in S0 or S1, absent from S2) that are live in the table. */
function resurrected(state: TableState): string[] {
  const out: string[] = [];
  for (const kind of ['features', 'segments'] as const) {
    const newest = kind === 'features' ? s2.flags : s2.segments;
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

/** Runs S1 and S2 against a table holding S0, interleaved by `arrange`, and reports what the table ended with. */
async function race(arrange: (oldStore: DynamoDBFlagStore, newStore: DynamoDBFlagStore) => Promise<void>): Promise<RaceOutcome> {
  const tableName = await freshTable(client, 'race');
  const direct = new DynamoDBFlagStore({ tableName, client });
  await direct.init(s0);
  const start = await readTable(client, tableName);
  const poller = startPoller(client, tableName, undefined, stay);
  const oldStore = storeVia(proxyOld, tableName);
  const newStore = storeVia(proxyNew, tableName);
  try {
    await arrange(oldStore, newStore);
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
  const comparison = compareWith(end, s2);
  // The next sync of the newest data (the next poll, or the next put of a stream) must converge.
  await direct.init(s2);
  const next = compareWith(await readTable(client, tableName), s2);
  direct.close();
  return {
    behind: [...comparison.missing, ...comparison.different],
    regressions: [...rolledBack(start, end), ...report.regressions, ...report.missing],
    deletedButLive: resurrected(end),
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

async function olderWritesAfterNewer(oldStore: DynamoDBFlagStore, newStore: DynamoDBFlagStore): Promise<void> {
  // The older sync has read the table (S0) and is about to write when the newer one runs from start to end.
  const gate = deferred();
  const firstWrite = deferred();
  holdWrites(proxyOld, gate.promise, firstWrite.resolve);
  const older = oldStore.init(s1);
  await firstWrite.promise;
  await newStore.init(s2);
  gate.resolve();
  await older;
}

async function newerWritesAfterOlder(oldStore: DynamoDBFlagStore, newStore: DynamoDBFlagStore): Promise<void> {
  // The newer sync has read the table (S0) and is about to write when the older one runs from start to end.
  const gate = deferred();
  const firstWrite = deferred();
  holdWrites(proxyNew, gate.promise, firstWrite.resolve);
  const newer = newStore.init(s2);
  await firstWrite.promise;
  await oldStore.init(s1);
  gate.resolve();
  await newer;
}

const ORDERS = [
  { name: 'the older snapshot writes after the newer sync completed', arrange: olderWritesAfterNewer },
  { name: 'the newer snapshot writes after the older sync completed', arrange: newerWritesAfterOlder },
  ...[1, 2, 3].map((n) => ({
    name: `both at once, requests shuffled by random latency (run ${n})`,
    arrange: async (oldStore: DynamoDBFlagStore, newStore: DynamoDBFlagStore) => {
      proxyOld.setRules([{ fault: 'latency', rate: 0.5, latencyMs: 10 * n }]);
      proxyNew.setRules([{ fault: 'latency', rate: 0.5, latencyMs: 15 * n }]);
      await Promise.all([oldStore.init(s1), newStore.init(s2)]);
    },
  })),
];

describe('two syncs with an older and a newer snapshot', () => {
  for (const order of ORDERS) {
    it(`${order.name}: every item of the newest snapshot ends at its newest version, none goes back, the next sync converges`, async ({ task }) => {
      const outcome = await race(order.arrange);
      record(task, {
        area: AREA,
        name: `older/newer snapshot: ${order.name}`,
        injected: 1,
        checked: outcome.checked,
        lost: outcome.behind.length,
        rolledBack: outcome.regressions.length,
        note: outcome.deletedButLive.length ? `${outcome.deletedButLive.length} items S2 deleted live until the next sync (known gap below)` : undefined,
      });
      expect(outcome.behind).toEqual([]);
      expect(outcome.regressions).toEqual([]);
      expect(outcome.afterNextSync).toBe('none');
    });
  }

  // Known gap (lib/store/writer.ts, init): a flag LaunchDarkly deleted between the two snapshots comes back
  // live when the syncs race, and stays until the next full sync.
  // - Older sync writes last: the newer init deletes the row (a plain DeleteItem, no tombstone), then the
  //   older init's conditional put (`attribute_not_exists(version) OR version < :v`) recreates it.
  // - Newer sync writes last: its deletion is conditional on the version it read (S0's); the older sync
  //   raised the version in between, so the delete's condition fails and the row (S1's version) stays.
  // Expected by the issue: "every item ends at its newest version; nothing rolls back" (for an item S2
  // deleted, the newest state is deleted). Remove `.fails` once the writer closes the gap.
  for (const order of ORDERS.slice(0, 2)) {
    it.fails(`${order.name}: items the newer snapshot deleted stay deleted`, async ({ task }) => {
      const outcome = await race(order.arrange);
      record(task, {
        area: AREA,
        name: `older/newer snapshot, deletions: ${order.name}`,
        injected: 1,
        checked: deletedByNewest(),
        lost: 0,
        rolledBack: outcome.deletedButLive.length,
        note: `live though deleted: ${outcome.deletedButLive.slice(0, 2).join(', ')}…`,
      });
      expect(outcome.deletedButLive).toEqual([]);
    });
  }
});

describe('stream patches racing a poll', () => {
  it('a patch, a delete and a creation land while a poll of an older snapshot is writing: the stream\'s versions win', async ({ task }) => {
    const tableName = await freshTable(client, 'racepatch');
    const direct = new DynamoDBFlagStore({ tableName, client });
    await direct.init(s0);
    // LaunchDarkly now serves S1; the poll fetches it, then (its writes held) the stream delivers newer changes.
    const sdkKey = 'sdk-race-0000';
    const ld = await startLaunchDarklyServer({ sdkKey, data: s0 });
    const streamStore = new DynamoDBFlagStore({ tableName, client });
    const controller = new AbortController();
    const streaming = runStreamSync({ store: streamStore, sdkKey, streamUri: ld.streamUri, signal: controller.signal, retry: { initialDelayMs: 50, maxDelayMs: 200 } });
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
    const createdItem: Flag = { key: createdKey, version: 1, on: true, variations: [true, false], fallthrough: { variation: 0 }, offVariation: 1, salt: 'x' };
    ld.sendPatch('features', patchedItem);
    ld.sendDelete('features', deleted!, deletedVersion);
    ld.sendPatch('features', createdItem);
    await until(async () => (await direct.getIncludingDeleted('features', createdKey)) !== null, `the stream’s creation of ${createdKey}`, 20_000);
    pollHeld.resolve();
    let pollError: unknown;
    await poll.catch((err) => (pollError = err));
    proxyOld.setHook(undefined);
    controller.abort();
    await streaming.catch(() => undefined);

    const end = await readTable(client, tableName);
    const problems: string[] = [];
    if (end.features.get(patched!)?.version !== patchedItem.version) problems.push(`patched flag at ${end.features.get(patched!)?.version}, want ${patchedItem.version}`);
    if (end.features.get(patched!)?.json !== JSON.stringify(patchedItem)) problems.push('patched flag content differs');
    const tomb = end.features.get(deleted!);
    if (!tomb?.deleted || tomb.version !== deletedVersion) problems.push(`deleted flag: ${JSON.stringify(tomb)}`);
    if (end.features.get(createdKey)?.version !== 1 || end.features.get(createdKey)?.deleted) problems.push('flag created by the stream is gone');
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

