// Wraps a handler with middy: Powertools' Lambda-context logging and metrics flushing, and the abort signal
// middy fires shortly before the deadline. The signal is the only way a handler is told to stop: middy's own
// early response would return while a write is still under way (and the function would be frozen mid-write),
// so it is replaced by one that never settles, and the invocation ends when the handler has wound down.
// Errors are handled here once, in middy's onError, not in each handler: an error leaves the function
// redacted (safeError: no secret, no cause chain), or becomes the handler's own error response.
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { invocationDeadline } from './deadline.js';
import { safeError } from './error-report.js';
import { logger, metrics, resetMetricsEnvironment } from './observability.js';

export type SignalledHandler<TEvent, TResult> = (event: TEvent, context: Context, options: { signal: AbortSignal }) => Promise<TResult>;

export interface WrapOptions<TResult> {
  /** How long before the Lambda deadline the signal fires: time for the write under way and the freshness record. */
  stopBeforeDeadlineMs: number;
  /**
   * The answer to a failed invocation (the webhook's 500), for a handler whose caller gets a response. Without it
   * the error is rethrown, redacted, to the on-failure destination and the function's error metrics.
   */
  errorResponse?: (err: unknown) => TResult;
}

export function wrapHandler<TEvent, TResult>(handler: SignalledHandler<TEvent, TResult>, options: WrapOptions<TResult>) {
  return (
    middy<TEvent, TResult>(
      async (event: TEvent, context: Context, opts: { signal: AbortSignal }) => {
        resetMetricsEnvironment();
        // Every AWS request the runtime makes from here on is bounded by this invocation's remaining time.
        invocationDeadline.arm(context);
        return handler(event, context, opts);
      },
      {
        timeoutEarlyInMillis: options.stopBeforeDeadlineMs,
        timeoutEarlyResponse: () => new Promise<never>(() => {}),
      },
    )
      // First in, so its onError runs last: Powertools' onError (metrics flush) has run before it answers.
      .use({ onError: (request) => handleError(request, options.errorResponse) })
      // Events are never logged: a webhook's is an audit-log entry with people's names and emails in it.
      .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
      .use(logMetrics(metrics, { captureColdStartMetric: true }))
  );
}

/** Answers with `errorResponse`, or swaps the error for its redacted copy, which middy then throws (with no cause). */
function handleError<TResult>(request: { error: unknown }, errorResponse?: (err: unknown) => TResult): TResult | undefined {
  if (errorResponse) return errorResponse(request.error);
  request.error = safeError(request.error);
  return undefined;
}
