// Applies the init plan's waves (init-plan.ts): every op is a conditional PutItem (items and tombstones) or
// DeleteItem (expired tombstones), each billed at its own write units; a wave's puts whose condition a PartiQL
// statement can carry go first as batches of 25 (batch-writes.ts), and whatever a batch did not write, with
// every other op, as single requests. A wave's requests run in parallel through the store's pacer, and a
// wave starts when the previous one has landed. A failed condition is an answer, not an error: the table
// held something newer, the op is 'stale'.
import { DeleteItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { WriteFailedError, type UnwrittenItem } from './errors.js';
import { DELETED, AS_OF, writeUnits } from './item-codec.js';
import { namespaceFor } from './layout.js';
import { opKey, opKind, type Expect, type WriteOp } from './init-plan.js';
import { batchable, chunk, MAX_STATEMENTS, THROTTLED_STATEMENTS, writeBatch } from './batch-writes.js';
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

/**
 * Batches in flight per single requests in flight (6 at the default 48): a batch carries 25 items. More buy
 * DynamoDB Local little (5.5 against 6.2 s for 10,000 flags at 16) and, under the service-limits model, hold
 * back more statements when the first throttle comes.
 */
const BATCHES_PER_REQUEST = 1 / 8;

/** Applies one wave of independent ops; resolves with each op's outcome, or rejects with what was not written. */
export async function applyWave(ctx: StoreContext, ops: WriteOp[], concurrency: number): Promise<OpResult[]> {
  const outcome = new Map<number, OpResult | { error: unknown }>();
  const batched = ctx.table.batchWrites !== 'refused' ? ops.flatMap((op, i) => (batchable(op) ? [i] : [])) : [];
  if (batched.length >= 2) await applyBatches(ctx, ops, batched, concurrency, outcome);
  // Everything else, and whatever a batch handed back, one request each.
  const single = [...ops.keys()].filter((i) => !outcome.has(i));
  const settled = await runPool(single, concurrency, (i) => writeOp(ctx, ops[i]!));
  settled.forEach((s, n) => {
    outcome.set(single[n]!, s.status === 'fulfilled' ? s.value : { error: s.reason });
  });
  const errors = ops.map((_, i) => outcome.get(i)).filter((o): o is { error: unknown } => typeof o === 'object');
  if (errors.length > 0) {
    const failed = ops.filter((_, i) => typeof outcome.get(i) === 'object').map(opTarget);
    throw new WriteFailedError(failed, errors[0]!.error);
  }
  return ops.map((_, i) => outcome.get(i) as OpResult);
}

/** Sends the ops at `indexes` in batches; records each op a batch wrote, or the error of a batch that failed. */
async function applyBatches(
  ctx: StoreContext,
  ops: WriteOp[],
  indexes: number[],
  concurrency: number,
  outcome: Map<number, OpResult | { error: unknown }>,
): Promise<void> {
  const put = (i: number) => ops[i] as Extract<WriteOp, { type: 'put' }>;
  const bytes = (i: number) => put(i).item.bytes;
  const chunks = chunk(indexes, bytes, ctx.table.batchWrites === 'on' ? MAX_STATEMENTS : THROTTLED_STATEMENTS);
  const limit = Math.max(1, Math.ceil(concurrency * BATCHES_PER_REQUEST));
  await runPool(chunks, limit, async (c) => {
    // Once DynamoDB throttles a batch, the batches not yet sent go as smaller ones, one after another in this
    // one's slot; once IAM refuses one, what is not yet sent goes singly (it is left without an outcome).
    const parts = ctx.table.batchWrites === 'throttled' ? chunk(c, bytes, THROTTLED_STATEMENTS) : [c];
    for (const part of parts) {
      if (ctx.table.batchWrites === 'refused') return;
      try {
        const results = await writeBatch(ctx, part.map(put));
        part.forEach((i, j) => {
          if (results[j] === 'written') outcome.set(i, 'written');
        });
      } catch (error) {
        for (const i of part) outcome.set(i, { error });
      }
    }
  });
}
