// The snapshot claim: one row per prefix, `[prefix:]$fullSync`, holding when the newest full data set
// applied so far was taken from LaunchDarkly. A full sync claims the table before it writes; a sync whose
// snapshot is older than the claim only moves live rows forward (init-plan.ts), so two full syncs racing
// (a scheduled poll and a webhook-triggered one) can never bring back what the newer one deleted, nor
// delete what it created. Why and the remaining windows: docs/write-rules.md.
import { GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { prefixed } from './layout.js';
import type { StoreContext } from './table-client.js';

export const FULL_SYNC_KEY = '$fullSync';

export interface ClaimState {
  snapshotAt?: number;
  claim?: string;
}

function keyOf(prefix: string | undefined): Record<string, AttributeValue> {
  const id = prefixed(prefix, FULL_SYNC_KEY);
  return { namespace: { S: id }, key: { S: id } };
}

function parse(item: Record<string, AttributeValue> | undefined): ClaimState {
  const at = Number(item?.snapshotAt?.N);
  return { snapshotAt: Number.isFinite(at) ? at : undefined, claim: item?.claim?.S };
}

export async function readClaim(ctx: StoreContext): Promise<ClaimState> {
  const out = await ctx.table.send<{ Item?: Record<string, AttributeValue> }>(
    'GetItem',
    new GetItemCommand({ TableName: ctx.table.tableName, Key: keyOf(ctx.prefix), ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }),
  );
  return parse(out.Item);
}

/**
 * Claims the table for a snapshot taken at `snapshotAt`. `won` is false when a newer snapshot holds it;
 * `previous` is the claim this one replaced, so the caller can tell whether another sync claimed since it read.
 */
export async function claimTable(ctx: StoreContext, snapshotAt: number): Promise<{ won: boolean; id: string; previous: ClaimState }> {
  const id = randomUUID();
  try {
    const out = await ctx.table.send<{ Attributes?: Record<string, AttributeValue> }>(
      'PutItem',
      new PutItemCommand({
        TableName: ctx.table.tableName,
        Item: { ...keyOf(ctx.prefix), snapshotAt: { N: String(snapshotAt) }, claim: { S: id } },
        ConditionExpression: 'attribute_not_exists(snapshotAt) OR snapshotAt <= :t',
        ExpressionAttributeValues: { ':t': { N: String(snapshotAt) } },
        ReturnValues: 'ALL_OLD',
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    return { won: true, id, previous: parse(out.Attributes) };
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return { won: false, id, previous: {} };
    throw err;
  }
}

/** Whether no newer snapshot has claimed the table since `snapshotAt` was claimed. */
export async function stillNewest(ctx: StoreContext, snapshotAt: number): Promise<boolean> {
  const now = await readClaim(ctx);
  return now.snapshotAt === undefined || now.snapshotAt <= snapshotAt;
}
