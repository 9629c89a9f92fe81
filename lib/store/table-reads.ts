// The writer's reads: keys, versions and tombstone marks of a namespace (a projected query, over the read
// hints' key ranges in parallel), one item, and whether the `$inited` marker exists.
import { GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { RowState } from './init-plan.js';
import { DELETED, AS_OF, decodeRow } from './item-codec.js';
import { initedKey, namespaceFor, rowVersion, type StoredRow } from './layout.js';
import { rangeKeyCondition, rangesOf } from './read-hints.js';
import type { StoreContext } from './table-client.js';
import type { DataKindName, VersionedItem } from './types.js';

/**
 * Keys, versions, tombstone marks and write times of a namespace. DynamoDB bills a query by the size of
 * the items it reads whatever the projection, so the projection saves bytes on the wire, not read units.
 */
export async function readVersions(ctx: StoreContext, kind: DataKindName, splits: string[] = []): Promise<Map<string, RowState>> {
  const pages = await Promise.all(
    rangesOf(splits).map(([lo, hi]) => {
      const range = rangeKeyCondition(lo, hi);
      return ctx.table.queryAll({
        KeyConditionExpression: `#ns = :ns${range.expression}`,
        ProjectionExpression: '#k, #v, #d, #w',
        ExpressionAttributeNames: { '#ns': 'namespace', '#k': 'key', '#v': 'version', '#d': DELETED, '#w': AS_OF },
        ExpressionAttributeValues: { ':ns': { S: namespaceFor(ctx.prefix, kind) }, ...range.values },
      });
    }),
  );
  const rows = new Map<string, RowState>();
  // Adjacent ranges share their boundary key: the map keeps it once.
  for (const page of pages) {
    for (const row of page) {
      const key = row.key?.S;
      if (key === undefined) continue;
      const asOf = Number(row[AS_OF]?.N);
      rows.set(key, {
        version: rowVersion(row as StoredRow),
        tombstone: row[DELETED]?.BOOL === true,
        asOf: Number.isFinite(asOf) ? asOf : undefined,
      });
    }
  }
  return rows;
}

/** One item, tombstones included; null when missing or unreadable (logged). */
export async function readItem(ctx: StoreContext, kind: DataKindName, key: string, consistent: boolean): Promise<VersionedItem | null> {
  const out = await ctx.table.send<{ Item?: Record<string, AttributeValue> }>(
    'GetItem',
    new GetItemCommand({
      TableName: ctx.table.tableName,
      Key: { namespace: { S: namespaceFor(ctx.prefix, kind) }, key: { S: key } },
      ConsistentRead: consistent,
    }),
  );
  return out.Item ? decodeOrLog(ctx, kind, key, out.Item as StoredRow) : null;
}

export function decodeOrLog(ctx: StoreContext, kind: DataKindName, key: string, row: StoredRow): VersionedItem | null {
  try {
    return decodeRow(key, row);
  } catch (err) {
    ctx.logger.error(`${kind}/${key} in ${ctx.label} holds unreadable JSON; treating it as deleted (${(err as Error).message})`);
    return null;
  }
}

export async function markerExists(ctx: StoreContext, consistent: boolean): Promise<boolean> {
  const marker = initedKey(ctx.prefix);
  const out = await ctx.table.send<{ Item?: unknown }>(
    'GetItem',
    new GetItemCommand({
      TableName: ctx.table.tableName,
      Key: { namespace: { S: marker }, key: { S: marker } },
      ConsistentRead: consistent,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  return out.Item !== undefined;
}
