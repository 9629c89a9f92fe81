// Batched conditional writes: the fast path of a wave's puts, as PartiQL `BatchExecuteStatement` requests of
// up to 25 statements, each billed at its own item's write units like a PutItem (no transaction's 2×).
//
// Why: a full init is ~10,000 conditional puts. On real DynamoDB the partition's 1,000 write units per second
// bound it however they are sent, but each request costs the writer CPU (a small Lambda's share of a core,
// docs/service-limits.md) and DynamoDB Local a millisecond: 25 items per request cut both. `BatchWriteItem`
// would too, but it carries no condition, and every write of ours is version-guarded (docs/write-rules.md).
//
// A PutItem's condition becomes a statement only where the plan knows what the row holds (WriteOp.found):
// - an absent row, expected `newer`: `INSERT`, which DynamoDB refuses (DuplicateItem) if the row now exists;
// - a live row or tombstone, expected `newer` or `live-newer`: `UPDATE … WHERE "version" < ?` (plus
//   `"deleted" IS MISSING` for live-newer), setting every attribute of the new row and removing the ones it
//   lacks, so the row ends as the PutItem would leave it; it fails if the row is gone or not older.
// Every other op (exact, tombstone removals, deletions) is a single request (wave-writer.ts).
//
// The batch is only a fast path: a statement it did not write for any reason (a failed condition, a throttle,
// an error) is handed back, and the single conditional PutItem settles it, with its own retries, pacing and
// exact answer ('written' or 'stale'). So what a wave writes is decided by the same conditions either way.
//
// At the table's throughput write units bound the init however it is sent, but a batch still saves the
// writer's CPU, which a small Lambda's share of a core bounds too. What changes there is how many statements
// a throttle can hold back at once: once a batch is throttled, the rest of the init goes in batches of 8
// (THROTTLED_STATEMENTS; TableClient.batchWrites). Figures: docs/write-rules.md rule 8.
//
// IAM: the sync-write grant allows PartiQLInsert/PartiQLUpdate only with the environment's own partition
// keys present and matching (lib/infra/flag-table.ts). A refusal (AccessDeniedException) turns batching off
// for the store's life and every op goes single: correct either way, only slower on DynamoDB Local.
import { BatchExecuteStatementCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { COMPRESSED_ATTRIBUTE } from './layout.js';
import { DELETED, writeUnits } from './item-codec.js';
import type { WriteOp } from './init-plan.js';
import type { StoreContext } from './table-client.js';

/** DynamoDB's limit of statements per BatchExecuteStatement. */
export const MAX_STATEMENTS = 25;
/** Statements per batch once DynamoDB has throttled one in this init (above). */
export const THROTTLED_STATEMENTS = 8;
/** Item bytes per batch request: bounds the request's size (items reach 400 KB). */
const MAX_BATCH_BYTES = 1024 * 1024;
/** Attributes a row of ours may hold besides its key: what an UPDATE removes when the new row lacks them. */
const VALUE_ATTRIBUTES = ['version', 'asOf', 'item', COMPRESSED_ATTRIBUTE, DELETED];
/** Whole-request answers meaning "this caller may not batch" (not "this batch failed"): batching stops. */
const BATCHING_REFUSED = new Set(['AccessDeniedException', 'UnknownOperationException']);
/** Per-statement codes that say "slow down": they feed the pacer like a throttled request. */
const THROTTLED_CODES = new Set(['ProvisionedThroughputExceeded', 'ThrottlingError', 'RequestLimitExceeded']);

interface Statement {
  Statement: string;
  Parameters: AttributeValue[];
}

/** 'written', or 'single': the batch did not write it, a single conditional request must settle it. */
export type BatchResult = 'written' | 'single';

/** Whether `op` can be a statement: a put whose condition the plan can render from what it found. */
export function batchable(op: WriteOp): boolean {
  if (op.type !== 'put') return false;
  if (op.found === 'absent') return op.expect.type === 'newer';
  return op.expect.type === 'newer' || op.expect.type === 'live-newer';
}

const quote = (name: string) => `"${name}"`;

/** The statement writing `op` (which must be batchable) into `tableName`. */
export function statementFor(tableName: string, op: Extract<WriteOp, { type: 'put' }>): Statement {
  const attrs = op.item.attrs;
  const names = Object.keys(attrs);
  if (op.found === 'absent') {
    return {
      Statement: `INSERT INTO ${quote(tableName)} VALUE {${names.map((n) => `'${n}': ?`).join(', ')}}`,
      Parameters: names.map((n) => attrs[n]!),
    };
  }
  const set = names.filter((n) => n !== 'namespace' && n !== 'key');
  const remove = VALUE_ATTRIBUTES.filter((n) => !(n in attrs));
  const where = [`"namespace" = ?`, `"key" = ?`, `"version" < ?`];
  if (op.expect.type === 'live-newer') where.push(`${quote(DELETED)} IS MISSING`);
  return {
    Statement:
      `UPDATE ${quote(tableName)} ${set.map((n) => `SET ${quote(n)} = ?`).join(' ')}` +
      `${remove.map((n) => ` REMOVE ${quote(n)}`).join('')} WHERE ${where.join(' AND ')}`,
    Parameters: [...set.map((n) => attrs[n]!), attrs.namespace!, attrs.key!, attrs.version!],
  };
}

/** Splits entries (ops, or their indexes) into requests of at most `max` statements and 1 MB of items. */
export function chunk<T>(entries: readonly T[], bytesOf: (entry: T) => number, max = MAX_STATEMENTS): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = bytesOf(entry);
    if (current.length === max || (current.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

interface BatchAnswer {
  Responses?: { Error?: { Code?: string; Message?: string } }[];
  ConsumedCapacity?: unknown;
}

/**
 * Sends one batch; resolves with each op's result. Rejects only when the request itself failed after the
 * table client's retries (throttling, 5xx, connection): its ops are then unwritten, like a failed PutItem's.
 */
export async function writeBatch(ctx: StoreContext, ops: Extract<WriteOp, { type: 'put' }>[]): Promise<BatchResult[]> {
  const units = ops.map((op) => writeUnits(op.item.bytes));
  const command = new BatchExecuteStatementCommand({
    Statements: ops.map((op) => statementFor(ctx.table.tableName, op)),
    ReturnConsumedCapacity: 'TOTAL',
  });
  let out: BatchAnswer;
  try {
    out = await ctx.table.send<BatchAnswer>('BatchExecuteStatement', command, sum(units), ops.length);
  } catch (err) {
    const name = (err as Error).name;
    if (BATCHING_REFUSED.has(name)) {
      // Batches already in flight are refused too: one warning.
      if (ctx.table.batchWrites !== 'refused')
        ctx.logger.warn(`DynamoDB refused PartiQL batch writes to ${ctx.label} (${name}); writing items one request each from now on`);
      ctx.table.batchWrites = 'refused';
      return ops.map(() => 'single');
    }
    // A request DynamoDB could not accept as a whole (e.g. its size): the single requests say what is wrong.
    if (name === 'ValidationException') return ops.map(() => 'single');
    throw err;
  }
  const results = ops.map((_, i): BatchResult => (out.Responses?.[i] && !out.Responses[i]!.Error ? 'written' : 'single'));
  const written = units.filter((_, i) => results[i] === 'written');
  const throttled = (out.Responses ?? []).filter((r) => THROTTLED_CODES.has(r.Error?.Code ?? '')).length;
  // DynamoDB Local reports no capacity for PartiQL: count what DynamoDB bills, as the PutItems would have.
  ctx.table.statementsDone(written, throttled, out.ConsumedCapacity === undefined ? sum(written) : 0);
  return results;
}

const sum = (values: number[]) => values.reduce((s, v) => s + v, 0);
