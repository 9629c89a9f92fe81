// DynamoDBFeatureStore: a read-write feature store for @launchdarkly/node-server-sdk v9, a drop-in for
// LaunchDarkly's own DynamoDB store (same factory shape, same table, same caching through the SDK's
// PersistentDataStoreWrapper), backed by DynamoDBFlagStore so it gets our version guards, diff-based init,
// retries and oversize handling. Consumers that only read should use ReadOnlyFeatureStore (reader.ts).
import { PersistentDataStoreWrapper, type LDClientContext, type LDFeatureStore, type interfaces } from '@launchdarkly/node-server-sdk';
import { isDataKind } from './layout.js';
import { resolveStoreOptions, type StoreOptions } from './options.js';
import type { Logger } from '../util/logger.js';
import type { DataKindName, FullDataSet, VersionedItem } from './types.js';
import { DynamoDBFlagStore } from './flag-store.js';

/**
 * Our option names and LaunchDarkly's (see options.ts): `prefix`, `cacheTTL` (seconds the SDK caches items
 * read from the table; default 15, also when null; 0 turns the cache off), `consistentReads`, `logger`, and
 * a client (`client` / `dynamoDBClient`) or its configuration (`clientConfig` / `clientOptions`).
 */
export type DynamoDBFeatureStoreOptions = StoreOptions;

type Descriptor = interfaces.SerializedItemDescriptor;

class DynamoDBPersistentCore implements interfaces.PersistentDataStore {
  constructor(private readonly store: DynamoDBFlagStore) {}

  init(allData: interfaces.KindKeyedStore<interfaces.PersistentStoreDataKind>, callback: (err?: Error) => void): void {
    // Null prototypes: a "__proto__" flag is a key like any other, not the object's prototype.
    const data: FullDataSet = { flags: Object.create(null), segments: Object.create(null) };
    for (const { key: kind, item: items } of allData) {
      const target = kind.namespace === 'features' ? data.flags : kind.namespace === 'segments' ? data.segments : undefined;
      if (!target) continue;
      for (const { key, item } of items) target[key] = fromDescriptor(key, item);
    }
    this.store.init(data).then(
      () => callback(),
      (err: Error) => callback(err),
    );
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
 * Options are checked here, so a mistake fails where the store is configured, not at the SDK's start.
 */
export function DynamoDBFeatureStore(
  tableName: string,
  options: DynamoDBFeatureStoreOptions = {},
): (ctx: LDClientContext) => LDFeatureStore {
  const o = resolveStoreOptions('DynamoDBFeatureStore', tableName, options);
  return (ctx: LDClientContext) => {
    const logger = o.logger ?? (ctx?.basicConfiguration?.logger as Logger | undefined);
    for (const warning of o.warnings) logger?.warn(warning);
    const common = { tableName: o.tableName, prefix: o.prefix, consistentReads: o.consistentReads, logger };
    const store = o.client
      ? new DynamoDBFlagStore({ ...common, client: o.client })
      : new DynamoDBFlagStore({ ...common, clientConfig: o.clientConfig });
    return new PersistentDataStoreWrapper(new DynamoDBPersistentCore(store), o.cacheTTLSeconds, logger);
  };
}
