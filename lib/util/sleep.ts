// Waiting that an abort ends early: one home for the timer-plus-signal dance, so a retry loop or a handler's
// pause stops as soon as its deadline says so. Dependency-free.

/** Waits `ms`; resolves true when the time is up, false at once if `signal` is or becomes aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
