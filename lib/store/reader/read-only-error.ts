// The error the read-only store's write methods throw: flags are written by the sync, never by a consumer.
/** Thrown by the write methods (init, upsert, delete): this store only reads. */
export class ReadOnlyStoreError extends Error {
  override name = 'ReadOnlyStoreError';
  constructor(
    readonly method: string,
    readonly tableName: string,
    readonly prefix: string | undefined,
  ) {
    super(
      `ReadOnlyDynamoDBFeatureStore.${method}() was called for table "${tableName}"${prefix ? ` (prefix "${prefix}")` : ''}, ` +
        'but this store is read-only: flags are written by ld-dynamodb-sync. ' +
        'Configure the SDK with useLdd: true so it never writes to its feature store.',
    );
  }
}
