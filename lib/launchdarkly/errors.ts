// Errors the LaunchDarkly sources raise. Each has a stable `name` callers can switch on (the CLI and the
// handlers read names, not classes) and keeps the underlying error as `cause`. Messages say what was wrong,
// where and what was received; they never carry the SDK key (it travels only in the Authorization header,
// and URLs are shown without credentials).

export class LaunchDarklyError extends Error {
  override name = 'LaunchDarklyError';
}

/**
 * LaunchDarkly (or a relay in front of it) answered with an HTTP status other than success.
 * `recoverable` follows LaunchDarkly's SDKs (see isHttpRecoverable): a caller should retry only then.
 */
export class HttpStatusError extends LaunchDarklyError {
  override name = 'HttpStatusError';
  readonly url: string;
  constructor(
    readonly status: number,
    readonly recoverable: boolean,
    url: string,
    options?: { cause?: unknown; method?: string },
  ) {
    const shown = redactUrl(url);
    const request = `${options?.method ?? 'GET'} ${shown}`;
    const meaning = STATUS_MEANINGS[status];
    const what =
      status === 401 || status === 403
        ? `LaunchDarkly rejected the SDK key (HTTP ${status}) for ${request}; check that it is the server-side SDK key of the environment`
        : `LaunchDarkly answered HTTP ${status}${meaning ? ` (${meaning})` : ''} for ${request}`;
    super(`${what}; ${recoverable ? 'recoverable, worth retrying' : 'not recoverable, not retried'}`, options);
    this.url = shown;
  }
}

/** No HTTP answer at all: the connection was refused or dropped, the name did not resolve, or it timed out. Always recoverable. */
export class NetworkError extends LaunchDarklyError {
  override name = 'NetworkError';
  readonly recoverable = true;
  readonly url: string;
  constructor(
    message: string,
    url: string,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.url = redactUrl(url);
  }
}

/**
 * A payload that is not valid JSON or does not have the shape LaunchDarkly's protocol promises.
 * `where` names the payload ("patch event", "GET https://…/sdk/latest-all response", "data file x.json"),
 * `problem` what was wrong in it; the message is `${where}: ${problem}`.
 */
export class PayloadError extends LaunchDarklyError {
  override name = 'PayloadError';
  constructor(
    readonly where: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${where}: ${problem}`, options);
  }
}

/**
 * Whether an HTTP error status is worth retrying, by LaunchDarkly's SDK rule: every 4xx is final (a bad or
 * revoked SDK key, a wrong URL) except 400, 408 and 429; everything else, 5xx included, is recoverable.
 */
export function isHttpRecoverable(status: number): boolean {
  if (status >= 400 && status < 500) return status === 400 || status === 408 || status === 429;
  return true;
}

/** Whether an error from a source is worth retrying: recoverable HTTP statuses and network failures. */
export function isRecoverable(err: unknown): boolean {
  if (err instanceof HttpStatusError || err instanceof NetworkError) return err.recoverable;
  return false;
}

/** A URL as it may appear in logs and errors: without user-info credentials. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

const STATUS_MEANINGS: Record<number, string> = {
  400: 'bad request',
  404: 'not found: check the base URI',
  405: 'method not allowed',
  408: 'request timeout',
  429: 'too many requests',
  500: 'internal server error',
  502: 'bad gateway',
  503: 'service unavailable',
  504: 'gateway timeout',
};

/**
 * LaunchDarkly (or whatever answered at the configured URI) redirected to a place the SDK key must not go:
 * another origin, plain http, or more than a few hops. Not recoverable: LaunchDarkly does not redirect its
 * SDK endpoints, so this is a misconfigured URI or someone in the path, and retrying would not change it.
 * The key was not sent to the redirect target.
 */
export class RedirectRefusedError extends LaunchDarklyError {
  override name = 'RedirectRefusedError';
  readonly recoverable = false;
  readonly url: string;
  constructor(
    url: string,
    readonly location: string,
    reason: string,
  ) {
    super(
      `${redactUrl(url)} redirected to ${redactUrl(location)}, which was refused (${reason}); the SDK key ` +
        `was not sent there. Point the URI at the final address`,
    );
    this.url = redactUrl(url);
  }
}

/** A response body (after gzip decoding) over the size this client accepts. Not recoverable. */
export class ResponseTooLargeError extends LaunchDarklyError {
  override name = 'ResponseTooLargeError';
  readonly recoverable = false;
  readonly url: string;
  constructor(
    url: string,
    readonly limitBytes: number,
    readonly receivedBytes: number,
    how = 'decoded',
  ) {
    super(
      `GET ${redactUrl(url)}: the response body is over the limit of ${limitBytes} bytes (${how}: ` +
        `${receivedBytes} bytes read); refused before parsing`,
    );
    this.url = redactUrl(url);
  }
}

/** A stream event (or a line within one) over the size the stream client accepts. Ends the stream session. */
export class EventTooLargeError extends LaunchDarklyError {
  override name = 'EventTooLargeError';
  readonly recoverable = false;
  readonly url: string;
  constructor(
    url: string,
    readonly limitBytes: number,
  ) {
    super(`${redactUrl(url)}: a stream event is over the limit of ${limitBytes} bytes without ending; the connection was dropped`);
    this.url = redactUrl(url);
  }
}
