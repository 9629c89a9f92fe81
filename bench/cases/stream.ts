// Stream: the time from a `patch` sent by the loopback LaunchDarkly server to the patched item being
// readable in the table, over many patches sent one at a time. "Readable" is when DynamoDB has answered the
// write that stored that version: the counting proxy sees the exchange, for both sides alike. Ours streams
// with the sync core's runStreamSync into DynamoDBFlagStore; LaunchDarkly's side is its v7 SDK streaming
// from the same kind of loopback server with its DynamoDB store as the feature store, as a Relay-less
// "sync through the SDK" deployment would.
import { createRequire } from 'node:module';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBFlagStore } from '../../lib/store/flag-store.js';
import { runStreamSync } from '../../lib/sync/index.js';
import type { Flag, FullDataSet } from '../../lib/store/types.js';
import { startLaunchDarklyServer, type LaunchDarklyServer } from '../../test/support/ld-server.js';
import { epochNow, type Counts, type CountingProxy, type Exchange } from '../lib/proxy.js';
import { percentile } from '../lib/stats.js';
import { clientConfig, dropTable, newTable } from '../lib/tables.js';
import type { Impl } from '../workers/init-worker.js';

export interface StreamRun {
  patches: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** DynamoDB traffic while the patches were applied (the initial put excluded). */
  counts: Counts;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

type Stopper = () => Promise<void>;

async function startPeer(server: LaunchDarklyServer, tableName: string, endpoint: string, errors: string[]): Promise<Stopper> {
  const require = createRequire(import.meta.url);
  const LaunchDarkly = require('launchdarkly-node-server-sdk');
  const { DynamoDBFeatureStore } = require('launchdarkly-node-server-sdk-dynamodb');
  const logger = { ...quiet, error: (...a: unknown[]) => errors.push(a.join(' ')) };
  const client = LaunchDarkly.init(server.sdkKey, {
    baseUri: server.baseUri,
    streamUri: server.streamUri,
    eventsUri: server.baseUri,
    stream: true,
    sendEvents: false,
    diagnosticOptOut: true,
    logger,
    featureStore: DynamoDBFeatureStore(tableName, { cacheTTL: 0, clientOptions: clientConfig(endpoint) }),
  });
  await client.waitForInitialization();
  return async () => client.close();
}

export interface StreamCaseOptions {
  admin: DynamoDBClient;
  proxy: CountingProxy;
  data: FullDataSet;
  patches: number;
  impl: Impl;
}

export async function runStreamCase(opts: StreamCaseOptions): Promise<StreamRun> {
  const { proxy } = opts;
  const tableName = await newTable(opts.admin, `stream-${opts.impl}`);
  const server = await startLaunchDarklyServer({ data: opts.data });
  const errors: string[] = [];
  const waiters = new Map<string, (e: Exchange) => void>();
  let markerWritten: (() => void) | undefined;
  const marker = new Promise<void>((resolve) => (markerWritten = resolve));
  proxy.onExchange = (e) => {
    for (const w of e.written) {
      if (w.key === '$inited') markerWritten?.();
      waiters.get(`${w.namespace}/${w.key}@${w.version}`)?.(e);
    }
  };
  const controller = new AbortController();
  let stop: Stopper;
  try {
    if (opts.impl === 'ours') {
      const store = new DynamoDBFlagStore({ tableName, clientConfig: clientConfig(proxy.endpoint) });
      const logger = { ...quiet, error: (...a: unknown[]) => errors.push(a.join(' ')) };
      const session = runStreamSync({ store, sdkKey: server.sdkKey, streamUri: server.streamUri, signal: controller.signal, logger });
      // A session that fails before the put would otherwise leave the wait below to time out.
      session.catch((err: unknown) => errors.push(String(err)));
      await withTimeout(
        Promise.race([marker, session.then(() => Promise.reject(new Error(`stream session ended early: ${errors.join('; ')}`)))]),
        120_000,
        'the initial put to be written',
      );
      stop = async () => {
        controller.abort();
        await session;
        store.close();
      };
    } else {
      stop = await startPeer(server, tableName, proxy.endpoint, errors);
    }
    // Let anything the initial put set off (a sync-status record, say) finish before counting.
    await waitForQuiet(proxy, 200);
    proxy.reset();

    const versions = new Map(Object.values(opts.data.flags).map((f) => [f.key, f.version]));
    const keys = [...versions.keys()];
    const latencies: number[] = [];
    for (let i = 0; i < opts.patches; i++) {
      const key = keys[(i * 7919) % keys.length]!;
      const version = versions.get(key)! + 1;
      versions.set(key, version);
      const item: Flag = { ...opts.data.flags[key]!, version, on: i % 2 === 0 };
      const landed = new Promise<Exchange>((resolve) => waiters.set(`features/${key}@${version}`, resolve));
      const sentAt = epochNow();
      server.sendPatch('features', item);
      const exchange = await withTimeout(landed, 10_000, `patch ${i} (${key} v${version}) to reach the table`);
      waiters.delete(`features/${key}@${version}`);
      latencies.push(exchange.endedAt - sentAt);
      if (errors.length > 0) throw new Error(`stream ${opts.impl}: ${errors.slice(0, 3).join('; ')}`);
    }
    await waitForQuiet(proxy, 200);
    const counts = proxy.counts();
    await stop();
    if (errors.length > 0) throw new Error(`stream ${opts.impl}: ${errors.slice(0, 3).join('; ')}`);
    return {
      patches: opts.patches,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: Math.max(...latencies),
      counts,
    };
  } finally {
    controller.abort();
    proxy.onExchange = undefined;
    await server.close();
    await dropTable(opts.admin, tableName);
  }
}

/** Waits until the proxy has seen no request for `ms`. */
async function waitForQuiet(proxy: CountingProxy, ms: number): Promise<void> {
  for (;;) {
    const last = proxy.log.at(-1)?.endedAt ?? 0;
    const idle = epochNow() - last;
    if (idle >= ms) return;
    await new Promise((r) => setTimeout(r, ms - idle));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms))),
  ]);
}
