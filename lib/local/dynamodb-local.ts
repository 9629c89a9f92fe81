// Starts AWS's DynamoDB Local (the jar shipped in amplify-dynamodb-simulator, run with Java 17+) in memory on
// a free loopback port. Used by `npm start`, the vitest global set-up and the benchmarks; stopped by PID.
// Development-time only: nothing deployed imports it (amplify-dynamodb-simulator is a dev dependency).
// -sharedDb: one database whatever the credentials and region, so a consumer snippet run with other (or
// real) credentials sees the table `npm start` created. Java is taken from JAVA_HOME when set, else PATH;
// when neither has one the error says how to install it.
import { DeleteTableCommand, DynamoDBClient, ListTablesCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer, connect } from 'node:net';
import path from 'node:path';
import { createFlagTable } from '../store/table.js';
import { sleep } from '../util/sleep.js';

export interface DynamoDBLocal {
  endpoint: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

function emulatorDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('amplify-dynamodb-simulator/package.json');
  return path.join(path.dirname(pkg), 'emulator');
}

/** Thrown when no Java runtime can be started; the message says how to get one. */
export class JavaNotFoundError extends Error {
  override name = 'JavaNotFoundError';
}

/** The java executable: $JAVA_HOME/bin/java when JAVA_HOME is set, else `java` on PATH. */
export function javaCommand(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.JAVA_HOME?.trim();
  return home ? path.join(home, 'bin', process.platform === 'win32' ? 'java.exe' : 'java') : 'java';
}

function javaMissing(java: string): JavaNotFoundError {
  const where =
    java === 'java'
      ? 'Java was not found on PATH (and JAVA_HOME is not set)'
      : `JAVA_HOME points to no Java runtime (${java} does not exist)`;
  return new JavaNotFoundError(
    `${where}: DynamoDB Local needs Java 17 or later. Install one, e.g. 'sudo apt-get install openjdk-17-jre-headless' ` +
      "(Debian/Ubuntu), 'brew install openjdk@17' (macOS) or 'winget install EclipseAdoptium.Temurin.17.JRE' (Windows), " +
      'or set JAVA_HOME to an installed one',
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts DynamoDB Local in memory and resolves once it accepts connections. */
export async function startDynamoDBLocal(opts: { port?: number; timeoutMs?: number } = {}): Promise<DynamoDBLocal> {
  const dir = emulatorDir();
  const port = opts.port ?? (await freePort());
  const java = javaCommand();
  const child: ChildProcess = spawn(
    java,
    [
      `-Djava.library.path=${path.join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      path.join(dir, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-sharedDb',
      '-port',
      String(port),
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => {
    exitCode = c;
  });
  let spawnError: NodeJS.ErrnoException | undefined;
  child.once('error', (err) => {
    spawnError = err;
    output += String(err);
    exitCode = -1;
  });

  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (!(await canConnect(port))) {
    if (spawnError?.code === 'ENOENT') throw javaMissing(java);
    if (exitCode !== undefined)
      throw new Error(`DynamoDB Local exited with code ${exitCode} before listening on port ${port}: ${output.trim()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`DynamoDB Local did not listen on port ${port} within ${opts.timeoutMs ?? 30_000} ms: ${output.trim()}`);
    }
    await sleep(100);
  }
  try {
    await warmUp(`http://127.0.0.1:${port}`, deadline);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`DynamoDB Local listened on port ${port} but did not answer: ${(err as Error).message}`, { cause: err });
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    async stop() {
      if (exitCode !== undefined) return;
      process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => {
        if (exitCode === undefined) process.kill(child.pid!, 'SIGKILL');
      }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Readiness is a request answered, not a port accepting: ListTables until it answers. Then one expression-bearing
 * Query and conditional PutItem, one after the other, on a throwaway table (deleted again, so -sharedDb users never
 * see it). Once (1 in 4 fresh CI runs), a just-started DynamoDB Local rejected the first sync's parallel, valid
 * `#ns = :ns` queries with "Invalid KeyConditionExpression: Index 0 out of bounds for length 0": an internal
 * race, not reproduced on demand; its expression handling is now used once serially before any caller's parallel use.
 */
async function warmUp(endpoint: string, deadline: number): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const TableName = `warm-up-${process.pid}-${Date.now()}`;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(100);
      }
    }
    await createFlagTable(client, TableName);
    await client.send(
      new PutItemCommand({
        TableName,
        Item: { namespace: { S: 'n' }, key: { S: 'k' }, version: { N: '1' } },
        ConditionExpression: 'attribute_not_exists(#v) OR #v < :v',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':v': { N: '1' } },
      }),
    );
    await client.send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: '#ns = :ns AND #k BETWEEN :a AND :b',
        ProjectionExpression: '#k, #v',
        ExpressionAttributeNames: { '#ns': 'namespace', '#k': 'key', '#v': 'version' },
        ExpressionAttributeValues: { ':ns': { S: 'n' }, ':a': { S: 'a' }, ':b': { S: 'z' } },
      }),
    );
    await client.send(new DeleteTableCommand({ TableName }));
  } finally {
    client.destroy();
  }
}
