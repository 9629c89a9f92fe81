// The polling client: one `GET {baseUri}/sdk/latest-all` per fetchAll(), as LaunchDarkly's server SDKs
// poll, through fetchVerified (transport.ts: certificates verified, redirects only to the same https origin,
// the body capped at 64 MiB decoded). gzip is asked for (Node's fetch decodes it), the last ETag is sent back as If-None-Match so an
// unchanged environment costs a 304, and each request has a timeout. Retrying is the caller's decision:
// failures say whether they are recoverable (see errors.ts and withRetries in backoff.ts).
import type { FullDataSet } from '../model/types.js';
import { HttpStatusError, LaunchDarklyError, NetworkError, PayloadError, isHttpRecoverable, redactUrl } from './errors.js';
import { parseFullDataSet } from './parse.js';
import { checkClientOptions, checkPositive, endpointUrl, ldHeaders } from './request.js';
import { MAX_PAYLOAD_BYTES, fetchVerified } from './transport.js';

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
  /** The largest body accepted after gzip decoding. Default MAX_PAYLOAD_BYTES (64 MiB). */
  maxBytes?: number;
}

export type PollResult = { notModified: false; data: FullDataSet; etag?: string } | { notModified: true };

const KNOWN_OPTIONS = ['sdkKey', 'baseUri', 'timeoutMs', 'filter', 'userAgent', 'maxBytes'] as const;
const DEFAULT_TIMEOUT_MS = 10_000;

export class PollingClient {
  /** The request URL (no secrets in it). */
  readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private lastEtag: string | undefined;

  constructor(options: PollingClientOptions) {
    checkClientOptions('PollingClient', options as unknown as Record<string, unknown>, KNOWN_OPTIONS, 'baseUri');
    this.url = endpointUrl(options.baseUri, '/sdk/latest-all', options.filter);
    this.headers = { ...ldHeaders(options.sdkKey, options.userAgent), 'Accept-Encoding': 'gzip' };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (options.maxBytes !== undefined) checkPositive('PollingClient', 'maxBytes', options.maxBytes, 'bytes');
    this.maxBytes = options.maxBytes ?? MAX_PAYLOAD_BYTES;
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
    let body: string;
    let etag: string | null;
    try {
      const res = await fetchVerified(this.url, { headers, signal, maxBytes: this.maxBytes });
      etag = res.headers.get('etag');
      if (res.status === 304 && sentEtag !== undefined) return { notModified: true };
      if (res.body === undefined) throw new HttpStatusError(res.status, isHttpRecoverable(res.status), this.url);
      body = res.body;
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
