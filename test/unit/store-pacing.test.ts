// The store's pacing (lib/store/pacing.ts): the bounded pool and the AIMD-like write pacer, on a fake clock.
import { describe, expect, it } from 'vitest';
import { AdaptivePacer, backoffDelay, runPool } from '../../lib/store/pacing.js';

describe('runPool', () => {
  it('keeps at most `limit` tasks in flight, keeps input order and settles every task', async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await runPool([5, 1, 3, 2, 4], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      if (n === 3) throw new Error('three');
      return n * 10;
    });
    expect(peak).toBe(2);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([50, 10, 'three', 20, 40]);
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt within the cap, with jitter in the upper half', () => {
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(3, { baseDelayMs: 50, maxDelayMs: 5_000 });
      expect(d).toBeGreaterThan(100);
      expect(d).toBeLessThanOrEqual(200);
      expect(backoffDelay(20, { baseDelayMs: 50, maxDelayMs: 5_000 })).toBeLessThanOrEqual(5_000);
    }
  });
});

describe('AdaptivePacer', () => {
  it('does not pace until the first throttle, then cuts below the rate that got through and probes back up', async () => {
    let now = 0;
    const pacer = new AdaptivePacer({ now: () => now, minRate: 10 });
    expect(pacer.unitsPerSecond).toBe(Infinity);
    // 2,000 units got through in the last second, then DynamoDB throttled.
    for (let i = 0; i < 1000; i++) {
      now += 1;
      pacer.succeeded(2);
    }
    pacer.throttled();
    expect(pacer.unitsPerSecond).toBeCloseTo(1700, -1);
    // A burst of throttles within the window is one signal.
    pacer.throttled();
    expect(pacer.unitsPerSecond).toBeCloseTo(1700, -1);
    // One second without throttling raises the rate by 2% per 100 ms.
    now += 1000;
    await pacer.acquire(1);
    expect(pacer.unitsPerSecond).toBeCloseTo(1700 * 1.02 ** 10, -1);
  });

  it('keeps cutting while the throttled share moves (a rate limit), not while it stays put (random throttles)', () => {
    let now = 0;
    const pacer = new AdaptivePacer({ now: () => now, minRate: 10 });
    const window = (successes: number, throttles: number) => {
      now += 1000;
      for (let i = 0; i < successes; i++) {
        now += 1;
        pacer.succeeded(2);
      }
      for (let i = 0; i < throttles; i++) {
        now += 1;
        pacer.throttled();
      }
    };
    window(1000, 10);
    const first = pacer.unitsPerSecond;
    expect(first).toBeLessThan(Infinity);
    // A limit: half of all requests throttled now, a share far from the last cut's: cut again.
    window(500, 500);
    const second = pacer.unitsPerSecond;
    expect(second).toBeLessThan(first);
    // The same share as at that cut, window after window: random throttles pacing does not cure. Keep the rate.
    window(500, 500);
    window(500, 500);
    expect(pacer.unitsPerSecond).toBe(second);
    // The share moves again (a limit approached): cut.
    window(900, 100);
    expect(pacer.unitsPerSecond).toBeLessThan(second);
  });

  it('spaces requests by their units at the current rate, and never goes below the floor', async () => {
    const now = 0;
    const pacer = new AdaptivePacer({ now: () => now, minRate: 100 });
    pacer.throttled();
    expect(pacer.unitsPerSecond).toBe(100);
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) await pacer.acquire(2);
    // 6 units at 100 units/s: the second and third wait 20 ms each (real time: the fake clock only measures).
    expect(performance.now() - t0).toBeGreaterThanOrEqual(35);
  });
});
