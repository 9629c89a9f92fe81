// The sync-status row, `[prefix:]$syncStatus`, outside LaunchDarkly's namespaces: when and from where data
// was last synced, so consumers and alarms can tell how fresh the table is.
import { GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { WriteFailedError } from './errors.js';
import { prefixed } from './layout.js';
import type { StoreContext } from './table-client.js';

export const SYNC_STATUS_KEY = '$syncStatus';

export interface SyncStatus {
  syncedAt: Date;
  source: string;
  summary?: Record<string, unknown>;
}

export async function recordSync(ctx: StoreContext, record: { source: string; at?: Date; summary?: object }): Promise<void> {
  const id = prefixed(ctx.prefix, SYNC_STATUS_KEY);
  const at = record.at ?? new Date();
  const item: Record<string, AttributeValue> = {
    namespace: { S: id },
    key: { S: id },
    syncedAt: { N: String(at.getTime()) },
    source: { S: record.source },
  };
  if (record.summary) item.summary = { S: JSON.stringify(record.summary) };
  try {
    // Conditional so that a slow writer never moves the time backwards.
    await ctx.table.send(
      'PutItem',
      new PutItemCommand({
        TableName: ctx.table.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(syncedAt) OR syncedAt <= :at',
        ExpressionAttributeValues: { ':at': { N: String(at.getTime()) } },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return;
    throw new WriteFailedError([{ kind: '$syncStatus', key: id }], err);
  }
}

export async function readSyncStatus(ctx: StoreContext, consistent: boolean): Promise<SyncStatus | null> {
  const id = prefixed(ctx.prefix, SYNC_STATUS_KEY);
  const out = await ctx.table.send<{ Item?: Record<string, AttributeValue> }>(
    'GetItem',
    new GetItemCommand({ TableName: ctx.table.tableName, Key: { namespace: { S: id }, key: { S: id } }, ConsistentRead: consistent }),
  );
  if (!out.Item?.syncedAt?.N) return null;
  let summary: Record<string, unknown> | undefined;
  try {
    summary = out.Item.summary?.S ? (JSON.parse(out.Item.summary.S) as Record<string, unknown>) : undefined;
  } catch {
    summary = undefined;
  }
  return { syncedAt: new Date(Number(out.Item.syncedAt.N)), source: out.Item.source?.S ?? 'unknown', summary };
}
