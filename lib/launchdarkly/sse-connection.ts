// One SSE connection attempt to LaunchDarkly's stream, behind the small interface the stream session uses
// (streaming.ts). The only module that imports launchdarkly-eventsource: every request it makes goes through
// transport.ts's StreamGuard (certificates verified, redirects only to the same https origin, events capped).
import type { Agent } from 'node:http';
import { EventSource } from 'launchdarkly-eventsource';
import type { StreamRetryOptions } from './streaming.js';
import { StreamGuard } from './transport.js';

export interface SseFailure {
  /** The HTTP status of a failed connection attempt; undefined for I/O errors, timeouts and a stream the server ended. */
  status?: number;
  message: string;
  /** Set when the transport guard cut the connection: a refused redirect, an event over the size limit. */
  refusal?: Error;
}

export interface SseHandlers {
  onOpen(headers: Record<string, string | string[] | undefined>): void;
  onMessage(eventName: string, data: string): void;
  /** The connection failed or ended; it is closed, and the session decides whether to open another. */
  onFailure(failure: SseFailure): void;
}

export interface SseConnection {
  close(): void;
}

/**
 * One connection attempt. The library's own retrying is not used (errorFilter always says no): it would
 * honour a server's `retry: 0` and reconnect in a tight loop. The session reconnects with its own backoff.
 * TLS verification and redirects are handled by the StreamGuard agent (see transport.ts).
 */
export function openEventSource(
  url: string,
  headers: Record<string, string>,
  retry: StreamRetryOptions,
  maxEventBytes: number,
  eventNames: readonly string[],
  handlers: SseHandlers,
): SseConnection {
  const guard = new StreamGuard(url, maxEventBytes);
  const es = new EventSource(url, {
    headers,
    agent: guard as unknown as Agent,
    // The library's default is rejectUnauthorized: false; the guard's agent enforces true as well.
    https: { rejectUnauthorized: true },
    readTimeoutMillis: retry.readTimeoutMs,
    errorFilter: (failure) => {
      handlers.onFailure({
        status: failure.status,
        message: failure.type === 'end' ? 'the server ended the stream' : (failure.message ?? 'connection failed'),
        refusal: guard.takeRefusal(),
      });
      return false;
    },
  });
  es.addEventListener('open', (event) => handlers.onOpen(event.headers));
  // The library emits 'error' through an EventEmitter, which throws when nobody listens; errorFilter decides.
  es.addEventListener('error', () => {});
  for (const name of eventNames) es.addEventListener(name, (message) => handlers.onMessage(name, message.data));
  return { close: () => es.close() };
}
