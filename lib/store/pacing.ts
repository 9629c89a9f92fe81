// How the store paces its requests: the retry backoff, the bounded worker pool and the adaptive write
// pacer. Generic code with no DynamoDB in it, so it can be tested without a table.
//
// Why a pacer: real DynamoDB limits a writer by throughput (1,000 write units per second per partition key
// value; every flag of a prefix shares `<prefix>:features`), not by request overhead. Firing requests as
// fast as the pool allows only buys ThrottlingExceptions, each a wasted request and a backoff. The pacer
// is AIMD-like on the rate of write units: unlimited until DynamoDB first throttles (so DynamoDB Local and
// an idle table see no pacing at all), then cut to a share of the rate that was getting through, and
// raised a few percent per interval in which no more requests are throttled than the cut left, so it keeps
// probing for more.

import { sleep } from '../util/sleep.js';

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
  /** Share of the getting-through rate kept after a throttle. Default 0.9. */
  decrease: number;
  /** Growth of the rate per `intervalMs` (100 ms) not throttled above the floor. Default 1.02 (about +22% a second). */
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
  decrease: 0.9,
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
 * Sending less under a rate limit leaves (almost) no request throttled; throttles that come at random (a
 * hiccup, injected faults) keep their share whatever the rate. So one measuring window after each cut the
 * pacer notes the throttled share the cut left (its floor: about 0 under a limit, the fault rate under
 * random throttles); a first cut that left the share where it was is undone. It cuts again only when the share
 * rises clearly above the floor (more than three standard errors of the window's count, at least a point),
 * at most once per window, and it raises the rate in every interval where the share is not above the floor,
 * so random throttles neither drive it down nor stop it probing up (the retries' backoff handles those).
 */
export class AdaptivePacer {
  private readonly opts: PacerOptions;
  /** Units per second allowed; Infinity until the first throttle. */
  private rate = Infinity;
  /** Earliest time the next request may start, under `rate`. */
  private nextAt = 0;
  private lastCut = -Infinity;
  private lastRaise = 0;
  /** The throttled share over the first whole window after the last cut; undefined until measured. */
  private floor: number | undefined;
  /** The rate and throttled share the last cut started from, with the share's standard error. */
  private before = { rate: Infinity, share: 0, error: 0 };
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
    this.refused.push(now);
    this.forget(now);
    // One window of throttles is one signal: a cut needs a window to show its effect.
    if (now - this.lastCut < this.opts.windowMs) return;
    if ((this.rate !== Infinity || this.floor !== undefined) && !this.aboveFloor(now)) return;
    const n = this.done.length + this.refused.length;
    // Fewer than 20 requests tell nothing of the share: counted as 0, so that any floor above 2% undoes the cut.
    const share = n >= 20 ? this.refused.length / n : 0;
    this.before = { rate: this.rate, share, error: n >= 20 ? Math.sqrt((share * (1 - share)) / n) : 0 };
    const base = this.rate === Infinity ? this.measured(now) : Math.min(this.rate, Math.max(this.measured(now), this.rate * 0.5));
    this.rate = Math.max(this.opts.minRate, base * this.opts.decrease);
    this.floor = undefined;
    this.lastCut = now;
    this.lastRaise = now;
  }

  private forget(now: number): void {
    const since = now - this.opts.windowMs;
    while (this.done.length > 0 && this.done[0]!.at < since) this.done.shift();
    while (this.refused.length > 0 && this.refused[0]! < since) this.refused.shift();
  }

  /** Whether the window's throttled share is clearly above the floor (false while the floor is unmeasured). */
  private aboveFloor(now: number): boolean {
    this.forget(now);
    const n = this.done.length + this.refused.length;
    const share = n === 0 ? 0 : this.refused.length / n;
    if (this.floor === undefined) {
      // The first whole window after a cut shows what the cut left. A first cut (from no limit at all) that
      // did not lower the share clearly (by three standard errors) is undone: random throttles, which pacing
      // does not cure; it would only slow the writer. (A later cut may need a second one to reach a limit: it
      // stays, and the floor tells.)
      if (now - this.lastCut >= this.opts.windowMs) {
        this.floor = share;
        if (this.before.rate === Infinity && share >= 0.02 && share >= this.before.share - 3 * this.before.error) this.rate = Infinity;
      }
      return false;
    }
    const f = Math.max(this.floor, 0.01);
    return share > this.floor + Math.max(0.01, 3 * Math.sqrt((f * (1 - f)) / Math.max(n, 1)));
  }

  private measured(now: number): number {
    if (this.done.length === 0) return this.opts.minRate;
    const span = Math.max(this.opts.intervalMs, now - this.done[0]!.at);
    return (this.done.reduce((s, d) => s + d.units, 0) / span) * 1000;
  }

  private raise(): void {
    const now = this.opts.now();
    const steps = Math.floor((now - this.lastRaise) / this.opts.intervalMs);
    if (steps <= 0) return;
    this.lastRaise += steps * this.opts.intervalMs;
    // Intervals while the share is above the floor (or the floor is still being measured) do not count.
    if (this.aboveFloor(now) || this.floor === undefined) return;
    this.rate *= this.opts.increase ** steps;
  }
}
