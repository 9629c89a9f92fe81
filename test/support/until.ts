// Waiting in tests for something that happens asynchronously (a stream event applied, a process ready),
// by polling a condition, and failing with what was awaited rather than hanging until the test times out.

/**
 * Resolves once `predicate` holds, re-checking every 10 ms; rejects after `timeoutMs` naming `what` (a
 * function is asked at the time of failure, so it can tell what was last seen).
 */
export async function until(predicate: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
