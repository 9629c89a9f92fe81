// Retry delays as LaunchDarkly's SDKs compute them (launchdarkly-eventsource's retry-delay rules): the delay
// doubles from an initial value up to a cap, jitter subtracts up to `jitterRatio` of it, and the count starts
// over once the connection had been good for `resetIntervalMs`. Also `withRetries`, for callers of the
// polling client that want a few quick retries of recoverable failures within one run.
import { sleep } from '../util/sleep.js';
import { isRecoverable } from './errors.js';

export interface BackoffOptions {
  /** First delay, in ms. LaunchDarkly: 1000. */
  initialDelayMs: number;
  /** Cap on the doubled delay, in ms. LaunchDarkly: 30000. */
  maxDelayMs: number;
  /** Share of the delay that jitter may subtract, 0..1. LaunchDarkly: 0.5, so a delay lands in (d/2, d]. */
  jitterRatio?: number;
}

/** The delay before retry number `retryCount` (0 for the first retry). */
export function backoffDelay(retryCount: number, options: BackoffOptions, random: () => number = Math.random): number {
  const { initialDelayMs, maxDelayMs, jitterRatio = 0.5 } = options;
  const delay = Math.min(initialDelayMs * 2 ** Math.max(0, retryCount), maxDelayMs);
  return delay - Math.trunc(random() * jitterRatio * delay);
}

/**
 * Successive retry delays with LaunchDarkly's reset rule: call `markGood()` whenever data arrives, and
 * `next()` on each failure; the backoff starts over if the last good moment was `resetIntervalMs` or more
 * before the failure.
 */
export class RetryDelay {
  private retryCount = 0;
  private goodSince: number | undefined;

  constructor(private readonly options: BackoffOptions & { resetIntervalMs?: number }) {}

  markGood(now = Date.now()): void {
    this.goodSince = now;
  }

  next(now = Date.now()): number {
    const reset = this.options.resetIntervalMs;
    if (this.goodSince !== undefined && reset !== undefined && now - this.goodSince >= reset) this.retryCount = 0;
    this.goodSince = undefined;
    return backoffDelay(this.retryCount++, this.options);
  }
}

export interface WithRetriesOptions {
  /** Total attempts, the first one included. Default 3. */
  attempts?: number;
  /** Default 1000 ms. */
  initialDelayMs?: number;
  /** Default 30000 ms. */
  maxDelayMs?: number;
  jitterRatio?: number;
  /** Stops waiting for the next attempt; the last failure is then thrown. */
  signal?: AbortSignal;
  /** Which failures to retry. Default: recoverable HTTP statuses and network errors (isRecoverable). */
  shouldRetry?: (err: unknown) => boolean;
  /** Told about each failure that will be retried, e.g. to log it. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `fn` until it succeeds, a failure is not worth retrying, `attempts` are used up or `signal` aborts;
 * rejects with the last failure. `fn` receives the attempt number, starting at 1.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, options: WithRetriesOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 3;
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new RangeError(`withRetries: "attempts" must be an integer of at least 1, got ${attempts}`);
  const backoff: BackoffOptions = {
    initialDelayMs: options.initialDelayMs ?? 1000,
    maxDelayMs: options.maxDelayMs ?? 30_000,
    jitterRatio: options.jitterRatio ?? 0.5,
  };
  const shouldRetry = options.shouldRetry ?? isRecoverable;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || !shouldRetry(err) || options.signal?.aborted) throw err;
      const delay = backoffDelay(attempt - 1, backoff);
      options.onRetry?.(err, attempt, delay);
      if (!(await sleep(delay, options.signal))) throw err;
    }
  }
}
