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
  it('does not pace until five throttles in a window, then cuts below the rate that got through and probes back up', async () => {
    let now = 0;
    const pacer = new AdaptivePacer({ now: () => now, minRate: 10 });
    expect(pacer.unitsPerSecond).toBe(Infinity);
    // 2,000 units got through in the last second, then DynamoDB throttled: four throttles say nothing yet.
    for (let i = 0; i < 1000; i++) {
      now += 1;
      pacer.succeeded(2);
    }
    for (let i = 0; i < 4; i++) pacer.throttled();
    expect(pacer.unitsPerSecond).toBe(Infinity);
    pacer.throttled();
    expect(pacer.unitsPerSecond).toBeCloseTo(1800, -1);
    // A burst of throttles within the window is one signal.
    pacer.throttled();
    expect(pacer.unitsPerSecond).toBeCloseTo(1800, -1);
    // One second without throttling (the cut left none) raises the rate by 2% per 100 ms.
    for (let i = 0; i < 1000; i++) {
      now += 1;
      pacer.succeeded(2);
    }
    await pacer.acquire(1);
    expect(pacer.unitsPerSecond).toBeCloseTo(1800 * 1.02 ** 10, -1);
  });

  /** One second of requests, successes and throttles spread evenly over it, as they arrive in real time. */
  const clock = () => {
    const c = { now: 0 } as { now: number; pacer: AdaptivePacer };
    c.pacer = new AdaptivePacer({ now: () => c.now, minRate: 10 });
    const second = (successes: number, throttles: number) => {
      const total = successes + throttles;
      for (let i = 0; i < total; i++) {
        c.now += 1000 / total;
        // Throttles spread among the successes: every (total / throttles)-th request.
        if (throttles > 0 && Math.floor(((i + 1) * throttles) / total) > Math.floor((i * throttles) / total)) c.pacer.throttled();
        else c.pacer.succeeded(2);
      }
    };
    return { c, second };
  };

  it('cuts again when a cut leaves more throttled than before (a limit a burst hid), then holds at a steady share', async () => {
    const { c, second } = clock();
    second(1000, 10);
    const first = c.pacer.unitsPerSecond;
    expect(first).toBeLessThan(Infinity);
    // Half of all requests throttled after the cut: more than before it. Cut again.
    second(500, 500);
    expect(c.pacer.unitsPerSecond).toBeLessThan(first);
    // The share stays at a half, second after second: once the pacer has seen that, no further cuts...
    for (let i = 0; i < 4; i++) second(500, 500);
    const held = c.pacer.unitsPerSecond;
    for (let i = 0; i < 3; i++) second(500, 500);
    expect(c.pacer.unitsPerSecond).toBe(held);
    // ...and it keeps probing up through them.
    c.now += 100;
    await c.pacer.acquire(1);
    expect(c.pacer.unitsPerSecond).toBeGreaterThan(held);
  });

  it('cuts again within the window when a cut from a burst-inflated rate leaves the writer above a limit, to below the rate getting through', () => {
    const { c, second } = clock();
    // A full bucket lets 2,000 units through in the first second, then DynamoDB refuses: a cut to 90% of that.
    second(1000, 5);
    const first = c.pacer.unitsPerSecond;
    expect(first).toBeCloseTo(1800, -2);
    // Now the limit: 500 requests of 2 units a second get through and 40% are refused.
    let cutAt: number | undefined;
    const start = c.now;
    for (let i = 0; i < 500 && cutAt === undefined; i++) {
      c.now += 1.2;
      if (i % 5 < 2) c.pacer.throttled();
      else c.pacer.succeeded(2);
      if (c.pacer.unitsPerSecond < first) cutAt = c.now - start;
    }
    // Within half the window, not after it, and from the rate getting through (1,000 units/s), not from
    // half of the previous rate.
    expect(cutAt).toBeDefined();
    expect(cutAt!).toBeLessThan(500);
    expect(c.pacer.unitsPerSecond).toBeGreaterThan(850);
    expect(c.pacer.unitsPerSecond).toBeLessThan(1000);
  });

  it('undoes a first cut that left the throttled share where it was (random throttles), not one that cured it (a limit)', async () => {
    const random = clock();
    // 15% of requests throttled at random, whatever the rate.
    for (let i = 0; i < 3; i++) random.second(850, 150);
    expect(random.c.pacer.unitsPerSecond).toBe(Infinity);
    const limited = clock();
    limited.second(995, 5);
    expect(limited.c.pacer.unitsPerSecond).toBeLessThan(Infinity);
    limited.second(1000, 0);
    await limited.c.pacer.acquire(1);
    expect(limited.c.pacer.unitsPerSecond).toBeLessThan(Infinity);
  });

  it('weighs its share by writes but its error by requests: batches throttled whole at random are not taken for a limit', async () => {
    // Batches of 8 writes (16 units), 106 a second, whole batches throttled at random: 15% of them, then 26%.
    let now = 0;
    const pacer = new AdaptivePacer({ now: () => now, minRate: 10 });
    const second = (successes: number, throttles: number) => {
      const total = successes + throttles;
      for (let i = 0; i < total; i++) {
        now += 1000 / total;
        if (Math.floor(((i + 1) * throttles) / total) > Math.floor((i * throttles) / total)) pacer.throttled(8);
        else pacer.succeeded(16, 8);
      }
    };
    second(90, 16);
    // The first cut is made (five throttles in a window look like a limit)...
    expect(pacer.unitsPerSecond).toBeLessThan(Infinity);
    for (let i = 0; i < 3; i++) second(78, 28);
    // ...and undone: 15% and 26% of 106 requests differ by what chance gives. (Over 848 writes they would not:
    // weighed so, the pacer cut four times in these three seconds, to half the rate.)
    await pacer.acquire(16);
    expect(pacer.unitsPerSecond).toBe(Infinity);
  });

  it('does not count throttles answered just after a cut, for requests sent before it, as what the cut left', async () => {
    // Batches of 8 writes (16 units), one every 10 ms; a limit is reached and five batches are throttled.
    let now = 0;
    const pacer = new AdaptivePacer({ now: () => now, minRate: 10 });
    for (let i = 0; i < 100; i++) {
      now += 10;
      pacer.succeeded(16, 8);
    }
    for (let i = 0; i < 5; i++) {
      now += 10;
      pacer.throttled(8);
    }
    const cutAt = now;
    expect(pacer.unitsPerSecond).toBeLessThan(Infinity);
    // Six batches in flight when the cut came are throttled in the next 30 ms; after that the cut leaves none.
    for (let i = 0; i < 6; i++) {
      now += 5;
      pacer.throttled(7);
    }
    while (now < cutAt + 990) {
      now += 10;
      pacer.succeeded(16, 8);
    }
    now = cutAt + 1001;
    // The cut cured the throttling: it is kept (42 writes held back by requests sent before it are not a
    // share the cut left, which would look like random throttles and undo it).
    await pacer.acquire(16);
    expect(pacer.unitsPerSecond).toBeLessThan(Infinity);
  });

  it('stops raising while the share is above the floor, and cuts when the rise persists', async () => {
    const { c, second } = clock();
    second(495, 5);
    second(500, 0);
    second(500, 0);
    // The floor is 0: with no throttles the rate climbs.
    await c.pacer.acquire(1);
    const before = c.pacer.unitsPerSecond;
    c.now += 200;
    await c.pacer.acquire(1);
    const raised = c.pacer.unitsPerSecond;
    expect(raised).toBeGreaterThan(before);
    // 10% throttled now: a cut.
    second(450, 50);
    expect(c.pacer.unitsPerSecond).toBeLessThan(raised);
  });

  it('spaces requests by their units at the current rate, and never goes below the floor', async () => {
    const now = 0;
    const pacer = new AdaptivePacer({ now: () => now, minRate: 100 });
    // Every request throttled: nothing gets through, and the first cut (after 20) goes to the floor.
    for (let i = 0; i < 19; i++) pacer.throttled();
    expect(pacer.unitsPerSecond).toBe(Infinity);
    pacer.throttled();
    expect(pacer.unitsPerSecond).toBe(100);
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) await pacer.acquire(2);
    // 6 units at 100 units/s: the second and third wait 20 ms each (real time: the fake clock only measures).
    expect(performance.now() - t0).toBeGreaterThanOrEqual(35);
  });
});
