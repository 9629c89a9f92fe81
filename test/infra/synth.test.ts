// `npx cdk synth` on the repository as a user runs it: the CDK CLI, cdk.json, bin/app.ts through tsx, esbuild
// bundling, cdk-nag. Offline: no AWS credentials or profile, no instance metadata, no notices, version check or
// telemetry, no context lookups; the cloud assembly goes to a temporary directory.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const outdirs: string[] = [];

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('AWS_') || key.startsWith('CDK_')) continue;
    env[key] = value;
  }
  return {
    ...env,
    // node_modules/.bin first (tsx, esbuild and Node 22, as npm scripts have it), then this Node's directory.
    PATH: [join(root, 'node_modules', '.bin'), dirname(process.execPath), process.env.PATH ?? ''].join(delimiter),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(root, 'does-not-exist', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(root, 'does-not-exist', 'credentials'),
    CDK_DISABLE_VERSION_CHECK: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

function cdkSynth(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; outdir: string }> {
  const outdir = mkdtempSync(join(tmpdir(), 'ld-cdk-synth-'));
  outdirs.push(outdir);
  const cli = join(root, 'node_modules', 'aws-cdk', 'bin', 'cdk');
  const child = spawn(
    process.execPath,
    [cli, 'synth', '--quiet', '--no-notices', '--no-version-reporting', '--no-lookups', '--output', outdir, ...args],
    {
      cwd: root,
      env: offlineEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, outdir }));
  });
}

describe('npx cdk synth', () => {
  it('synthesizes the stack from cdk.json offline, with cdk-nag finding nothing unacknowledged', async () => {
    const result = await cdkSynth();
    expect(result.code, result.stderr).toBe(0);
    const template = JSON.parse(readFileSync(join(result.outdir, 'LdDynamoDBSync.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string }>;
    };
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types.filter((t) => t === 'AWS::DynamoDB::GlobalTable')).toHaveLength(1);
    expect(types.filter((t) => t === 'AWS::Lambda::Function')).toHaveLength(2);
    const report = JSON.parse(readFileSync(join(result.outdir, 'validation-report.json'), 'utf8')) as { pluginReports: unknown[] };
    expect(report.pluginReports).toEqual([]);
    expect(result.stderr).not.toMatch(/\b(ERROR|WARNING|Warning)\b/);
    // Offline, nothing names a region: the app says which one the CDK assumed.
    expect(result.stderr).toContain(
      'ld-dynamodb-sync: no AWS region is configured (AWS_REGION, AWS_DEFAULT_REGION or AWS_PROFILE), so the CDK assumes us-east-1',
    );
  }, 600_000);

  it('rejects a misspelt setting with the list of known settings, before any bundling', async () => {
    const result = await cdkSynth('-c', 'streamng=true');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      "Invalid configuration: context key 'streamng' is not a setting; did you mean 'streaming'? known settings: environments,",
    );
    expect(result.stderr).not.toContain('Bundling asset');
  }, 600_000);

  it('stops on a configuration mistake with the message alone, before any bundling', async () => {
    const result = await cdkSynth('-c', 'pollRateMinutes=0');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      'Invalid configuration: context "pollRateMinutes" must be a whole number of minutes from 1 to 1440, got 0',
    );
    expect(result.stderr).not.toMatch(/^\s+at /m); // no stack trace
    expect(result.stderr).not.toContain('Bundling asset');
    expect(existsSync(join(result.outdir, 'LdDynamoDBSync.template.json'))).toBe(false);
  }, 600_000);
});
