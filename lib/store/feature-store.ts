// DynamoDBFeatureStore: a read-write feature store for @launchdarkly/node-server-sdk v9, a drop-in for
// LaunchDarkly's own DynamoDB store (same factory shape, same table, same caching through the SDK's
// PersistentDataStoreWrapper), backed by DynamoDBFlagStore so it gets our version guards, diff-based init,
// retries and oversize handling. Consumers that only read should use ReadOnlyFeatureStore (reader.ts).
import {
  PersistentDataStoreWrapper,
  type LDClientContext,
  type LDFeatureStore,
  type interfaces,
} from '@launchdarkly/node-server-sdk';
import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { isDataKind } from './layout.js';
import type { DataKindName, FullDataSet, StoreLogger, VersionedItem } from './types.js';
import { DynamoDBFlagStore } from './flag-store.js';

export interface DynamoDBFeatureStoreOptions {
  prefix?: string;
  /** Seconds the SDK caches items read from the table; 0 turns the cache off. Default 15, as LaunchDarkly's store. */
  cacheTTL?: number;
  client?: DynamoDBClient;
  clientConfig?: DynamoDBClientConfig;
  consistentReads?: boolean;
}

type Descriptor = interfaces.SerializedItemDescriptor;

class DynamoDBPersistentCore implements interfaces.PersistentDataStore {
  constructor(private readonly store: DynamoDBFlagStore) {}

  init(allData: interfaces.KindKeyedStore<interfaces.PersistentStoreDataKind>, callback: (err?: Error) => void): void {
    const data: FullDataSet = { flags: {}, segments: {} };
    for (const { key: kind, item: items } of allData) {
      const target = kind.namespace === 'features' ? data.flags : kind.namespace === 'segments' ? data.segments : undefined;
      if (!target) continue;
      for (const { key, item } of items) target[key] = fromDescriptor(key, item);
    }
    this.store.init(data).then(() => callback(), (err: Error) => callback(err));
  }

  get(kind: interfaces.PersistentStoreDataKind, key: string, callback: (d: Descriptor | undefined) => void): void {
    const name = kindName(kind);
    if (!name) return callback(undefined);
    this.store.getIncludingDeleted(name, key).then(
      (item) => callback(item ? toDescriptor(item) : undefined),
      () => callback(undefined),
    );
  }

  getAll(kind: interfaces.PersistentStoreDataKind, callback: (d: interfaces.KeyedItem<string, Descriptor>[] | undefined) => void): void {
    const name = kindName(kind);
    if (!name) return callback(undefined);
    this.store.allIncludingDeleted(name).then(
      (items) => callback(Object.entries(items).map(([key, item]) => ({ key, item: toDescriptor(item) }))),
      () => callback(undefined),
    );
  }

  upsert(
    kind: interfaces.PersistentStoreDataKind,
    key: string,
    descriptor: Descriptor,
    callback: (err?: Error, updated?: Descriptor) => void,
  ): void {
    const name = kindName(kind);
    if (!name) return callback(new Error(`Unknown data kind ${kind.namespace}`));
    const item = fromDescriptor(key, descriptor);
    this.store
      .upsert(name, item)
      .then(async (stored) => {
        if (stored) return callback(undefined, descriptor);
        // The table had the same or a newer version: report what it holds, as the wrapper expects.
        const current = await this.store.getIncludingDeleted(name, key);
        callback(undefined, current ? toDescriptor(current) : descriptor);
      })
      .catch((err: Error) => callback(err));
  }

  initialized(callback: (isInitialized: boolean) => void): void {
    this.store.initialized().then(callback, () => callback(false));
  }

  close(): void {
    this.store.close();
  }

  getDescription(): string {
    return 'DynamoDB';
  }
}

function kindName(kind: { namespace: string }): DataKindName | undefined {
  return isDataKind(kind.namespace) ? kind.namespace : undefined;
}

function fromDescriptor(key: string, d: Descriptor): VersionedItem {
  if (d.deleted || d.serializedItem === undefined) return { key, version: d.version, deleted: true };
  return JSON.parse(d.serializedItem) as VersionedItem;
}

function toDescriptor(item: VersionedItem): Descriptor {
  return { version: item.version, deleted: !!item.deleted, serializedItem: JSON.stringify(item) };
}

/**
 * A factory for the SDK's `featureStore` option, read-write:
 * `init(sdkKey, { featureStore: DynamoDBFeatureStore('my-table', { prefix: 'prod' }) })`.
 */
export function DynamoDBFeatureStore(tableName: string, options: DynamoDBFeatureStoreOptions = {}): (ctx: LDClientContext) => LDFeatureStore {
  return (ctx: LDClientContext) => {
    const logger = ctx.basicConfiguration.logger as StoreLogger | undefined;
    const { cacheTTL = 15, client, clientConfig, ...rest } = options;
    const store = client
      ? new DynamoDBFlagStore({ tableName, ...rest, logger, client })
      : new DynamoDBFlagStore({ tableName, ...rest, logger, clientConfig });
    return new PersistentDataStoreWrapper(new DynamoDBPersistentCore(store), cacheTTL);
  };
}
