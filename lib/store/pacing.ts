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
 * hiccup, injected faults) keep their share whatever the rate. So:
 * - the first cut waits for five throttles within a window (fewer say nothing of a share), and goes to 90%
 *   of the rate that got through;
 * - one window after each cut the pacer notes the throttled share the cut left (its floor: about 0 under a
 *   limit, the fault rate under random throttles). A share higher than before the cut means a limit the cut
 *   did not reach (a burst allowance hid it): the next throttle cuts again. A first cut that left the share
 *   where it was is undone: random throttles, which pacing does not cure;
 * - later it cuts only when the share rises clearly above the floor (more than three standard errors of the
 *   window's count, at least a point), at most once per window;
 * - it raises the rate in every interval where the share is not above the floor: quickly up to 97% of the
 *   rate at which throttling last began, slowly past it, so it keeps probing without buying throttles.
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
  /** Set when the window after a cut was more throttled than the one before: the next throttle cuts again. */
  private cutDue = false;
  /** The rate that got through when the last cut was made: where the limit was last seen. */
  private ceiling = Infinity;
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
    if (this.rate === Infinity && this.floor === undefined) {
      // The first cut waits for five throttles in the window: fewer tell nothing of their share.
      if (this.refused.length < 5) return;
    } else if (!this.aboveFloor(now) && !this.cutDue) return;
    this.cutDue = false;
    const n = this.done.length + this.refused.length;
    // Against the floor, when there is one: a window that only looks worse by chance must not make the share
    // after the cut look like an improvement.
    const share = Math.min(this.refused.length / n, this.floor ?? 1);
    this.before = { rate: this.rate, share, error: Math.sqrt((share * (1 - share)) / n) };
    this.ceiling = Math.min(this.rate, this.measured(now));
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
      // The first whole window after a cut shows what the cut left.
      if (now - this.lastCut < this.opts.windowMs) return false;
      this.floor = share;
      const error = Math.max(this.before.error, Math.sqrt((share * (1 - share)) / Math.max(n, 1)));
      // More throttled than before the cut: a limit the cut did not reach (the first cut is measured while a
      // burst allowance still hides it). Cut again, from what gets through now.
      if (share >= 0.02 && share > this.before.share + 3 * error) {
        this.cutDue = true;
        return true;
      }
      // A first cut that left the share where it was: random throttles, which pacing does not cure and would
      // only slow the writer. Undone. (A later cut may need another to reach a limit: it stays.)
      if (this.before.rate === Infinity && share >= 0.02 && share >= this.before.share - 3 * error) this.rate = Infinity;
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
    // Quickly back to just under where throttling began (the last cut's starting point), then slowly past it:
    // a limit is most likely where it was, and overshooting it only buys throttles.
    const near = this.rate >= 0.97 * this.ceiling;
    this.rate *= (near ? 1 + (this.opts.increase - 1) / 8 : this.opts.increase) ** steps;
  }
}
