// Errors the LaunchDarkly sources raise. Each has a stable `name` callers can switch on (the CLI and the
// handlers read names, not classes) and keeps the underlying error as `cause`. Messages say what was wrong,
// where and what was received; they never carry the SDK key (it travels only in the Authorization header,
// and URLs are shown without credentials).

export class LaunchDarklyError extends Error {
  override name = 'LaunchDarklyError';
}

/**
 * What every error about one request shares: the URL it went to, shown without credentials, and whether
 * retrying may help (`isRecoverable` reads it). Each subclass only words its message.
 */
export abstract class RequestError extends LaunchDarklyError {
  abstract readonly recoverable: boolean;
  readonly url: string;
  constructor(url: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.url = redactUrl(url);
  }
}

/**
 * LaunchDarkly (or a relay in front of it) answered with an HTTP status other than success.
 * `recoverable` follows LaunchDarkly's SDKs (see isHttpRecoverable): a caller should retry only then.
 */
export class HttpStatusError extends RequestError {
  override name = 'HttpStatusError';
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
    super(url, `${what}; ${recoverable ? 'recoverable, worth retrying' : 'not recoverable, not retried'}`, options);
  }
}

/** No HTTP answer at all: the connection was refused or dropped, the name did not resolve, or it timed out. Always recoverable. */
export class NetworkError extends RequestError {
  override name = 'NetworkError';
  readonly recoverable = true;
  constructor(
    message: string,
    url: string,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(url, message, options);
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
  return err instanceof RequestError && err.recoverable;
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
export class RedirectRefusedError extends RequestError {
  override name = 'RedirectRefusedError';
  readonly recoverable = false;
  constructor(
    url: string,
    readonly location: string,
    reason: string,
  ) {
    super(
      url,
      `${redactUrl(url)} redirected to ${redactUrl(location)}, which was refused (${reason}); the SDK key ` +
        `was not sent there. Point the URI at the final address`,
    );
  }
}

/** A response body (after gzip decoding) over the size this client accepts. Not recoverable. */
export class ResponseTooLargeError extends RequestError {
  override name = 'ResponseTooLargeError';
  readonly recoverable = false;
  constructor(
    url: string,
    readonly limitBytes: number,
    readonly receivedBytes: number,
    how = 'decoded',
  ) {
    super(
      url,
      `GET ${redactUrl(url)}: the response body is over the limit of ${limitBytes} bytes (${how}: ` +
        `${receivedBytes} bytes read); refused before parsing`,
    );
  }
}

/** A stream event (or a line within one) over the size the stream client accepts. Ends the stream session. */
export class EventTooLargeError extends RequestError {
  override name = 'EventTooLargeError';
  readonly recoverable = false;
  constructor(
    url: string,
    readonly limitBytes: number,
  ) {
    super(url, `${redactUrl(url)}: a stream event is over the limit of ${limitBytes} bytes without ending; the connection was dropped`);
  }
}
