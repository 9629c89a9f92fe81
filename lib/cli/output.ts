// What the CLI writes and how: the IO it is given (so tests run it in-process), a redacting wrapper that
// keeps secrets out of everything written, a logger onto stderr, a progress line for long syncs, and small
// formatters.
import type { Logger } from '../util/logger.js';

/** A stream the CLI writes to; process.stdout/stderr fit, and so does a string collector in tests. */
export interface Output {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** Everything the CLI gets from the outside world. `env` is read only in the command modules. */
export interface CliIO {
  stdout: Output;
  stderr: Output;
  env: Record<string, string | undefined>;
  /** Aborted on SIGINT/SIGTERM by the executable: a stream session then shuts down cleanly. */
  signal?: AbortSignal;
  /** Directory relative paths (--file) are resolved against. Default process.cwd(). */
  cwd?: string;
}

/**
 * Wraps an output so that no secret ever leaves the process through it, whatever a lower layer put in a
 * message. The SDK key should never reach here; this is the belt to the braces.
 */
export function redacting(out: Output, secrets: (string | undefined)[]): Output {
  const list = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  if (list.length === 0) return out;
  return {
    isTTY: out.isTTY,
    write(chunk: string) {
      let text = String(chunk);
      for (const s of list) text = text.split(s).join('[redacted]');
      return out.write(text);
    },
  };
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m} min ${s} s`;
}

/** "3 min ago", "in 2 s" (clock skew), for the age of the last sync. */
export function formatAge(then: Date, now = new Date()): string {
  const ms = now.getTime() - then.getTime();
  if (ms < 0) return `${formatDuration(-ms)} in the future (clock skew?)`;
  if (ms < 1000) return 'just now';
  if (ms < 48 * 3_600_000) return `${formatDuration(ms)} ago`;
  return `${Math.floor(ms / 86_400_000)} days ago`;
}

/** Aligned "name  value" lines. */
export function table(rows: [string, string | number][], indent = '  '): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `${indent}${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}

export interface Progress {
  stop(): void;
}

/**
 * Shows how a long-running sync is doing, on stderr. On a terminal one line is redrawn every second once the
 * sync has run for `delayMs`; elsewhere a line is written every `intervalMs` only if an interval was asked
 * for (logs and pipes should not fill up with progress unless the user wants it).
 */
export function startProgress(stderr: Output, progressLine: () => string, opts: { intervalMs?: number; delayMs?: number } = {}): Progress {
  const tty = stderr.isTTY === true;
  if (!tty && opts.intervalMs === undefined) return { stop() {} };
  const interval = opts.intervalMs ?? 1000;
  let drawn = false;
  const tick = () => {
    const line = progressLine();
    if (tty) {
      stderr.write(`\r\x1b[K${line}`);
      drawn = true;
    } else {
      stderr.write(`${line}\n`);
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const first = setTimeout(
    () => {
      tick();
      timer = setInterval(tick, interval);
      timer.unref();
    },
    tty && opts.intervalMs === undefined ? (opts.delayMs ?? 2000) : interval,
  );
  first.unref();
  return {
    stop() {
      clearTimeout(first);
      if (timer) clearInterval(timer);
      if (drawn) stderr.write('\r\x1b[K');
    },
  };
}

/** Collects what is written, for tests and for callers that post-process output. */
export class StringOutput implements Output {
  text = '';
  constructor(readonly isTTY = false) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** A logger for the store and the sources that writes to stderr: warnings and errors always, the rest with --verbose. */
export function stderrLogger(stderr: Output, verbose: boolean): Logger & { errorsShown: Set<string> } {
  // Error lines already shown, so the final failure message need not repeat them (see describeFailure).
  const errorsShown = new Set<string>();
  const line =
    (level: string) =>
    (...args: unknown[]) => {
      const text = args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
      if (level === 'error') errorsShown.add(text);
      stderr.write(`${level}: ${text.replace(/\s*\n\s*/g, ' ')}\n`);
    };
  const off = () => {};
  return {
    debug: verbose ? line('debug') : off,
    info: verbose ? line('info') : off,
    warn: line('warning'),
    error: line('error'),
    errorsShown,
  };
}
