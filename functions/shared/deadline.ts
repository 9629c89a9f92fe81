// The current invocation's deadline, and a DynamoDB request handler that never outlives it. The AWS SDK's HTTP
// handler has no request timeout by default: a DynamoDB request that hangs (a half-open connection, a stalled
// endpoint) would hold the function until Lambda kills it, mid-write and without a log line. Every request here
// gets a timeout derived from the time the invocation has left (context.getRemainingTimeInMillis), less a
// margin for the handler to log, publish metrics and return; capped so a retry still fits. The SDK retries a
// timed-out request like any transient failure, within the same deadline.
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Context } from 'aws-lambda';

/** Time kept back from every request for the handler to wind down (log, metrics, return). */
export const DEADLINE_MARGIN_MS = 1_000;
/** No single DynamoDB request may take longer than this, whatever time is left: the SDK's retry gets the rest. */
export const MAX_REQUEST_MS = 10_000;
/** Opening a connection to DynamoDB; a healthy endpoint answers in milliseconds. */
export const CONNECTION_TIMEOUT_MS = 3_000;

/** Thrown instead of sending a request when the invocation has no time left for it. */
export class DeadlineExceededError extends Error {
  override name = 'DeadlineExceededError';
}

/** The deadline of the invocation under way; unset outside one (a cold start's own requests, tests). */
export class InvocationDeadline {
  private remaining: (() => number) | undefined;

  /** Called by the middy wrapper at the start of every invocation. */
  arm(context: Pick<Context, 'getRemainingTimeInMillis'>): void {
    this.remaining = typeof context?.getRemainingTimeInMillis === 'function' ? () => context.getRemainingTimeInMillis() : undefined;
  }

  /** Milliseconds left before the Lambda deadline, or undefined outside an invocation. */
  remainingMs(): number | undefined {
    return this.remaining?.();
  }

  /** How long the next request may take: the time left less the margin, at most `cap`. */
  requestBudgetMs(cap = MAX_REQUEST_MS): number {
    const left = this.remainingMs();
    if (left === undefined) return cap;
    return Math.min(cap, left - DEADLINE_MARGIN_MS);
  }
}

/** One per function: the wrapper arms it, the runtime's clients read it. */
export const invocationDeadline = new InvocationDeadline();

/**
 * NodeHttpHandler with a per-request deadline: the socket timeout and an abort signal both end the request
 * when the invocation's budget is spent, so it fails with a named error the handler can log and count.
 */
export class DeadlineHttpHandler extends NodeHttpHandler {
  constructor(
    private readonly deadline: InvocationDeadline,
    private readonly what: string,
  ) {
    super({ connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: MAX_REQUEST_MS });
  }

  override async handle(...[request, options = {}]: Parameters<NodeHttpHandler['handle']>): ReturnType<NodeHttpHandler['handle']> {
    const budget = this.deadline.requestBudgetMs();
    if (budget <= 0) {
      throw new DeadlineExceededError(`No time left before the Lambda deadline for a ${this.what} request; not sent`);
    }
    const timeout = AbortSignal.timeout(budget);
    const abortSignal = options.abortSignal ? AbortSignal.any([options.abortSignal as AbortSignal, timeout]) : timeout;
    try {
      return await super.handle(request, { ...options, abortSignal, requestTimeout: budget });
    } catch (err) {
      if (!timeout.aborted) throw err;
      const message = `${this.what} request timed out after ${budget} ms (the Lambda deadline is near)`;
      throw Object.assign(new Error(message, { cause: err }), { name: 'TimeoutError' });
    }
  }
}
