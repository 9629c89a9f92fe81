// Typings for launchdarkly-eventsource 2.x, which ships none: only what lib/launchdarkly/streaming.ts uses,
// written from the package's lib/eventsource.js.
declare module 'launchdarkly-eventsource' {
  import type { EventEmitter } from 'node:events';
  import type { Agent } from 'node:http';

  /** What errorFilter and the `error` / `end` events receive: an HTTP failure has `status`, an I/O failure only `message`. */
  export interface EventSourceFailure {
    readonly type: 'error' | 'end';
    readonly status?: number;
    readonly message?: string;
    readonly headers?: Record<string, string | string[] | undefined>;
  }

  export interface EventSourceMessage {
    readonly type: string;
    readonly data: string;
    readonly lastEventId: string;
    readonly origin: string;
  }

  export interface EventSourceInitDict {
    headers?: Record<string, string>;
    /** Return true to reconnect (with backoff), false to close for good. Default: retry only 500/502/503/504 and I/O errors. */
    errorFilter?: (failure: EventSourceFailure) => boolean;
    initialRetryDelayMillis?: number;
    /** Enables exponential backoff up to this delay. */
    maxBackoffMillis?: number;
    jitterRatio?: number;
    retryResetIntervalMillis?: number;
    /** Reconnects when no data arrives for this long (socket idle timeout). */
    readTimeoutMillis?: number;
    method?: string;
    body?: string;
    skipDefaultHeaders?: boolean;
    agent?: Agent;
    proxy?: string;
    https?: Record<string, unknown>;
  }

  export class EventSource extends EventEmitter {
    constructor(url: string, eventSourceInitDict?: EventSourceInitDict);
    static readonly CONNECTING: 0;
    static readonly OPEN: 1;
    static readonly CLOSED: 2;
    readonly readyState: 0 | 1 | 2;
    readonly url: string;
    close(): void;
    addEventListener(
      type: 'open',
      listener: (event: { type: 'open'; headers: Record<string, string | string[] | undefined> }) => void,
    ): void;
    addEventListener(type: 'retrying', listener: (event: { type: 'retrying'; delayMillis: number }) => void): void;
    addEventListener(type: 'error' | 'end', listener: (event: EventSourceFailure) => void): void;
    addEventListener(type: 'closed', listener: (event: { type: 'closed' }) => void): void;
    addEventListener(type: string, listener: (event: EventSourceMessage) => void): void;
    removeEventListener(type: string, listener: (...args: never[]) => void): void;
  }
}
