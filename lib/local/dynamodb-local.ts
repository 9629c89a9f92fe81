// Starts AWS's DynamoDB Local (the jar shipped in amplify-dynamodb-simulator, run with Java 17+) in memory on
// a free loopback port. Used by `npm start`, the vitest global set-up and the benchmarks; stopped by PID.
// Development-time only: nothing deployed imports it (amplify-dynamodb-simulator is a dev dependency).
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer, connect } from 'node:net';
import path from 'node:path';

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
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Starts DynamoDB Local in memory and resolves once it accepts connections. */
export async function startDynamoDBLocal(opts: { port?: number; timeoutMs?: number } = {}): Promise<DynamoDBLocal> {
  const dir = emulatorDir();
  const port = opts.port ?? (await freePort());
  const child: ChildProcess = spawn(
    'java',
    [`-Djava.library.path=${path.join(dir, 'DynamoDBLocal_lib')}`, '-jar', path.join(dir, 'DynamoDBLocal.jar'), '-inMemory', '-port', String(port)],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d) => { output += d; });
  child.stderr?.on('data', (d) => { output += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => { exitCode = c; });
  child.once('error', (err) => { output += String(err); exitCode = -1; });

  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (!(await canConnect(port))) {
    if (exitCode !== undefined) throw new Error(`DynamoDB Local exited with code ${exitCode} before listening on port ${port}: ${output.trim()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`DynamoDB Local did not listen on port ${port} within ${opts.timeoutMs ?? 30_000} ms: ${output.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    async stop() {
      if (exitCode !== undefined) return;
      process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => { if (exitCode === undefined) process.kill(child.pid!, 'SIGKILL'); }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
