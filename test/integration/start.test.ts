// `npm start`, as a newcomer runs it: its own embedded DynamoDB Local, the example environment synced through
// the sync core, and flags evaluated by @launchdarkly/node-server-sdk in daemon mode with ReadOnlyFeatureStore.
// The printed evaluations must be exactly what an SDK fed the same example file in memory returns.
// Also: with LD_SDK_KEY it syncs from LaunchDarkly (here the loopback server) instead.
import { readFileSync } from 'node:fs';
import type { LDContext } from '@launchdarkly/node-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CONTEXTS, DEMO_FLAGS, formatEvaluationLine } from '../../lib/cli/evaluate.js';
import { runLocal } from '../../lib/cli/local-run.js';
import { StringOutput } from '../../lib/cli/output.js';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import type { FullDataSet } from '../../lib/store/types.js';
import { startLaunchDarklyServer } from '../support/ld-server.js';
import { dynamoEndpoint, localClient } from '../support/tables.js';
import { childEnv, exampleFile, repoRoot, spawnCli } from './cli-support.js';
import { memorySdk } from '../support/memory-sdk.js';

const example = JSON.parse(readFileSync(exampleFile, 'utf8')) as FullDataSet;

/** The lines `npm start` must print: the same formatter applied to an in-memory SDK's results. */
async function expectedLines(data: FullDataSet, flags: string[]): Promise<string[]> {
  const client = await memorySdk(data);
  try {
    const lines: string[] = [];
    for (const flag of flags) {
      for (const { label, context } of DEMO_CONTEXTS) {
        const d = await client.variationDetail(flag, context as LDContext, null);
        lines.push(formatEvaluationLine(label, d, data.flags[flag]));
      }
    }
    return lines;
  } finally {
    client.close();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start', () => {
  it('starts DynamoDB Local, syncs the example, prints evaluations identical to an in-memory SDK, and stops DynamoDB Local', async () => {
    // Exactly what the README tells a newcomer to run, with no AWS or LaunchDarkly settings in the environment.
    const run = spawnCli([], childEnv(), ['npm', 'start', '--silent']);
    const r = await run.done;
    const shown = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    expect(r.code, shown).toBe(0);
    const out = r.stdout;

    const started = /Started DynamoDB Local \(in memory, pid (\d+)\) at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
    expect(started, out).not.toBeNull();
    expect(out).toContain("2. Table 'ld-dynamodb-sync-local' created");
    const flagCount = Object.keys(example.flags).length;
    const segmentCount = Object.keys(example.segments).length;
    expect(out).toContain(
      `3. Synced examples/environment.json: ${flagCount} flags and ${segmentCount} segments in the table; ${flagCount + segmentCount} items written, 0 unchanged, 0 deleted`,
    );
    expect(out).toMatch(/Sync status recorded in the table: source file at \d{4}-/);

    // Every demo flag for every demo context, as the in-memory SDK evaluates it.
    const lines = await expectedLines(example, DEMO_FLAGS);
    expect(lines).toHaveLength(DEMO_FLAGS.length * DEMO_CONTEXTS.length);
    for (const line of lines) expect(out, shown).toContain(`${line}\n`);

    // And the demo shows what it is meant to show (checked by hand against the example's rules).
    expect(out).toMatch(
      /new-checkout\n {2}user-alice \(staff, NZ, pro\) +→ true {2}\(RULE_MATCH: rule 1: in segment internal-staff or beta-testers\)/,
    );
    expect(out).toMatch(/new-checkout\n(.*\n)*? {2}user-carol \(beta tester, AU\) +→ true {2}\(TARGET_MATCH/);
    expect(out).toMatch(
      /one-click-buy\n(.*\n)*? {2}user-bob \(US, app 1\.8\.2\) +→ false {2}\(PREREQUISITE_FAILED: prerequisite 'new-checkout' not met/,
    );
    expect(out).toMatch(/api-rate-limit\n(.*\n)*? {2}user-dave \+ org-globex \(DE\) +→ 5000 {2}\(TARGET_MATCH/);
    expect(out).toMatch(/holiday-theme\n {2}user-alice.*→ null {2}\(OFF: flag is off and has no off variation/);
    expect(new Set(lines.map((l) => /\((\w+):/.exec(l)?.[1])).size).toBeGreaterThanOrEqual(5); // OFF, FALLTHROUGH, TARGET_MATCH, RULE_MATCH, PREREQUISITE_FAILED

    expect(out).toContain('5. Stopped DynamoDB Local.');
    expect(processAlive(Number(started![1]))).toBe(false);
    expect(r.stderr, shown).not.toMatch(/sdk (warning|error)|^error:/m);
  });

  describe('with LD_SDK_KEY set', () => {
    const SDK_KEY = 'sdk-start-secret-0a1b2c3d';
    const client = localClient();
    let ld: Awaited<ReturnType<typeof startLaunchDarklyServer>>;
    beforeAll(async () => {
      ld = await startLaunchDarklyServer({ sdkKey: SDK_KEY, data: example });
    });
    afterAll(async () => {
      await ld?.close();
      client.destroy();
    });

    it('syncs from LaunchDarkly (one poll) instead of the example file, without printing the key', async () => {
      const stdout = new StringOutput();
      const stderr = new StringOutput();
      const table = `start-poll-${Date.now()}`;
      // The shared DynamoDB Local stands in for the embedded one (--dynamodb-endpoint): same code path after start-up.
      const code = await runLocal(
        ['--dynamodb-endpoint', dynamoEndpoint(), '--table', table, '--prefix', 'prod', '--base-uri', ld.baseUri, '--flag', 'pricing-tier'],
        { stdout, stderr, env: { LD_SDK_KEY: SDK_KEY }, cwd: repoRoot },
      );
      expect(code, stderr.text).toBe(0);
      expect(stdout.text).toContain(`1. Using DynamoDB at ${dynamoEndpoint()}`);
      expect(stdout.text).toContain(`3. Synced LaunchDarkly (poll ${ld.baseUri}, SDK key from LD_SDK_KEY): 13 flags and 4 segments`);
      expect(stdout.text).toContain('source poll');
      for (const line of await expectedLines(example, ['pricing-tier'])) expect(stdout.text).toContain(line);
      expect(stdout.text).not.toContain('Stopped DynamoDB Local');
      expect(stdout.text + stderr.text).not.toContain(SDK_KEY);

      const store = new DynamoDBFlagStore({ tableName: table, prefix: 'prod', client });
      expect(await store.initialized()).toBe(true);
      expect(Object.keys(await store.all('features')).sort()).toEqual(Object.keys(example.flags).sort());
    });

    it('a rejected key stops with one clear line and exit 1', async () => {
      const stdout = new StringOutput();
      const stderr = new StringOutput();
      const code = await runLocal(
        ['--dynamodb-endpoint', dynamoEndpoint(), '--table', `start-401-${Date.now()}`, '--base-uri', ld.baseUri],
        { stdout, stderr, env: { LD_SDK_KEY: 'sdk-not-the-right-one' }, cwd: repoRoot },
      );
      expect(code).toBe(1);
      expect(stderr.text.trimEnd().split('\n')).toEqual([
        expect.stringMatching(/^npm start: LaunchDarkly rejected the SDK key \(HTTP 401/),
      ]);
      expect(stdout.text + stderr.text).not.toContain('sdk-not-the-right-one');
    });
  });

  it.each([
    [['--no-local'], "Option '--table' (or TABLE_NAME) is required with --no-local"],
    [
      ['--no-local', '--table', 't', '--dynamodb-endpoint', 'http://127.0.0.1:1'],
      "Options '--no-local' and '--dynamodb-endpoint' conflict",
    ],
    [['--context', '{not json'], "Option '--context' #1 is not JSON"],
    [['--colour'], "Unknown option '--colour'"],
  ])('usage error %j: exit 2, one line, nothing started', async (argv, message) => {
    const stdout = new StringOutput();
    const stderr = new StringOutput();
    const code = await runLocal(argv, { stdout, stderr, env: {}, cwd: repoRoot });
    expect(code).toBe(2);
    expect(stdout.text).toBe('');
    expect(stderr.text.trimEnd().split('\n')).toEqual([expect.stringContaining(message)]);
  });
});
