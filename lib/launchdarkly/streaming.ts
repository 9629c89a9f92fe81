// The streaming client: holds LaunchDarkly's server-side stream (`GET {streamUri}/all`, SSE) for one session
// and hands each put/patch/delete to the caller, strictly one at a time and in the order received.
//
// It follows LaunchDarkly's SDKs: their headers, their reconnect rules (1 s doubling to 30 s, jitter 0.5,
// backoff reset after 60 s of good stream, 5 min read timeout), their error rule (4xx other than 400/408/429
// is final: a 401 ends the session at once instead of hammering LaunchDarkly with a rejected key), and the
// contract tests' rule for bad data (a malformed or ill-shaped event drops the connection and reconnects, so
// the next `put` brings a consistent state; unknown events are ignored).
//
// A session ends when `signal` aborts (the Lambda deadline), when `durationMs` elapses, on a final HTTP error,
// or when applying an event fails (a store write that could not be made: carrying on would leave the table
// behind the stream without anyone knowing). Ending stops reading and closes the connection, then waits for
// the event being applied and those already received, so nothing received is half-applied when it resolves.
//
// The session sees launchdarkly-eventsource only through the small SseConnection interface of
// sse-connection.ts, the one module that imports it. The library is used for one connection attempt at a time: the session
// makes every reconnect itself (so a server's `retry: 0` cannot set the pace), and every request the library
// makes goes through transport.ts's StreamGuard (certificates verified, redirects only to the same https
// origin, events capped in size). Received events wait in an EventQueue that stays bounded while the store
// is slow.
import { type Logger, silentLogger } from '../util/logger.js';
import { unknownOption } from '../util/options.js';
import { HttpStatusError, LaunchDarklyError, isHttpRecoverable, redactUrl } from './errors.js';
import { RetryDelay } from './backoff.js';
import { EventQueue } from './event-queue.js';
import { STREAM_EVENT_NAMES, parseStreamEvent, type StreamEvent } from './parse.js';
import { checkClientOptions, checkPositive, endpointUrl, ldHeaders } from './request.js';
import { openEventSource, type SseConnection, type SseFailure } from './sse-connection.js';
import { MAX_PAYLOAD_BYTES } from './transport.js';

/** debug/info/warn/error taking a message: LaunchDarkly's LDLogger and Powertools' Logger both fit. */

export interface StreamRetryOptions {
  /** First reconnect delay. Default 1000 ms. */
  initialDelayMs: number;
  /** Cap on the doubling delay. Default 30000 ms. */
  maxDelayMs: number;
  /** Share of a delay jitter may subtract. Default 0.5. */
  jitterRatio: number;
  /** After this long receiving data, the next failure starts the backoff over. Default 60000 ms. */
  resetIntervalMs: number;
  /** Reconnect when nothing (not even a heartbeat comment) arrives for this long. Default 300000 ms. */
  readTimeoutMs: number;
}

export const DEFAULT_STREAM_RETRY: Readonly<StreamRetryOptions> = Object.freeze({
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  jitterRatio: 0.5,
  resetIntervalMs: 60_000,
  readTimeoutMs: 300_000,
});

export interface StreamSessionOptions {
  /** The environment's server-side SDK key, sent raw in the Authorization header; never logged. */
  sdkKey: string;
  /** Default for LaunchDarkly: https://stream.launchdarkly.com (or a Relay Proxy's URL). */
  streamUri: string;
  /** Applies one event; the next is not handed over until it settles. A rejection ends the session. */
  onEvent: (event: StreamEvent) => Promise<void>;
  /** Ends the session (e.g. shortly before the Lambda deadline). */
  signal?: AbortSignal;
  /** Ends the session after this long. */
  durationMs?: number;
  logger?: Logger;
  retry?: Partial<StreamRetryOptions>;
  /** A payload filter key, sent as `?filter=`. */
  filter?: string;
  userAgent?: string;
  /**
   * The largest event (a `put` is the whole data set) accepted; a larger one ends the session with
   * EventTooLargeError. Default MAX_PAYLOAD_BYTES (64 MiB).
   */
  maxEventBytes?: number;
}

export interface StreamSessionResult {
  /** Events applied (onEvent resolved). */
  events: number;
  /** Reconnections after a dropped or failed connection, a read timeout or a bad event. */
  reconnects: number;
  endedBy: 'signal' | 'duration' | 'error';
  /** Why the session ended, when endedBy is 'error': an HttpStatusError, or the error onEvent rejected with. */
  error?: Error;
}

const KNOWN_OPTIONS = [
  'sdkKey',
  'streamUri',
  'onEvent',
  'signal',
  'durationMs',
  'logger',
  'retry',
  'filter',
  'userAgent',
  'maxEventBytes',
] as const;

/** What one session is given besides where to connect: the consumer of events and when to stop. */
export type StreamSessionHooks = Pick<StreamSessionOptions, 'onEvent' | 'signal' | 'durationMs' | 'logger'>;
/** Where and how to connect: everything of a session but its hooks. */
export type StreamingClientOptions = Omit<StreamSessionOptions, keyof StreamSessionHooks>;

/**
 * A stream source bound to one environment's SDK key and URI, as PollingClient is for polling: the sync core
 * takes it through the narrow `Streamer` interface (lib/sync/types.ts), so a test can put another in its place.
 * Each `session()` is one runStreamSession.
 */
export class StreamingClient {
  constructor(private readonly options: StreamingClientOptions) {}

  session(hooks: StreamSessionHooks): Promise<StreamSessionResult> {
    return runStreamSession({ ...this.options, ...hooks });
  }
}

/** Holds one stream session; see the module comment. Never rejects: failures end the session with endedBy 'error'. */
export function runStreamSession(options: StreamSessionOptions): Promise<StreamSessionResult> {
  const retry = checkOptions(options);
  return new Promise((resolve) => new StreamSession(options, retry, resolve).start());
}

function checkOptions(options: StreamSessionOptions): StreamRetryOptions {
  const where = 'runStreamSession';
  checkClientOptions(where, options as unknown as Record<string, unknown>, KNOWN_OPTIONS, 'streamUri');
  if (typeof options.onEvent !== 'function') throw new LaunchDarklyError(`${where}: "onEvent" must be a function`);
  if (options.durationMs !== undefined) checkPositive(where, 'durationMs', options.durationMs);
  if (options.maxEventBytes !== undefined) checkPositive(where, 'maxEventBytes', options.maxEventBytes, 'bytes');
  const retry = { ...DEFAULT_STREAM_RETRY };
  const unknown = unknownOption(options.retry ?? {}, Object.keys(DEFAULT_STREAM_RETRY), 'retry.');
  if (unknown !== undefined) throw new LaunchDarklyError(`${where}: ${unknown}`);
  for (const [name, value] of Object.entries(options.retry ?? {})) {
    if (value === undefined) continue;
    if (name === 'jitterRatio') {
      if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
        throw new LaunchDarklyError(`${where}: "retry.jitterRatio" must be a number from 0 to 1, got ${JSON.stringify(value)}`);
      }
    } else {
      checkPositive(where, `retry.${name}`, value);
    }
    retry[name as keyof StreamRetryOptions] = value;
  }
  return retry;
}

// ---- The session ----

class StreamSession {
  private state: 'running' | 'stopping' | 'done' = 'running';
  private endedBy: StreamSessionResult['endedBy'] = 'signal';
  private error: Error | undefined;
  /** Bounded while the store is slow: a put supersedes what is queued, same-key events collapse (event-queue.ts). */
  private readonly queue = new EventQueue();
  private applying = false;
  private applied = 0;
  private reconnects = 0;
  /** Bumped whenever a connection is dropped, so late callbacks from it are ignored. */
  private generation = 0;
  private connection: SseConnection | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly logger: Logger;
  /** Backoff for every reconnect (the session makes them all; see openEventSource). */
  private readonly retryDelay: RetryDelay;
  private readonly onAbort = () => this.finish('signal');

  constructor(
    private readonly options: StreamSessionOptions,
    private readonly retry: StreamRetryOptions,
    private readonly resolve: (result: StreamSessionResult) => void,
  ) {
    this.url = endpointUrl(options.streamUri, '/all', options.filter);
    this.headers = ldHeaders(options.sdkKey, options.userAgent);
    this.logger = options.logger ?? silentLogger;
    this.retryDelay = new RetryDelay({
      initialDelayMs: retry.initialDelayMs,
      maxDelayMs: retry.maxDelayMs,
      jitterRatio: retry.jitterRatio,
      resetIntervalMs: retry.resetIntervalMs,
    });
  }

  start(): void {
    const { signal, durationMs } = this.options;
    if (signal?.aborted) return this.finish('signal');
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (durationMs !== undefined) this.durationTimer = setTimeout(() => this.finish('duration'), durationMs);
    this.connect();
  }

  private connect(): void {
    const generation = ++this.generation;
    const live = () => generation === this.generation && this.state === 'running';
    const shownUrl = redactUrl(this.url);
    this.logger.debug(`stream: connecting to ${shownUrl}`);
    this.connection = openEventSource(
      this.url,
      this.headers,
      this.retry,
      this.options.maxEventBytes ?? MAX_PAYLOAD_BYTES,
      STREAM_EVENT_NAMES,
      {
        onOpen: (headers) => {
          if (!live()) return;
          const env = headers['x-ld-envid'];
          this.logger.info(`stream: connected to ${shownUrl}${typeof env === 'string' ? ` (environment ${env})` : ''}`);
        },
        onMessage: (eventName, data) => {
          if (live()) this.receive(eventName, data);
        },
        onFailure: (failure) => {
          if (live()) this.connectionFailed(failure);
        },
      },
    );
  }

  private receive(eventName: string, data: string): void {
    let event: StreamEvent | undefined;
    try {
      event = parseStreamEvent(eventName, data);
    } catch (err) {
      // A bad event means this connection's state can no longer be trusted: start over with a fresh put.
      this.logger.warn(`stream: ${(err as Error).message}; dropping the connection and reconnecting`);
      this.reconnectLater();
      return;
    }
    if (event === undefined) {
      this.logger.debug(`stream: ignored a ${eventName} event for a path this store does not keep`);
      return;
    }
    this.retryDelay.markGood();
    this.logger.debug(`stream: received ${describeEvent(event)}`);
    this.queue.push(event);
    void this.applyQueued();
  }

  /** Drops the connection and opens a new one after the backoff delay (the server's `retry:` field is not honoured). */
  private reconnectLater(): void {
    this.dropConnection();
    const delay = this.retryDelay.next();
    this.reconnects++;
    this.logger.info(`stream: reconnecting in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.state === 'running') this.connect();
    }, delay);
  }

  private connectionFailed(failure: SseFailure): void {
    if (failure.refusal) {
      // A redirect elsewhere or an oversized event: retrying would only repeat it.
      this.logger.error(`stream: ${failure.refusal.message}; ending the session`);
      return this.finish('error', failure.refusal);
    }
    if (failure.status === undefined) {
      this.logger.warn(`stream: ${failure.message}; will reconnect`);
      return this.reconnectLater();
    }
    const recoverable = isHttpRecoverable(failure.status);
    const err = new HttpStatusError(failure.status, recoverable, this.url);
    if (recoverable) {
      this.logger.warn(`stream: ${err.message}; will reconnect`);
      return this.reconnectLater();
    }
    this.logger.error(`stream: ${err.message}; ending the session`);
    this.finish('error', err);
  }

  /** Applies queued events one at a time, in order. Only one loop runs at a time. */
  private async applyQueued(): Promise<void> {
    if (this.applying) return;
    this.applying = true;
    while (this.queue.length > 0) {
      const event = this.queue.shift()!;
      try {
        await this.options.onEvent(event);
        this.applied++;
      } catch (err) {
        const error = err instanceof Error ? err : new LaunchDarklyError(`applying a stream event failed: ${String(err)}`, { cause: err });
        this.logger.error(`stream: applying ${describeEvent(event)} failed (${error.name}: ${error.message}); ending the session`);
        this.finish('error', error, { dropQueued: true });
        break;
      }
    }
    this.applying = false;
    if (this.state === 'stopping') this.settle();
  }

  private finish(endedBy: StreamSessionResult['endedBy'], error?: Error, opts: { dropQueued?: boolean } = {}): void {
    if (this.state === 'done') return;
    if (opts.dropQueued) this.queue.clear();
    if (this.state === 'stopping') {
      // Already ending (e.g. on the signal) when a write failed: the failure must not be reported as a clean end.
      if (error && !this.error) {
        this.endedBy = 'error';
        this.error = error;
      }
      return;
    }
    this.state = 'stopping';
    this.endedBy = endedBy;
    this.error = error;
    clearTimeout(this.durationTimer);
    clearTimeout(this.reconnectTimer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.dropConnection();
    if (this.queue.length > 0 || this.applying) {
      this.logger.debug(`stream: session ending (${endedBy}); finishing the event being applied and ${this.queue.length} queued`);
    }
    if (!this.applying) this.settle();
  }

  private dropConnection(): void {
    this.generation++;
    const connection = this.connection;
    this.connection = undefined;
    connection?.close();
  }

  private settle(): void {
    if (this.state === 'done') return;
    this.state = 'done';
    const result: StreamSessionResult = { events: this.applied, reconnects: this.reconnects, endedBy: this.endedBy };
    if (this.error) result.error = this.error;
    const superseded = this.queue.superseded ? `, ${this.queue.superseded} superseded while queued` : '';
    this.logger.info(
      `stream: session ended (${this.endedBy}) after ${this.applied} event(s) applied${superseded} and ${this.reconnects} reconnect(s)`,
    );
    this.resolve(result);
  }
}

function describeEvent(event: StreamEvent): string {
  const noun = (kind: string) => (kind === 'features' ? 'flag' : 'segment');
  switch (event.type) {
    case 'put':
      return `put of ${Object.keys(event.data.flags).length} flag(s) and ${Object.keys(event.data.segments).length} segment(s)`;
    case 'patch':
      return `patch of ${noun(event.kind)} ${JSON.stringify(event.item.key)} version ${event.item.version}`;
    case 'delete':
      return `delete of ${noun(event.kind)} ${JSON.stringify(event.key)} version ${event.version}`;
  }
}
