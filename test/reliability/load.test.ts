// Load: 50 consumer processes, each @launchdarkly/node-server-sdk v9 in daemon mode with ReadOnlyFeatureStore
// (half with the cache off, half with a 1 s cache), evaluate flags round after round while six syncs change
// the table under them: flags changed, flags deleted, and new chains of prerequisite → dependent → segment
// created. Every evaluation must equal what the SDK gives for one of the synced data sets (computed in memory
// with the SDK's TestData), never a mix in which a flag points at a prerequisite or segment that is not there,
// and no consumer may log an error.
//
// The evaluated flags are chosen so that caching cannot mix versions either: each flag's prerequisites and
// segments never change, except for the new chains, whose parts are looked up only through the new flag.
// (A flag and its prerequisite changing in one sync could be seen half-old, half-new by a cache that expires
// key by key: that is the SDK cache's trade-off, not the table's, and is left out.)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LDContext } from '@launchdarkly/node-server-sdk';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBFlagStore, type Flag, type FullDataSet, type Segment } from '../../lib/store/index.js';
import { generateContexts, generateEnvironment, seededRandom } from '../support/generate-environment.js';
import { freshTable, localClient, localClientConfig } from '../support/tables.js';
import { prerequisiteTargets } from './support/data.js';
import { record } from './support/report.js';
import { node22 } from './support/sync-process.js';
import { memorySdk } from '../support/memory-sdk.js';

const AREA = 'Load';
const CONSUMERS = 50;
const STEPS = 6;
const STEP_MS = 2_500;

let client: DynamoDBClient;
let dir: string;
let bundle: string;
let snapshots: FullDataSet[];
let evaluated: string[];
let contexts: LDContext[];
/** allowed[flag][context index] = result JSONs of every snapshot */
let allowed: Map<string, Set<string>[]>;

/** The data sets the syncs go through: each changes leaf flags, deletes some, and adds a chain. */
function buildSnapshots(): { snapshots: FullDataSet[]; evaluated: string[] } {
  const random = seededRandom(102);
  const first = generateEnvironment({ flags: 400, segments: 20, seed: 101 });
  const targets = prerequisiteTargets(first.flags);
  const leaves = Object.keys(first.flags).filter((k) => !targets.has(k));
  const changing = leaves.slice(0, 40);
  const deleting = leaves.slice(40, 40 + 3 * STEPS);
  const userKeys = contexts.map((c) => (c as unknown as { user: { key: string } }).user.key);
  const list = [first];
  for (let step = 1; step <= STEPS; step++) {
    const prev = list.at(-1)!;
    const flags: Record<string, Flag> = { ...prev.flags };
    const segments: Record<string, Segment> = { ...prev.segments };
    for (const key of changing) {
      if (random() >= 0.25) continue;
      const old = flags[key]!;
      const n = (old.variations as unknown[]).length;
      const current = (old.fallthrough as { variation?: number }).variation ?? 0;
      flags[key] = { ...old, version: old.version + 1, fallthrough: { variation: (current + 1) % n } };
    }
    for (const key of deleting.slice((step - 1) * 3, step * 3)) delete flags[key];
    const prereq = `chain-${step}-prerequisite`;
    const seg = `chain-${step}-segment`;
    const head = `chain-${step}-head`;
    flags[prereq] = {
      key: prereq,
      version: 1,
      on: true,
      variations: [true, false],
      fallthrough: { variation: 0 },
      offVariation: 1,
      salt: 'c',
      prerequisites: [],
      targets: [],
      rules: [],
    };
    segments[seg] = { key: seg, version: 1, included: userKeys, excluded: [], rules: [], salt: 'c' };
    flags[head] = {
      key: head,
      version: 1,
      on: true,
      variations: ['in-segment', 'not-in-segment', 'off'],
      prerequisites: [{ key: prereq, variation: 0 }],
      rules: [
        {
          id: `rule-${step}`,
          variation: 0,
          clauses: [{ contextKind: 'user', attribute: '', op: 'segmentMatch', values: [seg], negate: false }],
        },
      ],
      fallthrough: { variation: 1 },
      offVariation: 2,
      salt: 'c',
      targets: [],
    };
    list.push({ flags, segments });
  }
  const heads = Array.from({ length: STEPS }, (_, i) => `chain-${i + 1}-head`);
  return { snapshots: list, evaluated: [...changing, ...deleting, ...heads] };
}

/** What the SDK answers for each evaluated flag and context, given a data set (in memory, via TestData). */
async function evaluateInMemory(data: FullDataSet): Promise<Map<string, string[]>> {
  const sdk = await memorySdk(data);
  const out = new Map<string, string[]>();
  for (const flag of evaluated) {
    const row: string[] = [];
    for (const context of contexts) {
      const d = await sdk.variationDetail(flag, context, 'DEFAULT');
      row.push(JSON.stringify({ value: d.value, variationIndex: d.variationIndex ?? null, reason: d.reason }));
    }
    out.set(flag, row);
  }
  sdk.close();
  return out;
}

beforeAll(async () => {
  client = localClient();
  dir = await mkdtemp(path.join(tmpdir(), 'ld-load-'));
  bundle = path.join(dir, 'consumer.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./support/consumer.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    outfile: bundle,
    logLevel: 'silent',
    // Some dependencies are CommonJS and call require(); an ESM bundle needs it defined.
    banner: {
      js: "import { createRequire as __loadCreateRequire } from 'node:module'; const require = __loadCreateRequire(import.meta.url);",
    },
  });
  contexts = generateContexts(3, 103) as unknown as LDContext[];
  ({ snapshots, evaluated } = buildSnapshots());
  allowed = new Map(evaluated.map((f) => [f, contexts.map(() => new Set<string>())]));
  for (const snapshot of snapshots) {
    for (const [flag, row] of await evaluateInMemory(snapshot)) {
      row.forEach((r, c) => {
        allowed.get(flag)![c]!.add(r);
      });
    }
  }
});
afterAll(async () => {
  client?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface ConsumerOutput {
  evaluations: number;
  rounds: number;
  results: Record<string, Record<number, Record<string, number>>>;
  unknownFlags: Record<string, number>;
  errors: string[];
  errorCount: number;
}

/** A flag we evaluate on purpose while some data set lacks it (a chain not created yet, a deleted flag). */
function absentSomewhere(key: string): boolean {
  return evaluated.includes(key) && snapshots.some((s) => !(key in s.flags));
}

function startConsumer(tableName: string, cacheTTL: number) {
  const config = {
    endpoint: localClientConfig().endpoint,
    tableName,
    cacheTTL,
    flags: evaluated,
    contexts,
    pauseMs: cacheTTL === 0 ? 300 : 150,
  };
  const child: ChildProcess = spawn(node22, [bundle, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
  });
  let stdout = '';
  let stderr = '';
  let onReady: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  child.stdout!.on('data', (d) => {
    stdout += d;
    if (stdout.includes('ready\n')) onReady();
  });
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<ConsumerOutput>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) reject(new Error(`consumer exited with ${code}: ${stderr.slice(0, 500)}`));
      else resolve(JSON.parse(line) as ConsumerOutput);
    });
  });
  return { child, ready, done, stop: () => child.stdin!.end('stop\n') };
}

describe(`${CONSUMERS} consumer processes evaluating while syncs write`, () => {
  it('no errors, and every evaluation equals the result of one of the synced data sets', { timeout: 300_000 }, async ({ task }) => {
    const tableName = await freshTable(client, 'load');
    const store = new DynamoDBFlagStore({ tableName, client });
    await store.init(snapshots[0]!);
    const consumers = Array.from({ length: CONSUMERS }, (_, i) => startConsumer(tableName, i % 2 === 0 ? 0 : 1));
    try {
      await Promise.race([
        Promise.all(consumers.map((c) => c.ready)),
        new Promise((_, reject) => setTimeout(() => reject(new Error('consumers did not start within 120 s')), 120_000)),
      ]);
      for (let step = 1; step <= STEPS; step++) {
        await new Promise((r) => setTimeout(r, STEP_MS));
        await store.init(snapshots[step]!);
      }
      // Let every consumer, cached or not, see the last data set too.
      await new Promise((r) => setTimeout(r, 2 * STEP_MS));
    } finally {
      for (const c of consumers) c.stop();
    }
    const outputs = await Promise.all(consumers.map((c) => c.done));
    store.close();

    let evaluations = 0;
    let mixed = 0;
    const samples: string[] = [];
    const errors: string[] = [];
    const seenLast = new Set<string>();
    const seenFirst = new Set<string>();
    const last = await evaluateInMemory(snapshots.at(-1)!);
    const firstResults = await evaluateInMemory(snapshots[0]!);
    for (const [i, out] of outputs.entries()) {
      evaluations += out.evaluations;
      if (out.errorCount > 0) errors.push(`consumer ${i}: ${out.errors[0]} (${out.errorCount} in all)`);
      // The SDK logs each evaluation of a flag that does not exist: expected only for flags some data set lacks.
      for (const key of Object.keys(out.unknownFlags))
        if (!absentSomewhere(key)) errors.push(`consumer ${i}: flag ${key} reported unknown`);
      for (const [flag, byContext] of Object.entries(out.results)) {
        for (const [c, seen] of Object.entries(byContext)) {
          for (const [result, count] of Object.entries(seen)) {
            if (last.get(flag)![Number(c)] === result) seenLast.add(flag);
            if (firstResults.get(flag)![Number(c)] === result) seenFirst.add(flag);
            if (allowed.get(flag)![Number(c)]!.has(result)) continue;
            mixed += count;
            if (samples.length < 5) samples.push(`${flag} for context ${c}: ${result}`);
          }
        }
      }
    }
    record(task, {
      area: AREA,
      name: `${CONSUMERS} SDK processes (cacheTTL 0 and 1 s), ${STEPS} syncs`,
      injected: STEPS,
      checked: evaluations,
      lost: mixed,
      rolledBack: 0,
      note: `${evaluated.length} flags × ${contexts.length} contexts, ${outputs.reduce((n, o) => n + o.rounds, 0)} rounds; ${errors.length} consumers with errors`,
    });
    expect(errors).toEqual([]);
    expect(samples).toEqual([]);
    // The consumers really evaluated while the data changed: the last chain was seen both absent and present.
    expect(seenFirst.has(`chain-${STEPS}-head`)).toBe(true);
    expect(seenLast.has(`chain-${STEPS}-head`)).toBe(true);
    expect(Math.min(...outputs.map((o) => o.rounds))).toBeGreaterThanOrEqual(3);
  });
});
