// The counting proxy's log (bench/lib/proxy.ts): one entry per exchange, the capacity it consumed (from what
// DynamoDB reports, or as DynamoDB bills it where DynamoDB Local reports nothing useful), the keys a write
// put, and totals over a log.
import type { IncomingMessage } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { itemBytes } from '../../test/support/ddb-service-limits.js';
import { statementItem } from '../../test/support/partiql.js';

export const READ_OPERATIONS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

export interface Exchange {
  operation: string;
  /** Epoch ms when the request arrived / its response was fully received from DynamoDB. */
  startedAt: number;
  endedAt: number;
  status: number;
  readCapacityUnits: number;
  writeCapacityUnits: number;
  /** Keys (namespace and key) of the items a successful write put, with their version. */
  written: { namespace: string; key: string; version: number }[];
  /** Answered with a throttling error by the service-limits model. */
  throttled: boolean;
  /** Items or keys of a batch the model held back (returned as Unprocessed*, or a PartiQL statement's throttling error). */
  unprocessed: number;
  /** The writes or reads the request carried: a batch's items, keys or statements; 1 for any other request. */
  entries: number;
}

export interface Counts {
  requests: Record<string, number>;
  totalRequests: number;
  readCapacityUnits: number;
  writeCapacityUnits: number;
  /** Requests DynamoDB answered with an error status (e.g. failed conditions), throttles included. */
  errors: number;
  /** Requests the service-limits model throttled. */
  throttled: number;
  /** Batch entries the model returned unprocessed. */
  unprocessed: number;
  /** Writes and reads carried, a batch counting its entries. */
  entries: number;
}

/** A log entry with nothing counted yet. */
export function newExchange(operation: string, startedAt: number, endedAt: number, status: number): Exchange {
  return {
    operation,
    startedAt,
    endedAt,
    status,
    readCapacityUnits: 0,
    writeCapacityUnits: 0,
    written: [],
    throttled: false,
    unprocessed: 0,
    entries: 1,
  };
}

/** How many writes or reads a request carries: a batch's entries, else 1. */
export function entriesOf(operation: string, input: Record<string, unknown> | undefined): number {
  if (operation === 'BatchExecuteStatement') return ((input?.Statements ?? []) as unknown[]).length;
  const perTable = Object.values((input?.RequestItems ?? {}) as Record<string, unknown[] | { Keys?: unknown[] }>);
  if (operation === 'BatchWriteItem') return perTable.reduce((n: number, list) => n + (list as unknown[]).length, 0);
  if (operation === 'BatchGetItem') return perTable.reduce((n: number, spec) => n + ((spec as { Keys?: unknown[] }).Keys ?? []).length, 0);
  return 1;
}

/**
 * A read's log entry, whose capacity is counted from its answer when first asked for. Parsing every 1 MB
 * page as it passes would take CPU from the client under test, which is still decoding it on the same
 * two cores; the counts are read after the client has finished.
 */
export function countedWhenAsked(
  operation: string,
  input: Record<string, unknown> | undefined,
  up: IncomingMessage,
  raw: Buffer,
  startedAt: number,
  endedAt: number,
): Exchange {
  let counted: Exchange | undefined;
  const count = () => (counted ??= record(operation, input, up, raw, startedAt, endedAt));
  return Object.defineProperties(newExchange(operation, startedAt, endedAt, up.statusCode ?? 0), {
    readCapacityUnits: { get: () => count().readCapacityUnits, enumerable: true },
    writeCapacityUnits: { get: () => count().writeCapacityUnits, enumerable: true },
  });
}

export function record(
  operation: string,
  input: Record<string, unknown> | undefined,
  up: IncomingMessage,
  raw: Buffer,
  startedAt: number,
  endedAt: number,
): Exchange {
  const status = up.statusCode ?? 0;
  const exchange = newExchange(operation, startedAt, endedAt, status);
  let output: Record<string, unknown> | undefined;
  try {
    const text = (up.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
    output = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    output = undefined;
  }
  const isRead = READ_OPERATIONS.has(operation);
  // A failed condition still consumes capacity; DynamoDB reports it on the error for single-item writes.
  if (operation === 'TransactWriteItems' && input) {
    if (status === 200) exchange.writeCapacityUnits = transactionWriteUnits(input);
    return exchange;
  }
  if (
    (operation === 'BatchExecuteStatement' || operation === 'ExecuteStatement') &&
    input &&
    status === 200 &&
    output?.ConsumedCapacity === undefined
  ) {
    const statements = (operation === 'ExecuteStatement' ? [input] : (input.Statements ?? [])) as {
      Statement: string;
      Parameters?: Attr[];
    }[];
    const responses = (operation === 'ExecuteStatement' ? [{}] : (output?.Responses ?? [])) as { Error?: unknown }[];
    statements.forEach((st, i) => {
      if (responses[i]?.Error || !/^\s*(INSERT|UPDATE|DELETE)/i.test(st.Statement)) return;
      // Billed like the single write the statement stands for: the item it writes (its bound attributes).
      exchange.writeCapacityUnits += Math.max(1, Math.ceil(itemBytes(statementItem(st)) / 1024));
    });
    return exchange;
  }
  const capacity = output?.ConsumedCapacity;
  for (const c of (Array.isArray(capacity) ? capacity : capacity ? [capacity] : []) as Record<string, number | undefined>[]) {
    const units = c.CapacityUnits ?? 0;
    if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
      exchange.readCapacityUnits += c.ReadCapacityUnits ?? 0;
      exchange.writeCapacityUnits += c.WriteCapacityUnits ?? 0;
    } else if (isRead) exchange.readCapacityUnits += units;
    else exchange.writeCapacityUnits += units;
  }
  if (status === 200 && input) exchange.written = writtenItems(operation, input);
  return exchange;
}

type Attr = { S?: string; N?: string; B?: string; BOOL?: boolean };
type AttrMap = Record<string, Attr | undefined>;

function writtenItems(operation: string, input: Record<string, unknown>): Exchange['written'] {
  const items: AttrMap[] = [];
  if (operation === 'PutItem') items.push(input.Item as AttrMap);
  else if (operation === 'TransactWriteItems') {
    for (const t of (input.TransactItems ?? []) as { Put?: { Item: AttrMap } }[]) if (t.Put) items.push(t.Put.Item);
  } else if (operation === 'BatchWriteItem') {
    for (const reqs of Object.values((input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: AttrMap } }[]>)) {
      for (const r of reqs) if (r.PutRequest) items.push(r.PutRequest.Item);
    }
  }
  return items
    .filter((i) => i?.namespace?.S !== undefined && i.key?.S !== undefined)
    .map((i) => ({ namespace: i.namespace!.S!, key: i.key!.S!, version: Number(i.version?.N ?? 0) }));
}

/** Transactional writes cost two write units per started KB of each item; a delete or check is counted as one KB. */
function transactionWriteUnits(input: Record<string, unknown>): number {
  let units = 0;
  for (const t of (input.TransactItems ?? []) as {
    Put?: { Item: AttrMap };
    Update?: unknown;
    Delete?: unknown;
    ConditionCheck?: unknown;
  }[]) {
    units += 2 * (t.Put ? Math.max(1, Math.ceil(itemBytes(t.Put.Item) / 1024)) : 1);
  }
  return units;
}

export function sum(log: Exchange[]): Counts {
  const counts: Counts = {
    requests: {},
    totalRequests: 0,
    readCapacityUnits: 0,
    writeCapacityUnits: 0,
    errors: 0,
    throttled: 0,
    unprocessed: 0,
    entries: 0,
  };
  for (const e of log) {
    if (e.throttled) counts.throttled++;
    counts.unprocessed += e.unprocessed;
    counts.entries += e.entries;
    counts.requests[e.operation] = (counts.requests[e.operation] ?? 0) + 1;
    counts.totalRequests++;
    counts.readCapacityUnits += e.readCapacityUnits;
    counts.writeCapacityUnits += e.writeCapacityUnits;
    if (e.status !== 200) counts.errors++;
  }
  counts.readCapacityUnits = Math.round(counts.readCapacityUnits * 100) / 100;
  counts.writeCapacityUnits = Math.round(counts.writeCapacityUnits * 100) / 100;
  return counts;
}
