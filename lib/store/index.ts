// The store's public entry point for writers: the DynamoDB flag store, its errors, the table layout helpers
// and the SDK feature-store factory. Consumers that only evaluate flags import `ld-dynamodb-sync/store`
// (reader.ts), which pulls in none of this.
export {
  DynamoDBFlagStore,
  SYNC_STATUS_KEY,
  type DynamoDBFlagStoreOptions,
  type InitSummary,
  type InitOptions,
  type SyncStatus,
} from './flag-store.js';
export { DynamoDBFeatureStore, type DynamoDBFeatureStoreOptions } from './feature-store.js';
export { DynamoDBBigSegmentStore, type DynamoDBBigSegmentStoreOptions } from './big-segments.js';
export type { StoreOptions, StoreBaseOptions, LDDynamoDBOptions } from './options.js';
export {
  StoreError,
  StoreOptionsError,
  ItemValidationError,
  ItemTooLargeError,
  WriteFailedError,
  PartialInitError,
  type UnwrittenItem,
} from './errors.js';
export { createFlagTable } from './table.js';
export { namespaceFor, initedKey, COMPRESSED_ATTRIBUTE, MAX_ITEM_BYTES } from './layout.js';
export type { RetryOptions, Usage } from './table-client.js';
export type { DataKindName, Flag, Segment, FullDataSet, VersionedItem, Logger, StoreLogger } from './types.js';
