// Runs a child process with its CPU capped the way Lambda caps a function: Lambda allocates CPU in proportion
// to memory, one full vCPU at 1,769 MB (AWS Lambda Developer Guide, "Configure Lambda function memory"), so a
// function of M MB gets M ÷ 1,769 of one CPU. The cap is a cgroup CPU quota of that share of one CPU per period:
// cgroup v2 `cpu.max` where the cpu controller is on the unified hierarchy, else cgroup v1 `cpu.cfs_quota_us`.
// A child cgroup per size is created under the current one (this needs root), the child process moves itself
// into it before it execs Node (so Node's start-up is capped too), and the cgroup is removed afterwards.
// Where neither can be written, `openCpuCap` returns the reason and the caller skips the case.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Lambda's memory at which a function has one full vCPU. */
export const FULL_CPU_MB = 1769;
const PERIOD_US = 100_000;

export interface CpuCap {
  /** The command and arguments that run `command args` inside the cgroup. */
  wrap(command: string, args: string[]): { command: string; args: string[] };
  close(): Promise<void>;
  readonly description: string;
}

interface Hierarchy {
  version: 1 | 2;
  /** The cgroup directory this process is in, on the hierarchy that has the cpu controller. */
  dir: string;
}

function findHierarchy(): Hierarchy | string {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' '));
  const own = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(':'));
  const v2 = mounts.find((m) => m[2] === 'cgroup2');
  if (v2) {
    const controllers = path.join(v2[1]!, 'cgroup.controllers');
    const rel = own.find((c) => c[0] === '0')?.[2] ?? '/';
    if (existsSync(controllers) && readFileSync(controllers, 'utf8').split(/\s+/).includes('cpu'))
      return { version: 2, dir: path.join(v2[1]!, rel) };
  }
  const v1 = mounts.find((m) => m[2] === 'cgroup' && (m[3] ?? '').split(',').includes('cpu'));
  if (v1) {
    const rel = own.find((c) => (c[1] ?? '').split(',').includes('cpu'))?.[2] ?? '/';
    return { version: 1, dir: path.join(v1[1]!, rel) };
  }
  return 'no cgroup hierarchy with the cpu controller is mounted';
}

/** A cgroup capped at `memoryMb` ÷ 1,769 of one CPU, or the reason it cannot be made here. */
export async function openCpuCap(memoryMb: number, name: string): Promise<CpuCap | string> {
  const found = findHierarchy();
  if (typeof found === 'string') return found;
  const quota = Math.max(1000, Math.round((PERIOD_US * memoryMb) / FULL_CPU_MB));
  const dir = path.join(found.dir, name);
  try {
    await mkdir(dir, { recursive: true });
    if (found.version === 2) {
      // The cpu controller must be enabled for children of the parent; it usually is where cpu.max exists.
      if (!existsSync(path.join(dir, 'cpu.max'))) await writeFile(path.join(found.dir, 'cgroup.subtree_control'), '+cpu');
      await writeFile(path.join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
    } else {
      await writeFile(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      await writeFile(path.join(dir, 'cpu.cfs_quota_us'), String(quota));
    }
  } catch (err) {
    await rmdir(dir).catch(() => undefined);
    return `cannot set a CPU quota in ${dir} (${(err as Error).message}); run the bench as root on a machine with cgroups`;
  }
  const procs = path.join(dir, 'cgroup.procs');
  return {
    description: `cgroup v${found.version} quota ${quota} µs per ${PERIOD_US} µs (${((100 * quota) / PERIOD_US).toFixed(1)}% of one CPU)`,
    // `sh` writes its own pid into the cgroup, then becomes the command: everything the command runs is capped.
    wrap: (command, args) => ({ command: '/bin/sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', procs, command, ...args] }),
    close: async () => {
      // The children have exited; a cgroup with no processes can be removed.
      await rmdir(dir).catch(() => undefined);
    },
  };
}
