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
 * Its shares are of writes: a request weighs the writes it carried or held back (a batch's statements; 1 for a
 * single request), while the error of a share is taken over requests, the independent events (shareSince).
 *
 * A rate limit and random throttling look alike request by request; they differ in how they answer a cut.
 * Sending less under a rate limit leaves (almost) no request throttled; throttles that come at random (a
 * hiccup, injected faults) keep their share whatever the rate. So:
 * - no cut is made from fewer than 20 requests in a window (they say nothing of a share); the first waits
 *   for five throttles within a window, and goes to 90% of the rate that got through;
 * - the rate it cuts from is the one getting through since DynamoDB began refusing, when that is measurable
 *   and lower than the window's: under a limit that is the limit, not the burst allowance that drained first;
 *   and a cut that plainly left the writer above a limit (a throttled share of 5% or more, clearly above the
 *   one it cut from, within the window) is followed by one more without waiting out the window;
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
  /** Whether the last cut followed another within its window (see `plainlyAboveLimit`). */
  private earlyCut = false;
  /** Whether the last cut was the first from unpaced, or the one that followed it within its window: undoable. */
  private undoable = false;
  /** Set when the window after a cut was more throttled than the one before: the next throttle cuts again. */
  private cutDue = false;
  /** The rate that got through when the last cut was made: where the limit was last seen. */
  private ceiling = Infinity;
  /** The rate and throttled share the last cut started from, with the share's standard error. */
  private before = { rate: Infinity, share: 0, error: 0 };
  /** Completed requests' time, units and weight (the writes they carried) in the measuring window. */
  private readonly done: { at: number; units: number; weight: number }[] = [];
  /** Throttled requests' time and weight (the writes they held back) in the measuring window. */
  private readonly refused: { at: number; weight: number }[] = [];
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

  /** A request got through, writing `units` in `weight` writes (a batch's statements; 1 for a single request). */
  succeeded(units: number, weight = 1): void {
    const now = this.opts.now();
    this.done.push({ at: now, units, weight });
    this.forget(now);
  }

  /** A request was throttled, holding back `weight` writes (a batch's throttled statements; 1 for a single request). */
  throttled(weight = 1): void {
    const now = this.opts.now();
    this.throttles++;
    this.refused.push({ at: now, weight });
    this.forget(now);
    // One window of throttles is one signal: a cut needs a window to show its effect, unless it plainly left
    // the writer above a limit.
    const early = now - this.lastCut < this.opts.windowMs;
    if (early) {
      if (!this.plainlyAboveLimit(now)) return;
    } else if (this.refused.length + this.done.length < 20) {
      // Fewer than 20 requests in the window tell nothing of their share or of the rate getting through: five
      // of the first six batches throttled at random once cut a writer to the floor rate, and a share of 83%
      // made the random 30% after it look cured; a lull between waves did the same later.
      return;
    } else if (this.rate === Infinity && this.floor === undefined) {
      // The first cut waits for five throttles in the window.
      if (this.refused.length < 5) return;
    } else if (!this.aboveFloor(now) && !this.cutDue) return;
    this.cutDue = false;
    const { share: windowShare, n } = this.shareSince(-Infinity);
    // Against the floor, when there is one: a window that only looks worse by chance must not make the share
    // after the cut look like an improvement.
    const share = Math.min(windowShare, this.floor ?? 1);
    // A cut within the first cut's window is judged, with it, against the share before the first.
    if (!early) this.before = { rate: this.rate, share, error: Math.sqrt((share * (1 - share)) / n) };
    this.earlyCut = early;
    if (!early) this.undoable = this.rate === Infinity;
    const through = this.gettingThrough(now, early ? this.lastCut : -Infinity);
    this.ceiling = Math.min(this.rate, through);
    // A later cut goes at most halfway down unless the rate since the throttles began says where the limit is.
    const base = this.rate === Infinity ? through : Math.min(this.rate, early ? through : Math.max(through, this.rate * 0.5));
    this.rate = Math.max(this.opts.minRate, base * this.opts.decrease);
    this.floor = undefined;
    this.lastCut = now;
    this.lastRaise = now;
  }

  /**
   * Whether the cut made less than a window ago plainly left the writer above a limit: 10 throttles or more
   * since, a share of 5% or more and clearly above the one it cut from, and the rate getting through since
   * measurable (so the next cut is made from it). A cut made when throttling has only just begun is made from
   * a rate a burst allowance inflated (DynamoDB serves a full bucket before it refuses; a writer that ran
   * below the limit for a while refills it), and waiting the whole window to see that costs up to a third of
   * that window's requests throttled. One such cut per cut: random throttles that happen to look like this
   * are not cut for again and again before the window shows what they are (and, after a first cut, undoes
   * both).
   */
  private plainlyAboveLimit(now: number): boolean {
    if (this.earlyCut || this.sinceThrottled(now, this.lastCut) === undefined) return false;
    if (this.refused.filter((r) => r.at >= this.lastCut).length < 10) return false;
    const { share, n } = this.shareSince(this.lastCut);
    const error = Math.max(this.before.error, Math.sqrt((share * (1 - share)) / n));
    return share >= 0.05 && share > this.before.share + 3 * error;
  }

  private forget(now: number): void {
    const since = now - this.opts.windowMs;
    while (this.done.length > 0 && this.done[0]!.at < since) this.done.shift();
    while (this.refused.length > 0 && this.refused[0]!.at < since) this.refused.shift();
  }

  /**
   * The throttled share of writes since `since` (within the window), and the number of requests it comes from.
   * The share weighs writes (a batch throttled whole holds back all its statements); its standard error is
   * taken over requests, the independent events: weighed by statement, random throttles of whole batches
   * looked like a limit and the pacer cut to its floor again and again.
   */
  private shareSince(since: number): { share: number; n: number } {
    let held = 0;
    let got = 0;
    let n = 0;
    for (const r of this.refused) {
      if (r.at < since) continue;
      held += r.weight;
      n++;
    }
    for (const d of this.done) {
      if (d.at < since) continue;
      got += d.weight;
      n++;
    }
    return { share: held + got === 0 ? 0 : held / (held + got), n };
  }

  /** Whether the window's throttled share is clearly above the floor (false while the floor is unmeasured). */
  private aboveFloor(now: number): boolean {
    this.forget(now);
    if (this.floor === undefined) {
      // The first whole window after a cut shows what the cut left, from half an interval after it: requests
      // answered just after the cut were sent before it.
      if (now - this.lastCut < this.opts.windowMs) return false;
      const { share, n } = this.shareSince(this.lastCut + this.opts.intervalMs / 2);
      this.floor = share;
      const error = Math.max(this.before.error, Math.sqrt((share * (1 - share)) / Math.max(n, 1)));
      // More throttled than before the cut: a limit the cut did not reach (the first cut is measured while a
      // burst allowance still hides it). Cut again, from what gets through now.
      if (share >= 0.02 && share > this.before.share + 3 * error) {
        this.cutDue = true;
        return true;
      }
      // A first cut (with the one that followed it within its window) that left the share where it was:
      // random throttles, which pacing does not cure and would only slow the writer. Undone. (A later cut may
      // need another to reach a limit: it stays.)
      if (this.undoable && share >= 0.02 && share >= this.before.share - 3 * error) this.rate = Infinity;
      return false;
    }
    const { share, n } = this.shareSince(-Infinity);
    const f = Math.max(this.floor, 0.01);
    return share > this.floor + Math.max(0.01, 3 * Math.sqrt((f * (1 - f)) / Math.max(n, 1)));
  }

  /**
   * The rate getting through: the window's, or, when the throttles began well inside the window, the rate
   * since the first of them if lower. Under a limit that is the limit itself, where the whole window's rate
   * still counts the burst allowance that drained before DynamoDB began refusing (a cut from that leaves the
   * writer above the limit for another window of throttles).
   */
  private gettingThrough(now: number, since: number): number {
    const all = this.measured(now);
    return Math.min(all, this.sinceThrottled(now, since) ?? all);
  }

  /**
   * Units per second completed since the first throttle at or after `since`, from half an interval after it
   * (requests that complete just after it were admitted before it); undefined while that says little (under
   * an interval, or fewer than 20 writes completed).
   */
  private sinceThrottled(now: number, since: number): number | undefined {
    const first = this.refused.find((r) => r.at >= since)?.at;
    if (first === undefined) return undefined;
    const from = first + this.opts.intervalMs / 2;
    if (now - from < this.opts.intervalMs) return undefined;
    let units = 0;
    let count = 0;
    for (const d of this.done) {
      if (d.at < from) continue;
      units += d.units;
      count += d.weight;
    }
    return count < 20 ? undefined : (units / (now - from)) * 1000;
  }

  /**
   * Units per second completed over the window: the units after its first completion, over the time since it.
   * (Counting the first completion's units too overstated the rate by one completion's share: about 4% with
   * batches of 8, enough to set the pacer's quick return above the limit it had just found.)
   */
  private measured(now: number): number {
    if (this.done.length < 2) return this.opts.minRate;
    const span = Math.max(this.opts.intervalMs, now - this.done[0]!.at);
    return ((this.done.reduce((s, d) => s + d.units, 0) - this.done[0]!.units) / span) * 1000;
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
