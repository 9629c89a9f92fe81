// LaunchDarkly's retry delays, and withRetries' choice of what to retry.
import { describe, expect, it } from 'vitest';
import { RetryDelay, backoffDelay, withRetries } from '../../lib/launchdarkly/backoff.js';
import { HttpStatusError, NetworkError, PayloadError } from '../../lib/launchdarkly/errors.js';

const ld = { initialDelayMs: 1000, maxDelayMs: 30_000, jitterRatio: 0.5 };

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap', () => {
    const noJitter = () => 0;
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, ld, noJitter))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });

  it('subtracts up to half the delay as jitter, so a delay lands in (d/2, d]', () => {
    expect(backoffDelay(0, ld, () => 0.999999)).toBe(501);
    expect(backoffDelay(5, ld, () => 0.5)).toBe(22500);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(2, ld);
      expect(d).toBeGreaterThan(2000);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });
});

describe('RetryDelay', () => {
  it('starts the backoff over once the connection had been good for the reset interval', () => {
    const delays = new RetryDelay({ ...ld, jitterRatio: 0, resetIntervalMs: 60_000 });
    expect([delays.next(0), delays.next(1), delays.next(2)]).toEqual([1000, 2000, 4000]);
    delays.markGood(10_000);
    expect(delays.next(20_000)).toBe(8000); // good for only 10 s: keeps doubling
    delays.markGood(30_000);
    expect(delays.next(90_000)).toBe(1000); // good for 60 s: starts over
  });
});

describe('withRetries', () => {
  const fast = { initialDelayMs: 1, maxDelayMs: 2 };

  it('retries recoverable failures until one succeeds', async () => {
    const seen: number[] = [];
    const result = await withRetries(
      async (attempt) => {
        seen.push(attempt);
        if (attempt === 1) throw new HttpStatusError(503, true, 'http://x/');
        if (attempt === 2) throw new NetworkError('refused', 'http://x/', false);
        return 'ok';
      },
      { ...fast, attempts: 5 },
    );
    expect(result).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('does not retry final failures (401, bad payload)', async () => {
    for (const failure of [new HttpStatusError(401, false, 'http://x/'), new PayloadError('w', 'bad')]) {
      let calls = 0;
      await expect(
        withRetries(async () => {
          calls++;
          throw failure;
        }, fast),
      ).rejects.toBe(failure);
      expect(calls).toBe(1);
    }
  });

  it('gives up after the attempts with the last failure, telling onRetry about each retry', async () => {
    const retried: number[] = [];
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls++;
          throw new HttpStatusError(429, true, `http://x/${calls}`);
        },
        { ...fast, attempts: 3, onRetry: (_err, attempt) => retried.push(attempt) },
      ),
    ).rejects.toMatchObject({ status: 429, url: 'http://x/3' });
    expect(calls).toBe(3);
    expect(retried).toEqual([1, 2]);
  });

  it('stops waiting when the signal aborts, rejecting with the last failure', async () => {
    const controller = new AbortController();
    let calls = 0;
    const failure = new HttpStatusError(500, true, 'http://x/');
    const run = withRetries(
      async () => {
        calls++;
        throw failure;
      },
      { attempts: 10, initialDelayMs: 60_000, maxDelayMs: 60_000, signal: controller.signal, onRetry: () => controller.abort() },
    );
    await expect(run).rejects.toBe(failure);
    expect(calls).toBe(1);
  });
});
