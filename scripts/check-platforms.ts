// `npm run check:platforms` (CI runs it): replays `npm ci --dry-run` of this repository's lockfile with npm's
// own platform check as each developer platform sees it, so a dependency that would stop `npm ci` with
// EBADPLATFORM on macOS, Windows or arm64 Linux fails here, on the CI machine. Nothing is installed.
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PLATFORMS = ['linux/x64', 'linux/arm64', 'darwin/arm64', 'darwin/x64', 'win32/x64', 'win32/arm64'];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const preload = path.join(root, 'scripts/support/as-platform.cjs');
// npm sets npm_execpath to its own CLI script for the scripts it runs.
const npmCli = process.env.npm_execpath;
if (!npmCli) {
  console.error('check-platforms: run it as `npm run check:platforms` (npm_execpath is not set)');
  process.exit(2);
}

/** This environment without the settings of the npm running this script (`--silent` would hide the plan). */
function npmFreeEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry']);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') || keep.has(k)));
  // As "win32", Node and npm take the temporary directory from TEMP/TMP, else from SystemRoot, which is unset
  // here: that would create a folder named "undefined\temp" in the repository. Point them at the real one.
  return { ...env, TEMP: tmpdir(), TMP: tmpdir() };
}

let failed = 0;
for (const platform of PLATFORMS) {
  const r = spawnSync(process.execPath, ['-r', preload, npmCli, 'ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: root,
    env: { ...npmFreeEnv(), AS_PLATFORM: platform },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const node = /^add (node-[\w-]+) ([\d.]+)$/m.exec(r.stdout);
  if (r.status === 0) {
    const nodeToAdd = node
      ? `${node[1]} ${node[2]}`
      : 'none to add (already installed here, or, as Windows, not shown: npm links workspaces by Windows paths)';
    console.log(`${platform.padEnd(13)} ok   npm ci passes; Node.js for npm scripts: ${nodeToAdd}`);
  } else {
    failed += 1;
    const why = r.stderr
      .split('\n')
      .filter((l) => /notsup|EBADPLATFORM|error/i.test(l))
      .slice(0, 3)
      .join('\n  ');
    console.log(`${platform.padEnd(13)} FAIL npm ci stops:\n  ${why || r.stderr.trim()}`);
  }
}
process.exit(failed ? 1 : 0);
