// What a newcomer trips on, each answered with one line that says what to do: no region, an endpoint that is
// not DynamoDB, no Java, a data file that cannot be synced (checked before --create-table creates anything),
// a table name DynamoDB would reject, an option given twice, a flag without a key (named once, not twice),
// and LaunchDarkly's service endpoints accepted with any source, as the SDK's baseUri/streamUri are.
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planSync } from '../../lib/cli/sync-command.js';
import { runLocal } from '../../lib/cli/local-run.js';
import { StringOutput } from '../../lib/cli/output.js';
import { JavaNotFoundError, startDynamoDBLocal } from '../../lib/local/dynamodb-local.js';
import { listenOnLoopback } from '../support/loopback.js';
import { dynamoEndpoint, freshTable, localClient } from '../support/tables.js';
import { repoRoot, runCli } from './cli-support.js';

const client = localClient();
const servers: Server[] = [];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ld-newcomer-'));
});
afterAll(async () => {
  client.destroy();
  for (const s of servers) s.close();
  await rm(dir, { recursive: true, force: true });
});

/** A loopback HTTP server that answers every request with `status` and `body`: something that is not DynamoDB. */
async function notDynamoDB(status: number, body: string, type: string): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'Content-Type': type });
    res.end(body);
  });
  servers.push(server);
  return listenOnLoopback(server);
}

function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
}

describe('DynamoDB set-up mistakes', () => {
  it('no region: says to set AWS_REGION', async () => {
    // AWS_CONFIG_FILE pointing nowhere: no profile on this machine supplies a region either.
    const saved = { ...process.env };
    for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[k];
    process.env.AWS_CONFIG_FILE = path.join(dir, 'no-config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'no-credentials');
    try {
      const r = await runCli(['status', '--table', 'ld-flags'], { AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' });
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toMatch(/No AWS region is configured: set AWS_REGION \(e\.g\. AWS_REGION=us-east-1\), pass --region/);
    } finally {
      process.env = saved;
    }
  });

  it.each([
    [404, '<html>Not Found</html>', 'text/html', /did not answer as DynamoDB does \(HTTP 404/],
    [200, '<html>Welcome</html>', 'text/html', /did not answer as DynamoDB does \(HTTP 200/],
  ])('an endpoint that is not DynamoDB (HTTP %i): names it and what was expected', async (status, body, type, expected) => {
    const endpoint = await notDynamoDB(status, body, type);
    const r = await runCli(['status', '--table', 'ld-flags', '--dynamodb-endpoint', endpoint]);
    expect(r.code).toBe(1);
    const line = oneLine(r.stderr);
    expect(line).toMatch(expected);
    expect(line).toContain(`${endpoint} did not answer`);
    expect(line).toContain('--dynamodb-endpoint must be the URL of a DynamoDB API');
  });

  it('no Java: the error says how to install it, and JAVA_HOME is honoured', async () => {
    const saved = process.env.JAVA_HOME;
    process.env.JAVA_HOME = path.join(dir, 'no-such-jdk');
    try {
      const err = await startDynamoDBLocal().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JavaNotFoundError);
      expect((err as Error).message).toContain(
        `JAVA_HOME points to no Java runtime (${path.join(dir, 'no-such-jdk', 'bin', 'java')} does not exist)`,
      );
      expect((err as Error).message).toMatch(/Install one, e\.g\. 'sudo apt-get install openjdk-17-jre-headless'/);
    } finally {
      if (saved === undefined) delete process.env.JAVA_HOME;
      else process.env.JAVA_HOME = saved;
    }
  });
});

describe('options and data files', () => {
  it.each([
    [['status', '--table', 'ab'], "Option '--table' must be a DynamoDB table name: 3 to 255 letters, digits, '_', '-' or '.', got 'ab'"],
    [['status', '--table', 'has space'], 'must be a DynamoDB table name'],
    [['status', '--table', 'one', '--table', 'two'], "Option '--table' is given more than once ('one' and 'two'); give it once"],
    [
      ['sync', '--source', 'file', '--file', 'a.json', '--file', 'b.json', '--table', 'abc'],
      "Option '--file' is given more than once ('a.json' and 'b.json')",
    ],
    [
      ['sync', '--json', '--json', '--source', 'file', '--file', 'a.json', '--table', 'abc'],
      "Option '--json' is given more than once; give it once",
    ],
  ])('%j: exit 2 with one clear line', async (argv, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain(message);
  });

  it('npm start rejects a short table name before starting anything', async () => {
    const stdout = new StringOutput();
    const stderr = new StringOutput();
    const code = await runLocal(['--table', 'x'], { stdout, stderr, env: {}, cwd: repoRoot });
    expect(code).toBe(2);
    expect(stdout.text).toBe('');
    expect(oneLine(stderr.text)).toContain("Option '--table' must be a DynamoDB table name");
  });

  it('--create-table with a file that is not a data set creates no table', async () => {
    const file = path.join(dir, 'broken.json');
    await writeFile(file, '{"flags": {"a": ');
    const table = `newcomer-${Date.now()}`;
    const r = await runCli([
      'sync',
      '--source',
      'file',
      '--file',
      file,
      '--table',
      table,
      '--dynamodb-endpoint',
      dynamoEndpoint(),
      '--create-table',
    ]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toContain(`data file ${file}`);
    await expect(client.send(new DescribeTableCommand({ TableName: table }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('a flag without a key is named once, with what is missing', async () => {
    const file = path.join(dir, 'no-key.json');
    await writeFile(file, JSON.stringify({ flags: { good: { key: 'good', version: 1 }, a: { version: 1 } }, segments: {} }));
    const table = await freshTable(client, 'newcomer');
    const r = await runCli(['sync', '--source', 'file', '--file', file, '--table', table, '--dynamodb-endpoint', dynamoEndpoint()]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.filter((l) => l.includes('Invalid flag "a"'))).toEqual(['error: Invalid flag "a": listed under "a" but has no "key"']);
    expect(lines.at(-1)).toBe('ld-dynamodb-sync sync: Init stored every valid item but rejected 1 (named above)');
  });

  it.each(['poll', 'stream', 'file'])('--base-uri and --stream-uri are accepted with --source %s', (source) => {
    const argv = [
      '--source',
      source,
      '--table',
      'ld-flags',
      '--base-uri',
      'https://relay.example.com',
      '--stream-uri',
      'https://relay.example.com/stream',
    ];
    const plan = planSync(source === 'file' ? [...argv, '--file', 'x.json'] : argv, {
      stdout: new StringOutput(),
      stderr: new StringOutput(),
      env: { LD_SDK_KEY: 'sdk-x' },
    });
    expect(plan).toMatchObject({ source, baseUri: 'https://relay.example.com', streamUri: 'https://relay.example.com/stream' });
  });
});
