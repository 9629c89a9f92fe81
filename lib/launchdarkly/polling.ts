// The polling client: one `GET {baseUri}/sdk/latest-all` per fetchAll(), as LaunchDarkly's server SDKs
// poll. gzip is asked for (Node's fetch decodes it), the last ETag is sent back as If-None-Match so an
// unchanged environment costs a 304, and each request has a timeout. Retrying is the caller's decision:
// failures say whether they are recoverable (see errors.ts and withRetries in backoff.ts).
import type { FullDataSet } from '../store/types.js';
import { HttpStatusError, LaunchDarklyError, NetworkError, PayloadError, isHttpRecoverable, redactUrl } from './errors.js';
import { parseFullDataSet } from './parse.js';
import { checkClientOptions, endpointUrl, ldHeaders } from './request.js';

export interface PollingClientOptions {
  /** The environment's server-side SDK key, sent raw in the Authorization header. */
  sdkKey: string;
  /** Default for LaunchDarkly: https://sdk.launchdarkly.com (or a Relay Proxy's URL). */
  baseUri: string;
  /** Per request, body included. Default 10000 ms, as LaunchDarkly's SDKs. */
  timeoutMs?: number;
  /** A payload filter key, sent as `?filter=`. */
  filter?: string;
  userAgent?: string;
}

export type PollResult = { notModified: false; data: FullDataSet; etag?: string } | { notModified: true };

const KNOWN_OPTIONS = ['sdkKey', 'baseUri', 'timeoutMs', 'filter', 'userAgent'] as const;
const DEFAULT_TIMEOUT_MS = 10_000;

export class PollingClient {
  /** The request URL (no secrets in it). */
  readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private lastEtag: string | undefined;

  constructor(options: PollingClientOptions) {
    checkClientOptions('PollingClient', options as unknown as Record<string, unknown>, KNOWN_OPTIONS, 'baseUri');
    this.url = endpointUrl(options.baseUri, '/sdk/latest-all', options.filter);
    this.headers = { ...ldHeaders(options.sdkKey, options.userAgent), 'Accept-Encoding': 'gzip' };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The ETag of the last data set returned, sent as If-None-Match on the next request. */
  get etag(): string | undefined {
    return this.lastEtag;
  }

  /**
   * Forgets the ETag, so the next fetchAll() gets the full body even if nothing changed. Call it when the
   * data a fetch returned could not be applied: otherwise the next poll answers 304 and it never would be.
   */
  forgetEtag(): void {
    this.lastEtag = undefined;
  }

  /**
   * Fetches the full data set, or `{notModified: true}` when it has not changed since the last one returned.
   * Throws HttpStatusError (with `recoverable`), NetworkError (no answer, or timed out) or PayloadError.
   * An abort of `signal` rejects with the signal's reason.
   */
  async fetchAll(options: { signal?: AbortSignal } = {}): Promise<PollResult> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const sentEtag = this.lastEtag;
    const headers = sentEtag === undefined ? this.headers : { ...this.headers, 'If-None-Match': sentEtag };
    let status: number;
    let body: string;
    let etag: string | null;
    try {
      const res = await fetch(this.url, { method: 'GET', headers, signal, redirect: 'follow' });
      status = res.status;
      etag = res.headers.get('etag');
      if (status === 304 && sentEtag !== undefined) {
        await res.body?.cancel();
        return { notModified: true };
      }
      if (status < 200 || status > 299) {
        await res.body?.cancel();
        throw new HttpStatusError(status, isHttpRecoverable(status), this.url);
      }
      body = await res.text();
    } catch (err) {
      throw this.requestFailure(err, options.signal, timeout);
    }

    let json: unknown;
    const where = `GET ${redactUrl(this.url)} response`;
    try {
      json = JSON.parse(body);
    } catch (err) {
      throw new PayloadError(where, `body is not valid JSON (${(err as Error).message})`, { cause: err });
    }
    const data = parseFullDataSet(json, where);
    // Kept only once the body proved good: an ETag for a bad body would turn every later poll into a 304.
    this.lastEtag = etag ?? undefined;
    return etag === null ? { notModified: false, data } : { notModified: false, data, etag };
  }

  private requestFailure(err: unknown, callerSignal: AbortSignal | undefined, timeout: AbortSignal): unknown {
    if (err instanceof LaunchDarklyError) return err;
    if (callerSignal?.aborted) return callerSignal.reason;
    if (timeout.aborted) {
      return new NetworkError(`GET ${redactUrl(this.url)} timed out after ${this.timeoutMs} ms`, this.url, true, { cause: err });
    }
    return new NetworkError(`GET ${redactUrl(this.url)} failed: ${networkReason(err)}`, this.url, false, { cause: err });
  }
}

/** fetch's own message is "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, …) is in its cause. */
function networkReason(err: unknown): string {
  const messages: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur instanceof Error && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    messages.push(typeof code === 'string' && !cur.message.includes(code) ? `${cur.message} (${code})` : cur.message);
    cur = cur.cause;
  }
  if (cur !== undefined && !(cur instanceof Error)) messages.push(String(cur));
  return messages.filter((m) => m !== '').join(': ') || String(err);
}
