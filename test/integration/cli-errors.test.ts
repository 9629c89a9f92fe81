// The CLI's failure behaviour, in-process: every mistake or failure ends with a non-zero exit code and one
// clear line on stderr (what was wrong and where), nothing half-written to stdout, and the SDK key never shown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lib/local/dynamodb-local.js';
import { startLaunchDarklyServer } from '../support/ld-server.js';
import { dynamoEndpoint, freshTable, localClient } from '../support/tables.js';
import { exampleFile, runCli } from './cli-support.js';

const SDK_KEY = 'sdk-cli-secret-9f8e7d6c';

function expectOneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('ld-dynamodb-sync usage errors (exit 2)', () => {
  it.each([
    [
      ['sync', '--source', 'file', '--table', 'tab1', '--file', 'x.json', '--tabel', 'x'],
      "ld-dynamodb-sync sync: Unknown option '--tabel' (see 'ld-dynamodb-sync sync --help')",
    ],
    [['status', '--table'], "ld-dynamodb-sync status: Option '--table' needs a value (see 'ld-dynamodb-sync status --help')"],
    [['sync', '--table', '--source', 'file'], "Option '--table' needs a value (to pass a value starting with '-', write --table=VALUE)"],
    [['sync', '--source', 'file', '--file', 'x.json'], "Option '--table' is required: the DynamoDB table to sync into"],
    [['status'], "Option '--table' is required"],
    [
      ['sync', '--source', 'carrier-pigeon', '--table', 'tab1'],
      "Option '--source' must be one of poll, stream, file, got 'carrier-pigeon'",
    ],
    [['sync', '--table', 'tab1'], "Option '--source' is required: poll, stream or file"],
    [['sync', '--source', 'file', '--table', 'tab1'], "Option '--file' is required with --source file"],
    [
      ['sync', '--source', 'file', '--table', 'tab1', '--file', 'x.json', '--duration', '5'],
      "Option '--duration' applies only to --source stream, not --source file",
    ],
    [
      ['sync', '--source', 'stream', '--table', 'tab1', '--duration', 'soon'],
      "Option '--duration' must be a positive number of seconds, got 'soon'",
    ],
    [['sync', '--source', 'file', '--table', 'tab1', '--file', 'x.json', '--json=yes'], "Option '--json' takes no value"],
    [
      ['sync', '--source', 'file', '--table', 'tab1', '--file', 'x.json', '--dynamodb-endpoint', 'localhost:8000'],
      "Option '--dynamodb-endpoint' must be an http(s) URL, got 'localhost:8000'",
    ],
    [['sync', 'extra'], "Unexpected argument 'extra'"],
    [['synk'], "ld-dynamodb-sync: Unknown command 'synk'; expected one of sync, status"],
    [['--table', 'x'], "Expected a command (sync or status) before '--table'"],
  ])('%j', async (argv, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(expectOneLine(r.stderr)).toContain(message);
  });

  it('poll and stream need LD_SDK_KEY, and say so', async () => {
    for (const source of ['poll', 'stream']) {
      const r = await runCli(['sync', '--source', source, '--table', 'tab1']);
      expect(r.code).toBe(2);
      expect(expectOneLine(r.stderr)).toContain(`Environment variable LD_SDK_KEY is required for --source ${source}`);
    }
  });

  it('no arguments prints the overview to stderr and exits 2; --help prints each command’s help and exits 0', async () => {
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/Usage: ld-dynamodb-sync <command>/);
    for (const [argv, heading] of [
      [['--help'], 'Usage: ld-dynamodb-sync <command>'],
      [['help', 'sync'], 'Usage: ld-dynamodb-sync sync --source poll|stream|file --table NAME'],
      [['sync', '--help'], 'Usage: ld-dynamodb-sync sync'],
      [['status', '-h'], 'Usage: ld-dynamodb-sync status --table NAME'],
    ] as const) {
      const r = await runCli([...argv]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(heading);
      expect(r.stderr).toBe('');
    }
  });
});

describe('ld-dynamodb-sync failures (exit 1)', () => {
  const client = localClient();
  const endpoint = dynamoEndpoint();
  afterAll(() => client.destroy());

  it('a missing table is named, with the fix; --create-table creates it', async () => {
    const name = `missing-${Date.now()}`;
    const r = await runCli(['sync', '--source', 'file', '--file', exampleFile, '--table', name, '--dynamodb-endpoint', endpoint]);
    expect(r.code).toBe(1);
    expect(expectOneLine(r.stderr)).toBe(
      `ld-dynamodb-sync sync: DynamoDB table '${name}' does not exist at ${endpoint}; create it with --create-table, or deploy the stack and pass its table name`,
    );
    const status = await runCli(['status', '--table', name, '--dynamodb-endpoint', endpoint]);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain(`DynamoDB table '${name}' does not exist`);

    const created = await runCli([
      'sync',
      '--source',
      'file',
      '--file',
      exampleFile,
      '--table',
      name,
      '--dynamodb-endpoint',
      endpoint,
      '--create-table',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toContain(`Created DynamoDB table '${name}'`);
    expect(created.stdout).toMatch(/written\s+17/);
  });

  it('an unreachable DynamoDB endpoint fails with the endpoint and the network error', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const sync = await runCli(['sync', '--source', 'file', '--file', exampleFile, '--table', 'flags', '--dynamodb-endpoint', closed]);
    expect(sync.code).toBe(1);
    expect(expectOneLine(sync.stderr)).toBe(
      `ld-dynamodb-sync sync: Could not reach DynamoDB at ${closed} (ECONNREFUSED); is it running and is the endpoint right?`,
    );
    const status = await runCli(['status', '--table', 'flags', '--dynamodb-endpoint', closed]);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain(`Could not reach DynamoDB at ${closed} (ECONNREFUSED)`);
  });

  it('an unreadable data file names the file', async () => {
    const table = await freshTable(client);
    const r = await runCli(['sync', '--source', 'file', '--file', 'no/such/file.json', '--table', table, '--dynamodb-endpoint', endpoint]);
    expect(r.code).toBe(1);
    expect(expectOneLine(r.stderr)).toContain('no/such/file.json');
  });

  it('a table with another key schema is refused before anything is written', async () => {
    const { CreateTableCommand } = await import('@aws-sdk/client-dynamodb');
    const name = `other-schema-${Date.now()}`;
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      }),
    );
    const r = await runCli(['sync', '--source', 'file', '--file', exampleFile, '--table', name, '--dynamodb-endpoint', endpoint]);
    expect(r.code).toBe(1);
    expect(expectOneLine(r.stderr)).toContain(
      `DynamoDB table '${name}' has key schema {"HASH":"id"}; LaunchDarkly's layout needs partition key 'namespace' and sort key 'key'`,
    );
  });
});

describe('ld-dynamodb-sync against LaunchDarkly (exit 1)', () => {
  const client = localClient();
  const endpoint = dynamoEndpoint();
  let ld: Awaited<ReturnType<typeof startLaunchDarklyServer>>;
  beforeAll(async () => {
    ld = await startLaunchDarklyServer({ sdkKey: SDK_KEY });
  });
  afterAll(async () => {
    await ld?.close();
    client.destroy();
  });

  it('a 401 from LaunchDarkly says the SDK key was rejected, once, without printing the key', async () => {
    const table = await freshTable(client);
    const wrongKey = 'sdk-wrong-key-1234abcd';
    const runs = {
      poll: ['--source', 'poll', '--base-uri', ld.baseUri],
      stream: ['--source', 'stream', '--stream-uri', ld.streamUri, '--duration', '30'],
    };
    for (const [source, args] of Object.entries(runs)) {
      const r = await runCli(['sync', ...args, '--table', table, '--dynamodb-endpoint', endpoint], { LD_SDK_KEY: wrongKey });
      expect(r.code, `${source}: ${r.stderr}`).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/LaunchDarkly rejected the SDK key \(HTTP 401/);
      expect(r.stderr).not.toContain(wrongKey);
      expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/^ld-dynamodb-sync sync: LaunchDarkly rejected the SDK key/);
    }
  });
});
