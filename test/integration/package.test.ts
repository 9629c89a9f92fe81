// The published package as a consumer sees it: `npm run build`'s output (tsconfig.build.json) installed under
// node_modules/ld-dynamodb-sync of another project, imported through the package's "exports" map. Catches a
// subpath pointing at a file the build does not emit, or a build that leaves a module out.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;
let consumer: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ld-package-'));
  const pkg = path.join(dir, 'pkg');
  await mkdir(pkg);
  await run(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', path.join(repoRoot, 'tsconfig.build.json'), '--outDir', path.join(pkg, 'dist')]);
  await cp(path.join(repoRoot, 'package.json'), path.join(pkg, 'package.json'));
  // The package's own dependencies resolve from the repository's node_modules, as they would once installed.
  await symlink(path.join(repoRoot, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
  consumer = path.join(dir, 'consumer');
  await mkdir(path.join(consumer, 'node_modules'), { recursive: true });
  await writeFile(path.join(consumer, 'package.json'), '{"name":"consumer","type":"module","private":true}\n');
  await symlink(pkg, path.join(consumer, 'node_modules/ld-dynamodb-sync'), 'dir');
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Imports `specifier` in a fresh Node process inside the consumer project; returns the export names and their types. */
async function exportsOf(specifier: string): Promise<Record<string, string>> {
  const script = `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v]))));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: consumer });
  return JSON.parse(stdout) as Record<string, string>;
}

describe('the built package, imported by name', () => {
  it('ld-dynamodb-sync exports the writer and the SDK store factory', async () => {
    const names = await exportsOf('ld-dynamodb-sync');
    expect(names).toMatchObject({ DynamoDBFlagStore: 'function', DynamoDBFeatureStore: 'function' });
  });

  it('ld-dynamodb-sync/store exports ReadOnlyFeatureStore and nothing of the writer', async () => {
    const names = await exportsOf('ld-dynamodb-sync/store');
    expect(names).toMatchObject({ ReadOnlyFeatureStore: 'function' });
    expect(names).not.toHaveProperty('DynamoDBFlagStore');
  });

  it('ld-dynamodb-sync/infra exports FlagTable for consumer stacks', async () => {
    const names = await exportsOf('ld-dynamodb-sync/infra');
    expect(names).toMatchObject({ FlagTable: 'function' });
  });

  it('a path outside the exports map is not importable', async () => {
    await expect(exportsOf('ld-dynamodb-sync/dist/lib/store/writer.js')).rejects.toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });
});
