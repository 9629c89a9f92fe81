// The shapes the sync core shares with its callers (the Lambda handlers and the CLI): the report of a sync,
// progress updates, and the two narrow interfaces it needs from the store and the polling client, so tests
// can put a fault between them when a real component cannot produce the fault on demand.
import type { PollResult } from '../launchdarkly/polling.js';
import type { StreamSessionHooks, StreamSessionResult } from '../launchdarkly/streaming.js';
import type { InitSummary } from '../store/writer.js';
import type { DataKindName, FullDataSet, VersionedItem } from '../model/types.js';

export type SyncSource = 'poll' | 'stream' | 'file' | 'webhook';

/** What a sync did to the table's items (flags and segments together); a store's InitSummary has these too. */
export interface ItemCounts {
  /** Items stored because they were new or had a higher version (tombstones of stream deletes excluded). */
  written: number;
  /** Items the table already had at that version. */
  unchanged: number;
  /** Items removed: rows a full data set no longer has, and tombstones written for stream deletes. */
  deleted: number;
  /** Items not written because the table had a newer version. */
  stale: number;
}

/** What one sync did. */
export interface SyncReport extends ItemCounts {
  source: SyncSource;
  /** LaunchDarkly answered 304: the data was confirmed current and nothing was written. */
  notModified: boolean;
  durationMs: number;
}

export interface StreamSyncReport extends SyncReport {
  /** Stream events applied (put, patch, delete). */
  events: number;
  /** Reconnections after a dropped connection, a failed attempt or a bad event. */
  reconnects: number;
  /** Why the session ended: the caller's signal, the duration elapsing, or an error (then it rejects). */
  endedBy: 'signal' | 'duration' | 'error';
}

/** A running total, reported as a sync goes, for progress lines. */
export interface SyncProgress extends ItemCounts {
  phase: 'fetching' | 'writing' | 'streaming' | 'done';
  events: number;
  /** Stream reconnections; known once the session has ended (phase 'done'). */
  reconnects?: number;
}

/** What the sync core needs of a store; DynamoDBFlagStore provides it. */
export interface SyncStore {
  /** `snapshotAt`: when the data set was requested from LaunchDarkly (orders racing full syncs; write-rules.md rule 5). */
  init(data: FullDataSet, options?: { snapshotAt?: number }): Promise<InitSummary>;
  upsert(kind: DataKindName, item: VersionedItem): Promise<boolean>;
  delete(kind: DataKindName, key: string, version: number): Promise<boolean>;
  recordSync(record: { source: string; at?: Date; summary?: object }): Promise<void>;
}

/** What the sync core needs of a streaming client; StreamingClient provides it. */
export interface Streamer {
  /** One session: events handed to `onEvent` one at a time until the signal, the duration or an error ends it. */
  session(hooks: StreamSessionHooks): Promise<StreamSessionResult>;
}

/** What the sync core needs of a polling client; PollingClient provides it. */
export interface Poller {
  fetchAll(options?: { signal?: AbortSignal }): Promise<PollResult>;
  /** Makes the next fetch return the full body even if unchanged (after a failed apply). */
  forgetEtag?(): void;
}
