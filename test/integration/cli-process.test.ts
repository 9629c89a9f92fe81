// The real executable (bin/ld-dynamodb-sync.js on Node 22, no build step) as a child process: exit codes,
// stdout/stderr, SIGINT ending a stream session cleanly, and the SDK key never printed.
import { describe, expect, it } from 'vitest';
import { freePort } from '../../lib/local/dynamodb-local.js';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import { freshTable } from '../support/tables.js';
import { childEnv, cliSetup, example, exampleFile, execCli, spawnCli } from './cli-support.js';

const SDK_KEY = 'sdk-cli-process-77aa66bb';

describe('bin/ld-dynamodb-sync.js (child process)', () => {
  const cli = cliSetup(SDK_KEY);
  const { client, endpoint } = cli;

  it('syncs a file and reports status; exit 0', async () => {
    const table = await freshTable(client);
    const sync = await execCli(
      ['sync', '--source', 'file', '--file', 'examples/environment.json', '--table', table, '--dynamodb-endpoint', endpoint],
      childEnv(),
    );
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/written +17\n +unchanged +0\n +deleted +0\n/);
    const status = await execCli(['status', '--table', table, '--dynamodb-endpoint', endpoint], childEnv());
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/initialized +yes\n +flags +13\n +segments +4\n +last sync +.* from file\n/);
  });

  it('runs through the npm script too (npm run cli)', async () => {
    const r = await spawnCli(['run', '--silent', 'cli', '--', 'sync', '--help'], childEnv(), ['npm']).done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Usage: ld-dynamodb-sync sync --source poll|stream|file --table NAME');
  });

  it('usage errors exit 2 with one line on stderr', async () => {
    const r = await execCli(['sync', '--source', 'file', '--x'], childEnv());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("ld-dynamodb-sync sync: Unknown option '--x' (see 'ld-dynamodb-sync sync --help')\n");
    const missing = await execCli(['sync', '--source', 'file', '--file', exampleFile], childEnv());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Option '--table' is required");
  });

  it('a rejected SDK key exits 1 saying so, and the key is not printed', async () => {
    const table = await freshTable(client);
    const key = 'sdk-revoked-key-31415926';
    const r = await execCli(
      ['sync', '--source', 'poll', '--base-uri', cli.ld.baseUri, '--table', table, '--dynamodb-endpoint', endpoint],
      childEnv({ LD_SDK_KEY: key }),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ld-dynamodb-sync sync: LaunchDarkly rejected the SDK key \(HTTP 401[^\n]*\n$/);
    expect(r.stderr).not.toContain(key);
  });

  it('an unreachable DynamoDB exits 1 naming the endpoint', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const r = await execCli(['status', '--table', 'flags', '--dynamodb-endpoint', closed], childEnv());
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `ld-dynamodb-sync status: Could not reach DynamoDB at ${closed} (ECONNREFUSED); is it running and is the endpoint right?\n`,
    );
  });

  it('SIGINT during a stream session flushes the writes, prints the summary and exits 0', async () => {
    const table = await freshTable(client);
    const store = new DynamoDBFlagStore({ tableName: table, client });
    const run = spawnCli(
      [
        'sync',
        '--source',
        'stream',
        '--stream-uri',
        cli.ld.streamUri,
        '--table',
        table,
        '--dynamodb-endpoint',
        endpoint,
        '--progress',
        '0.2',
      ],
      childEnv({ LD_SDK_KEY: SDK_KEY }),
    );
    // Progress lines report events applied; the first one after the put means the put is in the table.
    await run.waitFor(/stream: [1-9]\d* event\(s\) applied/);
    expect(await store.initialized()).toBe(true);
    cli.ld.sendPatch('features', { ...example.flags['pricing-tier']!, version: 16, variations: ['free', 'standard', 'premium', 'staff'] });
    await run.waitFor(/stream: [2-9]\d* event\(s\) applied/);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Received SIGINT: finishing the writes in flight');
    expect(r.stdout).toMatch(/events +2\n/);
    expect(r.stdout).toMatch(/ended by +signal/);
    expect((await store.get('features', 'pricing-tier'))?.variations).toEqual(['free', 'standard', 'premium', 'staff']);
    expect(r.stdout + r.stderr).not.toContain(SDK_KEY);
  });
});
