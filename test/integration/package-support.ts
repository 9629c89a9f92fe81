// Helpers for the packed-package test: `npm pack` the repository (its prepack build included), install the
// tarball with a real `npm install` into a temporary project outside the repository, run commands there, and
// read the consumer documentation's code blocks (the test runs exactly the text a user copies).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment a child gets: this one with Node 22+ first on PATH, less the npm_* settings of the npm that
 * started vitest (they would point a nested npm at the repository) and any AWS or LaunchDarkly settings;
 * certificate and proxy settings stay, so `npm install` reaches the registry as the developer's npm does.
 */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'AWS_CA_BUNDLE']);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && (keep.has(k) || !/^(npm_|AWS_|LD_|FLAG_|TABLE_NAME$)/i.test(k))) env[k] = v;
  }
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
  return { ...env, ...extra };
}

/** Runs `command` to completion (bounded by `timeoutMs`); never rejects on a non-zero exit. */
export function run(
  command: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number; shell?: boolean },
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: opts.shell ?? process.platform === 'win32',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

function must(r: Ran, what: string): Ran {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The version of a package installed in the repository, so the consumer's install is served from the npm cache. */
export function repoVersion(name: string): string {
  return (JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

export interface Packed {
  dir: string;
  tarball: string;
  files: string[];
}

/** `npm pack` of the repository into a temporary directory, as `npm publish` would pack it (prepack builds). */
export async function pack(): Promise<Packed> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ld-pack-'));
  const r = must(await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: repoRoot, timeoutMs: 300_000 }), 'npm pack');
  // The prepack build's own output comes before npm's JSON.
  const json = JSON.parse(r.stdout.slice(r.stdout.search(/^\[/m))) as { filename: string; files: { path: string }[] }[];
  return { dir, tarball: path.join(dir, json[0]!.filename), files: json[0]!.files.map((f) => f.path).sort() };
}

/** A new project outside the repository with the tarball and `packages` installed by a real `npm install`. */
export async function installConsumer(tarball: string, packages: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ld-consumer-'));
  await mkdir(path.join(dir, 'src'));
  // CommonJS by default, like a project (or a Lambda bundle) without "type": "module".
  await writeFile(path.join(dir, 'package.json'), '{ "name": "consumer", "version": "1.0.0", "private": true }\n');
  must(
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, ...packages], {
      cwd: dir,
      timeoutMs: 480_000,
    }),
    'npm install in the consumer project',
  );
  return dir;
}

/** Code blocks of `lang` in a Markdown file. */
export function codeBlocks(file: string, lang: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\``, 'gm'))].map((m) => m[1]!);
}

/** The consumer handler snippets of README.md and docs/*.md: TypeScript blocks that import the read-only store and export a handler. */
export function consumerSnippets(): { where: string; code: string }[] {
  const files = [
    path.join(repoRoot, 'README.md'),
    ...readdirSync(path.join(repoRoot, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => path.join(repoRoot, 'docs', f)),
  ];
  return files.flatMap((file) =>
    codeBlocks(file, 'ts')
      .filter((code) => code.includes("from 'ld-dynamodb-sync/store'") && code.includes('export const handler'))
      .map((code, i) => ({ where: `${path.relative(repoRoot, file)} #${i + 1}`, code })),
  );
}

/** The esbuild command lines of docs/package.md's bundling block, joined across backslash-newlines. */
export function documentedEsbuildCommands(): string[] {
  return codeBlocks(path.join(repoRoot, 'docs/package.md'), 'bash')
    .flatMap((block) => block.replace(/\\\n\s*/g, '').split('\n'))
    .filter((line) => /^npx esbuild /.test(line));
}
