// How the store paces its requests: the one home of sleep, the retry backoff, the bounded worker pool and
// the adaptive write pacer. Generic code with no DynamoDB in it, so it can be tested without a table.
//
// Why a pacer: real DynamoDB limits a writer by throughput (1,000 write units per second per partition key
// value; every flag of a prefix shares `<prefix>:features`), not by request overhead. Firing requests as
// fast as the pool allows only buys ThrottlingExceptions, each a wasted request and a backoff. The pacer
// is AIMD-like on the rate of write units: unlimited until DynamoDB first throttles (so DynamoDB Local and
// an idle table see no pacing at all), then cut to a share of the rate that was getting through, and
// raised a few percent per interval without throttling, so it keeps probing for more.

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface BackoffOptions {
  /** First back-off delay in ms, doubled on each retry. */
  baseDelayMs: number;
  /** Cap on one back-off delay in ms. */
  maxDelayMs: number;
}

/** Delay before retry number `attempt` (1-based): exponential, capped, with jitter in (delay/2, delay]. */
export function backoffDelay(attempt: number, retry: BackoffOptions): number {
  const delay = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  return delay - Math.floor(Math.random() * 0.5 * delay);
}

/**
 * Runs `task` for every element with at most `limit` in flight; resolves with the results in input order.
 * A task that throws does not stop the others: its error is kept in the settled result.
 */
export async function runPool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await task(items[i]!, i) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface PacerOptions {
  /** Share of the getting-through rate kept after a throttle. Default 0.85. */
  decrease: number;
  /** Growth of the rate per `intervalMs` (100 ms) without throttling. Default 1.02 (about +22% a second). */
  increase: number;
  intervalMs: number;
  /** Window over which the getting-through rate is measured, ms. Default 1,000. */
  windowMs: number;
  /**
   * Floor of the limit, units per second. Real DynamoDB serves 1,000 write units per second per partition
   * key value, so pacing below a twentieth of that only slows a writer whose throttles come from elsewhere. Default 50.
   */
  minRate: number;
  now: () => number;
}

const defaultPacer: PacerOptions = {
  decrease: 0.85,
  increase: 1.02,
  intervalMs: 100,
  windowMs: 1_000,
  minRate: 50,
  now: () => performance.now(),
};

/**
 * An AIMD-like limit on units per second (units: write capacity units a request is expected to cost).
 * `acquire(units)` waits until the request may go; `succeeded` and `throttled` feed back what happened.
 */
export class AdaptivePacer {
  private readonly opts: PacerOptions;
  /** Units per second allowed; Infinity until the first throttle. */
  private rate = Infinity;
  /** Earliest time the next request may start, under `rate`. */
  private nextAt = 0;
  private lastThrottle = -Infinity;
  private lastRaise = 0;
  /** Never below this share of what was getting through when throttling began (see throttled()). */
  private floor = 0;
  /** What was getting through at the last cut. */
  private cutThrough = Infinity;
  /** Completed requests' (time, units) in the measuring window. */
  private readonly done: { at: number; units: number }[] = [];
  throttles = 0;

  constructor(options: Partial<PacerOptions> = {}) {
    this.opts = { ...defaultPacer, ...options };
  }

  /** The current limit in units per second (Infinity when not limiting). */
  get unitsPerSecond(): number {
    return this.rate;
  }

  async acquire(units: number): Promise<void> {
    if (this.rate === Infinity) return;
    this.raise();
    const now = this.opts.now();
    const start = Math.max(now, this.nextAt);
    this.nextAt = start + (units / this.rate) * 1000;
    if (start > now) await sleep(start - now);
  }

  succeeded(units: number): void {
    const now = this.opts.now();
    this.done.push({ at: now, units });
    while (this.done.length > 0 && this.done[0]!.at < now - this.opts.windowMs) this.done.shift();
  }

  throttled(): void {
    const now = this.opts.now();
    this.throttles++;
    // One burst of throttles is one signal: cut once per measuring half-window.
    if (now - this.lastThrottle < this.opts.windowMs / 2) return;
    this.lastThrottle = now;
    const through = this.measured(now);
    // Throttling that comes from a rate limit stops below that limit; throttling that does not (errors
    // injected at random, a brief hiccup) would otherwise drive the rate down without end. So the limit
    // never falls below 30% of the rate that was getting through when throttling began.
    if (this.rate === Infinity) this.floor = Math.max(this.opts.minRate, through * 0.3);
    // Throttled again though less is getting through than at the last cut: slowing down did not help, so
    // the throttling is not ours to cure by pacing; keep the rate rather than cut again.
    if (through < 0.9 * this.cutThrough && this.rate !== Infinity) return;
    this.cutThrough = through;
    const base = this.rate === Infinity ? through : Math.min(this.rate, Math.max(through, this.rate * this.opts.decrease));
    this.rate = Math.max(this.floor, base * this.opts.decrease);
    this.lastRaise = now;
  }

  private measured(now: number): number {
    const inWindow = this.done.filter((d) => d.at >= now - this.opts.windowMs);
    if (inWindow.length === 0) return 1;
    const span = Math.max(this.opts.intervalMs, now - inWindow[0]!.at);
    return (inWindow.reduce((s, d) => s + d.units, 0) / span) * 1000;
  }

  private raise(): void {
    const now = this.opts.now();
    const steps = Math.floor((now - this.lastRaise) / this.opts.intervalMs);
    if (steps <= 0) return;
    this.rate *= this.opts.increase ** steps;
    this.lastRaise += steps * this.opts.intervalMs;
  }
}
