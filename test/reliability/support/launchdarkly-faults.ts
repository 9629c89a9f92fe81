// What the LaunchDarkly-faults files share: one generated environment, a DynamoDB Local client, a loopback
// LaunchDarkly per case (closed after it), a table and store per case, a stream sync that can be stopped,
// and a wait until the table equals what LaunchDarkly serves. Each file calls useLaunchDarklyFaults() once.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { DynamoDBFlagStore, type Flag, type FullDataSet } from '../../../lib/store/index.js';
import { runStreamSync, type StreamSyncReport } from '../../../lib/sync/index.js';
import { generateEnvironment } from '../../support/generate-environment.js';
import { startLaunchDarklyServer, type LaunchDarklyServer } from '../../support/ld-server.js';
import { freshTable, localClient } from '../../support/tables.js';
import { until } from '../../support/until.js';
import { record } from './report.js';
import { type Comparison, compareWith, describeProblems, readTable } from './table-state.js';

export const AREA = 'LaunchDarkly faults';
export const SDK_KEY = 'sdk-reliability-0000-1111';
export const fastStream = { initialDelayMs: 20, maxDelayMs: 100 };
export const fastPoll = { attempts: 3, initialDelayMs: 10, maxDelayMs: 50 };

export let client: DynamoDBClient;
export let env: FullDataSet;
let ld: LaunchDarklyServer | undefined;
/** Run after the current case, last first: servers, proxies and syncs a case started. */
export const cleanups: (() => Promise<unknown> | unknown)[] = [];

/** The hooks every LaunchDarkly-faults file needs: the client and environment, and cleaning up after each case. */
export function useLaunchDarklyFaults(): void {
  beforeAll(() => {
    client = localClient();
    env = generateEnvironment({ flags: 300, segments: 15, seed: 71 });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await ld?.close();
    ld = undefined;
  });
  afterAll(() => client?.destroy());
}

export async function setup(data: FullDataSet = env, preload?: FullDataSet) {
  ld = await startLaunchDarklyServer({ sdkKey: SDK_KEY, data });
  const tableName = await freshTable(client, 'ldfault');
  const store = new DynamoDBFlagStore({ tableName, client });
  if (preload) await store.init(preload);
  cleanups.push(() => store.close());
  return { ld, tableName, store };
}

/** Starts a stream sync; stop() ends it and returns its report (or error). */
export function stream(store: DynamoDBFlagStore, streamUri: string, retry: Record<string, number> = fastStream) {
  const controller = new AbortController();
  const logs: string[] = [];
  const logger = { debug() {}, info() {}, warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
  const running = runStreamSync({ store, sdkKey: SDK_KEY, streamUri, signal: controller.signal, retry, logger }).then(
    (report) => ({ report, error: undefined as unknown }),
    (error: unknown) => ({ report: undefined as StreamSyncReport | undefined, error }),
  );
  cleanups.push(() => {
    controller.abort();
    return running;
  });
  return {
    logs,
    running,
    async stop() {
      controller.abort();
      return running;
    },
  };
}

/** Waits until the table equals what the server serves now. */
export async function converged(tableName: string, server: LaunchDarklyServer, timeoutMs = 20_000) {
  let last = '';
  await until(
    async () => {
      last = describeProblems(compareWith(await readTable(client, tableName), server.currentData()));
      return last === 'none';
    },
    () => `the table to equal LaunchDarkly's data (last seen: ${last})`,
    timeoutMs,
  );
  return compareWith(await readTable(client, tableName), server.currentData());
}

export const bumped = (flag: Flag, by = 1): Flag => ({ ...flag, version: flag.version + by, on: !flag.on });
export const someFlags = (n: number) => Object.values(env.flags).slice(0, n);

/** Reports a case that ended with the table level with LaunchDarkly: what it checked and found missing, nothing rolled back. */
export function recordLevel(
  task: Parameters<typeof record>[0],
  name: string,
  injected: number,
  comparison: Comparison,
  note?: string,
): void {
  record(task, { area: AREA, name, injected, checked: comparison.checked, lost: comparison.missing.length, rolledBack: 0, note });
}
