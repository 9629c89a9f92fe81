// Applies the init plan's waves (init-plan.ts): every op is a single conditional PutItem (items and
// tombstones) or DeleteItem (expired tombstones), each billed at its own write units; a wave's ops run in
// parallel through the store's pacer, and a wave starts when the previous one has landed. A failed
// condition is an answer, not an error: the table held something newer, the op is 'stale'.
import { DeleteItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { WriteFailedError, type UnwrittenItem } from './errors.js';
import { DELETED, AS_OF, writeUnits } from './item-codec.js';
import { namespaceFor } from './layout.js';
import { opKey, opKind, type Expect, type WriteOp } from './init-plan.js';
import { runPool } from './pacing.js';
import type { StoreContext } from './table-client.js';

export type OpResult = 'written' | 'stale';

interface Condition {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, AttributeValue>;
}

const num = (n: number): AttributeValue => ({ N: String(n) });

/** The condition for `expect`, against an item of version `version`. */
export function conditionFor(expect: Expect, version: number): Condition {
  switch (expect.type) {
    case 'newer':
      return {
        ConditionExpression: 'attribute_not_exists(#v) OR #v < :v',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':v': num(version) },
      };
    case 'live-newer':
      return {
        ConditionExpression: '#v < :v AND attribute_not_exists(#d)',
        ExpressionAttributeNames: { '#v': 'version', '#d': DELETED },
        ExpressionAttributeValues: { ':v': num(version) },
      };
    case 'exact':
      return expect.asOf === undefined
        ? {
            ConditionExpression: '#v = :r',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':r': num(expect.version) },
          }
        : {
            ConditionExpression: '#v = :r AND #w = :w',
            ExpressionAttributeNames: { '#v': 'version', '#w': AS_OF },
            ExpressionAttributeValues: { ':r': num(expect.version), ':w': num(expect.asOf) },
          };
    case 'tombstone':
      return {
        ConditionExpression: '#v = :r AND #d = :t',
        ExpressionAttributeNames: { '#v': 'version', '#d': DELETED },
        ExpressionAttributeValues: { ':r': num(expect.version), ':t': { BOOL: true } },
      };
  }
}

export function opTarget(op: WriteOp): UnwrittenItem {
  return { kind: opKind(op), key: opKey(op) };
}

/** Sends one op; resolves 'stale' when its condition failed. */
export async function writeOp(ctx: StoreContext, op: WriteOp): Promise<OpResult> {
  try {
    if (op.type === 'put') {
      const input = {
        TableName: ctx.table.tableName,
        Item: op.item.attrs,
        ...conditionFor(op.expect, op.item.version),
        ReturnConsumedCapacity: 'TOTAL' as const,
      };
      await ctx.table.send('PutItem', new PutItemCommand(input), writeUnits(op.item.bytes));
    } else {
      const Key = { namespace: { S: namespaceFor(ctx.prefix, op.kind) }, key: { S: op.key } };
      await ctx.table.send(
        'DeleteItem',
        new DeleteItemCommand({
          TableName: ctx.table.tableName,
          Key,
          ...conditionFor(op.expect, op.expect.version),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
    }
    return 'written';
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return 'stale';
    throw err;
  }
}

/** Applies one wave of independent ops; resolves with each op's outcome, or rejects with what was not written. */
export async function applyWave(ctx: StoreContext, ops: WriteOp[], concurrency: number): Promise<OpResult[]> {
  const settled = await runPool(ops, concurrency, (op) => writeOp(ctx, op));
  const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [opTarget(ops[i]!)] : []));
  const firstError = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')?.reason;
  if (failed.length > 0) throw new WriteFailedError(failed, firstError);
  return settled.map((s) => (s as PromiseFulfilledResult<OpResult>).value);
}
