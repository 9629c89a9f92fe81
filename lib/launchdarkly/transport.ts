// How every connection to LaunchDarkly is made, so that the SDK key goes only where it was configured to go
// and no answer can take more memory than we allow:
// - certificates are verified (Node's default CA list, which includes NODE_EXTRA_CA_CERTS for private CAs);
// - redirects are followed only to the same origin, only for https (or a loopback http origin), at most
//   MAX_REDIRECTS hops; anything else is a RedirectRefusedError, raised before the target is contacted;
// - a poll body is read with a byte limit (checked on Content-Length first, then on the decoded bytes, which
//   also caps gzip inflation), and a stream is cut when one event grows past the limit.
//
// Polling uses Node's fetch with `redirect: 'manual'`. The stream client (launchdarkly-eventsource) has no
// hooks for any of this: it turns TLS verification off unless told otherwise and follows 301/307 anywhere,
// with our headers, without limit. So the stream gets StreamGuard, an agent-like object (Node's documented
// `agent` option: anything with addRequest) through which every request of the library passes. It sees each
// redirect before the library does, vets it, and removes the Location of one it refuses (the library then
// reports a failed attempt instead of reconnecting); it refuses any request to another origin outright; and it
// counts the bytes of each event as the library receives them.
import * as http from 'node:http';
import * as https from 'node:https';
import { EventTooLargeError, RedirectRefusedError, ResponseTooLargeError } from './errors.js';
import { isLoopbackHost } from './service-uri.js';

/**
 * The largest full data set accepted (a poll body after gzip decoding, a stream `put`, any one stream event):
 * 64 MiB. LaunchDarkly's largest environments send a few MB (thousands of flags, segments with tens of
 * thousands of targets); this leaves an order of magnitude of room and still fits a 512 MB Lambda, which
 * needs about four times a payload's size to parse and write it.
 */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;
/** Redirect hops followed, each to the same origin; LaunchDarkly does not redirect its SDK endpoints at all. */
export const MAX_REDIRECTS = 3;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** `scheme://host:port` with the default port made explicit, so equal origins compare equal. */
function originOf(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.protocol}//${url.hostname.toLowerCase()}:${port}`;
}

/** Why a redirect from `from` to `location` must not be followed, or undefined when it may. */
export function redirectProblem(from: URL, location: URL, hops: number): string | undefined {
  if (location.protocol !== 'https:' && !(location.protocol === 'http:' && isLoopbackHost(location.hostname))) {
    return `not https: the SDK key is never sent over ${location.protocol.replace(':', '')}`;
  }
  if (originOf(location) !== originOf(from)) return 'another origin than the configured one';
  if (hops >= MAX_REDIRECTS) return `more than ${MAX_REDIRECTS} redirects`;
  return undefined;
}

export interface VerifiedFetchOptions {
  headers: Record<string, string>;
  signal: AbortSignal;
  /** Body limit after decoding. Default MAX_PAYLOAD_BYTES. */
  maxBytes?: number;
}

export interface VerifiedResponse {
  status: number;
  headers: Headers;
  /** Read only for 2xx answers; other bodies are discarded. */
  body?: string;
}

/**
 * A GET through Node's fetch (certificates verified by default), following redirects only as
 * redirectProblem allows, with the body read under a byte limit. Throws RedirectRefusedError,
 * ResponseTooLargeError, or fetch's own errors (network failures, aborts).
 */
export async function fetchVerified(url: string, options: VerifiedFetchOptions): Promise<VerifiedResponse> {
  let current = new URL(url);
  for (let hops = 0; ; hops++) {
    const res = await fetch(current, { method: 'GET', headers: options.headers, signal: options.signal, redirect: 'manual' });
    if (REDIRECT_STATUSES.has(res.status)) {
      await res.body?.cancel();
      const raw = res.headers.get('location');
      const location = raw === null ? undefined : URL.canParse(raw, current.href) ? new URL(raw, current) : undefined;
      if (!location) throw new RedirectRefusedError(current.href, String(raw), raw === null ? 'no Location header' : 'an invalid Location');
      const problem = redirectProblem(new URL(url), location, hops);
      if (problem) throw new RedirectRefusedError(current.href, location.href, problem);
      current = location;
      continue;
    }
    if (res.status < 200 || res.status > 299) {
      await res.body?.cancel();
      return { status: res.status, headers: res.headers };
    }
    return { status: res.status, headers: res.headers, body: await readCapped(res, current.href, options.maxBytes ?? MAX_PAYLOAD_BYTES) };
  }
}

/** Reads a body as UTF-8, refusing it past `limit` bytes: on Content-Length before reading, else while reading. */
async function readCapped(res: Response, url: string, limit: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  // Content-Length is the size on the wire; for a gzip body the decoded size is checked while reading.
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel();
    throw new ResponseTooLargeError(url, limit, declared, 'Content-Length');
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new ResponseTooLargeError(url, limit, total);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

/**
 * Counts the bytes of the current SSE event (everything since the last blank line, so one endless line and
 * an endless run of `data:` lines alike) and says when it passes the limit.
 */
export class SseEventSizeCounter {
  private eventBytes = 0;
  private lineBytes = 0;
  /** The last byte seen was a "\r": a "\n" right after it belongs to the same line end. */
  private afterCr = false;
  private exceeded = false;

  constructor(private readonly limit: number) {}

  /** Takes the next chunk of the stream; false once an event has gone over the limit. */
  add(chunk: Uint8Array): boolean {
    let pos = 0;
    while (pos < chunk.length && !this.exceeded) {
      const end = nextLineEnd(chunk, pos);
      const bytes = (end === -1 ? chunk.length : end) - pos;
      if (bytes > 0) this.afterCr = false;
      this.lineBytes += bytes;
      this.eventBytes += bytes;
      if (this.eventBytes > this.limit) this.exceeded = true;
      if (end === -1) break;
      const isCr = chunk[end] === 0x0d;
      if (!isCr && this.afterCr) {
        this.afterCr = false;
      } else {
        // A line ended; an empty one ends the event.
        if (this.lineBytes === 0) this.eventBytes = 0;
        this.lineBytes = 0;
        this.afterCr = isCr;
      }
      pos = end + 1;
    }
    return !this.exceeded;
  }
}

function nextLineEnd(chunk: Uint8Array, from: number): number {
  const lf = chunk.indexOf(0x0a, from);
  const cr = chunk.indexOf(0x0d, from);
  if (lf === -1) return cr;
  if (cr === -1) return lf;
  return Math.min(lf, cr);
}

/**
 * The agent-like guard every request of one stream connection goes through (see the module comment). One
 * per EventSource; `refusal()` tells why the guard cut a connection, so the session can end with that error.
 */
export class StreamGuard {
  /** Read by Node's ClientRequest: no keep-alive (a stream holds its connection; a new one per attempt). */
  readonly keepAlive = false;
  readonly defaultPort: number;
  private readonly configured: URL;
  private readonly inner: http.Agent;
  private hops = 0;
  private refused: Error | undefined;

  constructor(
    url: string,
    private readonly maxEventBytes = MAX_PAYLOAD_BYTES,
  ) {
    this.configured = new URL(url);
    const secure = this.configured.protocol === 'https:';
    this.defaultPort = secure ? 443 : 80;
    // Agent options override the request's, so the library's `rejectUnauthorized: false` cannot win.
    this.inner = secure ? new https.Agent({ keepAlive: false, rejectUnauthorized: true }) : new http.Agent({ keepAlive: false });
  }

  /** Why the guard cut the connection (a refused redirect or request, an event over the limit), once. */
  takeRefusal(): Error | undefined {
    const err = this.refused;
    this.refused = undefined;
    return err;
  }

  /** Called by Node for each request made with this agent, before any connection is opened. */
  addRequest(req: http.ClientRequest, options: http.RequestOptions): void {
    const target = requestUrl(options);
    if (originOf(target) !== originOf(this.configured) || (target.protocol !== 'https:' && !isLoopbackHost(target.hostname))) {
      this.refused ??= new RedirectRefusedError(this.configured.href, target.href, 'another origin than the configured one');
      // As an agent reports a connection it could not make: the request fails with this error, no socket is opened.
      (req as unknown as { onSocket(socket: undefined, err: Error): void }).onSocket(undefined, this.refused);
      return;
    }
    req.prependListener('response', (res: http.IncomingMessage) => this.vetResponse(req, target, res));
    // addRequest is Node's agent interface, public but missing from @types/node.
    (this.inner as unknown as { addRequest(r: http.ClientRequest, o: http.RequestOptions): void }).addRequest(req, options);
  }

  private vetResponse(req: http.ClientRequest, target: URL, res: http.IncomingMessage): void {
    const status = res.statusCode ?? 0;
    if (status === 301 || status === 307) {
      const raw = res.headers.location;
      const location = raw !== undefined && URL.canParse(raw, target.href) ? new URL(raw, target) : undefined;
      const problem = location ? redirectProblem(this.configured, location, this.hops) : 'an invalid Location';
      if (problem || !location) {
        this.refused = new RedirectRefusedError(target.href, location?.href ?? String(raw), problem ?? 'no Location');
        // Without a Location the library reports a failed attempt instead of following it.
        delete res.headers.location;
        return;
      }
      this.hops++;
      // Absolute, so the library (which does not resolve relative Locations) reconnects where we checked.
      res.headers.location = location.href;
      return;
    }
    this.hops = 0;
    if (status !== 200) return;
    const counter = new SseEventSizeCounter(this.maxEventBytes);
    res.on('data', (chunk: Buffer) => {
      if (counter.add(chunk) || this.refused) return;
      this.refused = new EventTooLargeError(target.href, this.maxEventBytes);
      req.destroy();
    });
  }
}

function requestUrl(options: http.RequestOptions): URL {
  const protocol = options.protocol ?? 'http:';
  const host = String(options.hostname ?? options.host ?? 'localhost');
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return new URL(`${protocol}//${shownHost}:${options.port ?? (protocol === 'https:' ? 443 : 80)}${options.path ?? '/'}`);
}
