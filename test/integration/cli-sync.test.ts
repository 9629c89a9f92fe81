// The CLI in-process against DynamoDB Local and the loopback LaunchDarkly server: `sync` from a file, a poll
// and a stream session (bounded by --duration, or ended by the abort signal that SIGINT/SIGTERM trigger), and
// `status` reporting what the syncs left in the table. The SDK key never appears in anything printed.
import { describe, expect, it } from 'vitest';
import { StringOutput } from '../../lib/cli/output.js';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import { freshTable } from '../support/tables.js';
import { cliSetup, example, exampleFile, runCli } from './cli-support.js';
import { until } from '../support/until.js';

const SDK_KEY = 'sdk-cli-sync-5e4d3c2b1a';
const FLAGS = Object.keys(example.flags).length; // 13
const SEGMENTS = Object.keys(example.segments).length; // 4

describe('ld-dynamodb-sync (in-process)', () => {
  const cli = cliSetup(SDK_KEY);
  const { client, endpoint } = cli;
  const ddb = ['--dynamodb-endpoint', endpoint];

  it('sync --source file writes the example; a second run writes nothing; status reports both', async () => {
    const table = await freshTable(client);
    const before = await runCli(['status', '--table', table, ...ddb]);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/initialized +no/);
    expect(before.stdout).toMatch(/flags +0\n/);
    expect(before.stdout).toMatch(/last sync +never recorded/);

    const first = await runCli(['sync', '--source', 'file', '--file', 'examples/environment.json', '--table', table, ...ddb]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`Synced file ${exampleFile} into DynamoDB table '${table}' at ${endpoint}`);
    expect(first.stdout).toMatch(new RegExp(`written +${FLAGS + SEGMENTS}\\n +unchanged +0\\n +deleted +0\\n +duration +\\d`));
    expect(first.stderr).toBe('');

    const store = new DynamoDBFlagStore({ tableName: table, client });
    expect(await store.initialized()).toBe(true);
    expect(await store.all('features')).toEqual(example.flags);
    expect(await store.all('segments')).toEqual(example.segments);

    const second = await runCli(['sync', '--source', 'file', '--file', exampleFile, '--table', table, ...ddb, '--json']);
    expect(second.code, second.stderr).toBe(0);
    const summary = JSON.parse(second.stdout);
    expect(summary).toMatchObject({ source: 'file', written: 0, unchanged: FLAGS + SEGMENTS, deleted: 0, table, prefix: null });

    const after = await runCli(['status', '--table', table, ...ddb]);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/initialized +yes/);
    expect(after.stdout).toMatch(new RegExp(`flags +${FLAGS}\\n`));
    expect(after.stdout).toMatch(new RegExp(`segments +${SEGMENTS}\\n`));
    expect(after.stdout).toMatch(/last sync +\d{4}-\d\d-\d\dT[\d:.]+Z \(.*\) from file/);
    expect(after.stdout).toMatch(new RegExp(`last result +0 written, ${FLAGS + SEGMENTS} unchanged, 0 deleted`));
  });

  it('prefixes keep environments apart in one table', async () => {
    const table = await freshTable(client);
    const r = await runCli(['sync', '--source', 'file', '--file', exampleFile, '--table', table, '--prefix', 'staging', ...ddb]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`prefix 'staging'`);
    const staging = JSON.parse((await runCli(['status', '--table', table, '--prefix', 'staging', ...ddb, '--json'])).stdout);
    expect(staging).toMatchObject({ prefix: 'staging', initialized: true, flags: FLAGS, segments: SEGMENTS, lastSync: { source: 'file' } });
    const unprefixed = JSON.parse((await runCli(['status', '--table', table, ...ddb, '--json'])).stdout);
    expect(unprefixed).toMatchObject({ prefix: null, initialized: false, flags: 0, segments: 0, lastSync: null });
  });

  it('sync --source poll fetches from LaunchDarkly with LD_SDK_KEY and --base-uri; changes are applied as a diff', async () => {
    const table = await freshTable(client);
    const poll = ['sync', '--source', 'poll', '--table', table, '--prefix', 'prod', '--base-uri', cli.ld.baseUri, ...ddb];
    const first = await runCli(poll, { LD_SDK_KEY: SDK_KEY });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`Synced LaunchDarkly (poll ${cli.ld.baseUri}) into DynamoDB table '${table}' prefix 'prod'`);
    expect(first.stdout).toMatch(new RegExp(`written +${FLAGS + SEGMENTS}\\n`));

    // LaunchDarkly now has a new version of one flag and no longer has another.
    const changed = structuredClone(example);
    changed.flags['dark-mode'] = { ...changed.flags['dark-mode']!, version: 7, on: false };
    delete changed.flags['holiday-theme'];
    cli.ld.setData(changed);
    const second = await runCli([...poll, '--json'], { LD_SDK_KEY: SDK_KEY });
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ source: 'poll', written: 1, deleted: 1, unchanged: FLAGS + SEGMENTS - 2 });

    const store = new DynamoDBFlagStore({ tableName: table, prefix: 'prod', client });
    expect((await store.get('features', 'dark-mode'))?.version).toBe(7);
    expect(await store.get('features', 'holiday-theme')).toBeNull();
    const status = JSON.parse((await runCli(['status', '--table', table, '--prefix', 'prod', ...ddb, '--json'])).stdout);
    // A full sync's deletion is a tombstone (docs/write-rules.md rule 4), which status counts apart.
    expect(status).toMatchObject({ initialized: true, flags: FLAGS - 1, deletedFlags: 1, lastSync: { source: 'poll' } });
    for (const r of [first, second]) expect(r.stdout + r.stderr).not.toContain(SDK_KEY);
    cli.ld.setData(structuredClone(example));
  });

  it('sync --source stream --duration holds the stream for the session, then prints the summary', async () => {
    const table = await freshTable(client);
    const r = await runCli(['sync', '--source', 'stream', '--stream-uri', cli.ld.streamUri, '--duration', '2', '--table', table, ...ddb], {
      LD_SDK_KEY: SDK_KEY,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Synced LaunchDarkly (stream ${cli.ld.streamUri}) into DynamoDB table '${table}'`);
    expect(r.stdout).toMatch(/events +[1-9]\d*\n/);
    expect(r.stdout).toMatch(/ended by +duration/);
    expect(r.stdout + r.stderr).not.toContain(SDK_KEY);
    const store = new DynamoDBFlagStore({ tableName: table, client });
    expect(await store.initialized()).toBe(true);
    expect(Object.keys(await store.all('features'))).toHaveLength(FLAGS);
  });

  it('a stream session ended by the abort signal (SIGINT/SIGTERM) applies what arrived, flushes, and exits 0', async () => {
    const table = await freshTable(client);
    const store = new DynamoDBFlagStore({ tableName: table, client });
    const controller = new AbortController();
    const stderr = new StringOutput();
    const running = runCli(
      ['sync', '--source', 'stream', '--stream-uri', cli.ld.streamUri, '--table', table, ...ddb, '--progress', '0.1'],
      { LD_SDK_KEY: SDK_KEY },
      controller.signal,
      { stderr },
    );
    await until(() => store.initialized(), 'the put to be applied', 30_000);
    cli.ld.sendPatch('features', { ...example.flags['new-checkout']!, version: 24, on: false });
    cli.ld.sendDelete('segments', 'mobile-early-adopters', 3);
    await until(
      async () =>
        (await store.get('features', 'new-checkout'))?.version === 24 && (await store.get('segments', 'mobile-early-adopters')) === null,
      'the patch and delete',
      30_000,
    );
    // --progress lines on a non-terminal stderr report the events applied so far.
    await until(
      async () => /^stream: 3 event\(s\) applied \(\d+ written, 0 unchanged, 1 deleted\), /m.test(stderr.text),
      'a progress line',
      30_000,
    );
    controller.abort(new Error('Received SIGINT'));
    const r = await running;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/events +3\n/);
    expect(r.stdout).toMatch(/ended by +signal \(writes in flight were flushed\)/);
    expect(r.stdout).toMatch(/reconnects +0\n/);
    expect(r.stdout + r.stderr).not.toContain(SDK_KEY);
    const status = JSON.parse((await runCli(['status', '--table', table, ...ddb, '--json'])).stdout);
    expect(status).toMatchObject({
      initialized: true,
      flags: FLAGS,
      segments: SEGMENTS - 1,
      deletedSegments: 1,
      lastSync: { source: 'stream' },
    });
  });
});
