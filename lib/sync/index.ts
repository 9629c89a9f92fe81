// The sync core: applies LaunchDarkly data (a poll, a stream session, a file) to a flag store. It knows
// nothing of Lambda, the CLI or environment variables; the handlers in functions/ and the CLI in lib/cli wire
// it to LaunchDarkly, DynamoDB and their configuration.
export { runPollSync, runFileSync, type PollSyncOptions, type PollRetryOptions, type FileSyncOptions } from './poll.js';
export { runStreamSync, type StreamSyncOptions } from './stream.js';
export { parseEnvironments, selectEnvironments, type EnvironmentConfig } from './environments.js';
export { SyncError, EnvironmentConfigError, NoDataError } from './errors.js';
export type { ItemCounts, SyncReport, StreamSyncReport, SyncProgress, SyncSource, SyncStore, Poller, Streamer } from './types.js';
