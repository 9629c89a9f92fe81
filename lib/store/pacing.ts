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
 *
 * A rate limit and random throttling look alike request by request; they differ in how they answer a cut.
 * Under a rate limit, sending less makes a smaller share of requests throttled; throttles that come at random
 * (a hiccup, injected faults) keep their share whatever the rate. So the pacer cuts at most once per
 * measuring window, and not when the throttled share is what it was at the last cut (the retries' backoff
 * handles those throttles); a share that moved, falling as a limit is approached or rising as a new one
 * appears, is cut for. Raises happen only in intervals without a throttle.
 */
export class AdaptivePacer {
  private readonly opts: PacerOptions;
  /** Units per second allowed; Infinity until the first throttle. */
  private rate = Infinity;
  /** Earliest time the next request may start, under `rate`. */
  private nextAt = 0;
  private lastThrottle = -Infinity;
  private lastCut = -Infinity;
  private lastRaise = 0;
  /** The throttled share measured at the last cut; while the share stays there, no further cut. */
  private shareAtCut = Infinity;
  /** Completed requests' (time, units) in the measuring window. */
  private readonly done: { at: number; units: number }[] = [];
  /** Times of throttled requests in the measuring window. */
  private readonly refused: number[] = [];
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
    this.forget(now);
  }

  throttled(): void {
    const now = this.opts.now();
    this.throttles++;
    this.lastThrottle = now;
    this.refused.push(now);
    this.forget(now);
    // One window of throttles is one signal: a cut needs a window to show its effect.
    if (now - this.lastCut < this.opts.windowMs) return;
    const share = this.refused.length / (this.refused.length + this.done.length);
    if (this.rate !== Infinity && Math.abs(share - this.shareAtCut) <= 0.25 * this.shareAtCut) {
      // The last cut did not change the share: not a rate limit (or not one pacing cures). Keep the rate.
      this.lastCut = now;
      return;
    }
    const base = this.rate === Infinity ? this.measured(now) : Math.min(this.rate, Math.max(this.measured(now), this.rate * 0.5));
    this.rate = Math.max(this.opts.minRate, base * this.opts.decrease);
    this.shareAtCut = share;
    this.lastCut = now;
    this.lastRaise = now;
  }

  private forget(now: number): void {
    const since = now - this.opts.windowMs;
    while (this.done.length > 0 && this.done[0]!.at < since) this.done.shift();
    while (this.refused.length > 0 && this.refused[0]! < since) this.refused.shift();
  }

  private measured(now: number): number {
    if (this.done.length === 0) return this.opts.minRate;
    const span = Math.max(this.opts.intervalMs, now - this.done[0]!.at);
    return (this.done.reduce((s, d) => s + d.units, 0) / span) * 1000;
  }

  private raise(): void {
    const now = this.opts.now();
    // Only intervals without a throttle count.
    const from = Math.max(this.lastRaise, this.lastThrottle);
    const steps = Math.floor((now - from) / this.opts.intervalMs);
    if (steps <= 0) return;
    this.rate *= this.opts.increase ** steps;
    this.lastRaise = from + steps * this.opts.intervalMs;
  }
}
