// Helpers for the CLI tests: run the CLI in-process (main) or as the real executable in a child process on
// Node 22, capturing stdout, stderr and the exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../lib/cli/main.js';
import { StringOutput } from '../../lib/cli/output.js';
import type { FullDataSet } from '../../lib/store/types.js';
import { afterAll, beforeAll } from 'vitest';
import { startLaunchDarklyServer, type LaunchDarklyServer } from '../support/ld-server.js';
import { dynamoEndpoint, localClient } from '../support/tables.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const exampleFile = path.join(repoRoot, 'examples/environment.json');
/** Node 22 from the per-platform package tools/dev-node installs: what npm scripts and node_modules/.bin use. */
export const node22 = path.join(repoRoot, 'node_modules/.bin/node');
export const executable = path.join(repoRoot, 'bin/ld-dynamodb-sync.js');
/** The example environment (examples/environment.json) the CLI suites sync and serve. */
export const example = JSON.parse(readFileSync(exampleFile, 'utf8')) as FullDataSet;

/**
 * What every CLI suite sets up, registered in the calling `describe`: a DynamoDB Local client and its endpoint,
 * and (from beforeAll) a loopback LaunchDarkly serving the example for `sdkKey`; both closed afterwards.
 */
export function cliSetup(sdkKey: string) {
  const setup = { client: localClient(), endpoint: dynamoEndpoint(), ld: undefined as unknown as LaunchDarklyServer };
  beforeAll(async () => {
    setup.ld = await startLaunchDarklyServer({ sdkKey, data: structuredClone(example) });
  });
  afterAll(async () => {
    await setup.ld?.close();
    setup.client.destroy();
  });
  return setup;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with exactly `env` as its environment. */
export async function runCli(
  argv: string[],
  env: Record<string, string> = {},
  signal?: AbortSignal,
  /** Pass outputs to watch what is written while the command runs. */
  { stdout = new StringOutput(), stderr = new StringOutput() }: { stdout?: StringOutput; stderr?: StringOutput } = {},
): Promise<RunResult> {
  const code = await main(argv, { stdout, stderr, env, signal, cwd: repoRoot });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** A minimal environment for a child process: no AWS or LaunchDarkly settings leak in from the test runner. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: `${path.join(repoRoot, 'node_modules/.bin')}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/tmp', ...extra };
}

export interface Child {
  child: ChildProcess;
  /** Resolves when the process exits. */
  done: Promise<RunResult>;
  /** Resolves once stdout+stderr so far match `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Starts the executable (bin/ld-dynamodb-sync.js) on Node 22 in the repository root. */
export function spawnCli(argv: string[], env: Record<string, string>, command: string[] = [node22, executable]): Child {
  const [bin, ...pre] = command;
  const child = spawn(bin!, [...pre, ...argv], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.pattern.test(stdout + stderr)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.on('data', (d) => {
    stdout += d;
    check();
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
    check();
  });
  const done = new Promise<RunResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, sig) => resolve({ code: code ?? (sig ? 128 : -1), stdout, stderr }));
  });
  return {
    child,
    done,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${pattern}; output so far:\n${stdout}\n${stderr}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        void done.then(() => {
          if (waiters.some((w) => w.pattern === pattern)) {
            clearTimeout(timer);
            reject(new Error(`process exited before ${pattern}:\n${stdout}\n${stderr}`));
          }
        });
        check();
      });
    },
  };
}

/** Runs the executable to completion. */
export function execCli(argv: string[], env: Record<string, string>): Promise<RunResult> {
  return spawnCli(argv, env).done;
}
