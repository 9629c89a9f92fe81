// A model of real DynamoDB's throughput limits, for the loopback proxies (bench/lib/proxy.ts and
// test/support/ddb-fault-proxy.ts) to put in front of DynamoDB Local, which has none. The model, its numbers
// and their sources are in docs/service-limits.md; in short:
// - token buckets per partition key value (1,000 write units/s, 3,000 read units/s) and per table (4,000
//   write request units/s, 12,000 read request units/s: where a new on-demand table starts), each holding
//   at most one second of its rate;
// - write units computed from the request as DynamoDB bills them: 1 per started KB of the item (attribute
//   names plus values), a delete 1, transactional writes twice, BatchWriteItem per item; reads charged after
//   the fact from the capacity DynamoDB Local reports (4 KB units, half for eventually consistent reads);
// - a throttled request answered as DynamoDB answers it: HTTP 400 with ProvisionedThroughputExceededException
//   (a hot partition key) or ThrottlingException (the table's rate), the throttled part of a BatchWriteItem in
//   UnprocessedItems and of a BatchGetItem in UnprocessedKeys (an error only when nothing could be served),
//   a throttled statement of a PartiQL BatchExecuteStatement as its own error in Responses (a statement is
//   billed like the single write it stands for);
// - a single-digit-millisecond service latency on every request.

import { holdStatements, statementItem, statementRow, statementTable, type PartiqlStatement, type StatementError } from './partiql.js';

export interface LimitsOptions {
  partitionWriteUnits: number;
  partitionReadUnits: number;
  tableWriteUnits: number;
  tableReadUnits: number;
  /** Added latency in ms, uniform in [min, max]. */
  latencyMs: [number, number];
  now: () => number;
  random: () => number;
}

export const defaultLimits: LimitsOptions = {
  partitionWriteUnits: 1_000,
  partitionReadUnits: 3_000,
  tableWriteUnits: 4_000,
  tableReadUnits: 12_000,
  latencyMs: [2, 8],
  now: () => performance.now(),
  random: Math.random,
};

const DDB = 'com.amazonaws.dynamodb.v20120810';

export const THROTTLE_ANSWERS = {
  partition: {
    __type: `${DDB}#ProvisionedThroughputExceededException`,
    message:
      'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  },
  table: {
    __type: `${DDB}#ThrottlingException`,
    message:
      'Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html',
  },
} as const;

/** A throttled PartiQL statement's error, in BatchExecuteStatement's Responses. */
const STATEMENT_THROTTLED: Record<'partition' | 'table', StatementError> = {
  partition: { Code: 'ProvisionedThroughputExceeded', Message: THROTTLE_ANSWERS.partition.message },
  table: { Code: 'ThrottlingError', Message: THROTTLE_ANSWERS.table.message },
};

class Bucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly rate: number,
    private readonly now: () => number,
  ) {
    this.tokens = rate;
    this.at = now();
  }
  level(): number {
    const t = this.now();
    this.tokens = Math.min(this.rate, this.tokens + ((t - this.at) / 1000) * this.rate);
    this.at = t;
    return this.tokens;
  }
  /** Whether `units` fit now (a request larger than the bucket fits when it is full). */
  fits(units: number): boolean {
    const level = this.level();
    return level >= Math.min(units, this.rate);
  }
  take(units: number): void {
    this.level();
    this.tokens -= units;
  }
}

type Attr = { S?: string; N?: string; B?: string; BOOL?: boolean };
type AttrMap = Record<string, Attr | undefined>;
type Json = Record<string, unknown>;

/** DynamoDB's size of an item (JSON wire form): attribute names plus values (UTF-8 strings, binary, about a byte per two digits). */
export function itemBytes(item: AttrMap): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += Buffer.byteLength(name);
    if (!value) continue;
    if (value.S !== undefined) size += Buffer.byteLength(value.S);
    else if (value.N !== undefined) size += Math.ceil(value.N.replace(/^-|\.|^0+/g, '').length / 2) + 1;
    else if (value.B !== undefined) size += Buffer.from(value.B, 'base64').length;
    else size += 1;
  }
  return size;
}

/** What the model decides for one request. */
export type Admission =
  // status 200: a PartiQL batch whose every statement was throttled, each answered with its error.
  | { throttle: { status: 400 | 200; body: Json }; units: number }
  | { throttle?: undefined; body: Json; units: number; unprocessed: number; finish: (output: Json | undefined) => Json | undefined };

export interface LimitsStats {
  throttledRequests: number;
  /** Items or keys moved to Unprocessed* by the model. */
  unprocessedEntries: number;
}

const writeUnitsOf = (item: AttrMap | undefined) => Math.max(1, Math.ceil(itemBytes(item ?? {}) / 1024));

export class ServiceLimits {
  readonly opts: LimitsOptions;
  readonly stats: LimitsStats = { throttledRequests: 0, unprocessedEntries: 0 };
  private readonly buckets = new Map<string, Bucket>();

  constructor(options: Partial<LimitsOptions> = {}) {
    this.opts = { ...defaultLimits, ...options };
  }

  latency(): number {
    const [lo, hi] = this.opts.latencyMs;
    return lo + this.opts.random() * (hi - lo);
  }

  private bucket(id: string, rate: number): Bucket {
    let b = this.buckets.get(id);
    if (!b) this.buckets.set(id, (b = new Bucket(rate, this.opts.now)));
    return b;
  }
  private partitionW = (table: string, pk: string) => this.bucket(`pw|${table}|${pk}`, this.opts.partitionWriteUnits);
  private partitionR = (table: string, pk: string) => this.bucket(`pr|${table}|${pk}`, this.opts.partitionReadUnits);
  private tableW = (table: string) => this.bucket(`tw|${table}`, this.opts.tableWriteUnits);
  private tableR = (table: string) => this.bucket(`tr|${table}`, this.opts.tableReadUnits);

  private throttle(kind: 'partition' | 'table', units: number): Admission {
    this.stats.throttledRequests++;
    return { throttle: { status: 400, body: { ...THROTTLE_ANSWERS[kind] } }, units };
  }

  /** Decides a request: throttled, or forwarded (possibly with part of a batch held back). */
  admit(operation: string, input: Json): Admission {
    const table = String(input.TableName ?? '');
    const pass = (units: number): Admission => ({ body: input, units, unprocessed: 0, finish: (o) => o });
    switch (operation) {
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem': {
        const item = (input.Item ?? input.Key) as AttrMap | undefined;
        const units = operation === 'PutItem' ? writeUnitsOf(item) : 1;
        return this.write(table, item?.namespace?.S ?? '', units) ?? pass(units);
      }
      case 'TransactWriteItems':
        return this.transact(input) ?? pass(0);
      case 'BatchWriteItem':
        return this.batchWrite(input);
      case 'BatchExecuteStatement':
        return this.batchStatements(input);
      case 'GetItem':
      case 'Query': {
        const pk =
          operation === 'GetItem' ? ((input.Key as AttrMap)?.namespace?.S ?? '') : firstString(input.ExpressionAttributeValues as AttrMap);
        if (this.partitionR(table, pk).level() <= 0) return this.throttle('partition', 0);
        if (this.tableR(table).level() <= 0) return this.throttle('table', 0);
        return {
          body: input,
          units: 0,
          unprocessed: 0,
          finish: (out) => {
            this.chargeRead(table, [pk], out);
            return out;
          },
        };
      }
      case 'BatchGetItem':
        return this.batchGet(input);
      default:
        return pass(0);
    }
  }

  /** Takes `units` from the partition and the table, or says which one throttles. */
  private write(table: string, pk: string, units: number): Admission | undefined {
    const p = this.partitionW(table, pk);
    const t = this.tableW(table);
    if (!p.fits(units)) return this.throttle('partition', units);
    if (!t.fits(units)) return this.throttle('table', units);
    p.take(units);
    t.take(units);
    return undefined;
  }

  private transact(input: Json): Admission | undefined {
    const items = (input.TransactItems ?? []) as {
      Put?: { TableName: string; Item: AttrMap };
      Delete?: { TableName: string; Key: AttrMap };
      Update?: { TableName: string; Key: AttrMap };
    }[];
    const parts = items.map((t) => {
      const table = (t.Put ?? t.Delete ?? t.Update)?.TableName ?? '';
      return {
        table,
        pk: (t.Put?.Item ?? t.Delete?.Key ?? t.Update?.Key)?.namespace?.S ?? '',
        units: 2 * (t.Put ? writeUnitsOf(t.Put.Item) : 1),
      };
    });
    const total = parts.reduce((s, p) => s + p.units, 0);
    for (const p of parts)
      if (!this.partitionW(p.table, p.pk).fits(p.units) || !this.tableW(p.table).fits(total)) return this.throttle('partition', total);
    for (const p of parts) {
      this.partitionW(p.table, p.pk).take(p.units);
      this.tableW(p.table).take(p.units);
    }
    return undefined;
  }

  private batchWrite(input: Json): Admission {
    const requestItems = (input.RequestItems ?? {}) as Record<
      string,
      { PutRequest?: { Item: AttrMap }; DeleteRequest?: { Key: AttrMap } }[]
    >;
    const kept: typeof requestItems = {};
    const held: typeof requestItems = {};
    let units = 0;
    let heldCount = 0;
    for (const [table, requests] of Object.entries(requestItems)) {
      for (const r of requests) {
        const item = r.PutRequest?.Item ?? r.DeleteRequest?.Key;
        const u = r.PutRequest ? writeUnitsOf(item) : 1;
        if (this.write(table, item?.namespace?.S ?? '', u) === undefined) {
          (kept[table] ??= []).push(r);
          units += u;
        } else {
          this.stats.throttledRequests--; // counted once below, for the request, not per item
          (held[table] ??= []).push(r);
          heldCount++;
        }
      }
    }
    if (Object.keys(kept).length === 0 && heldCount > 0) return this.throttle('partition', 0);
    this.stats.unprocessedEntries += heldCount;
    return {
      body: { ...input, RequestItems: kept },
      units,
      unprocessed: heldCount,
      finish(output) {
        if (!output || heldCount === 0) return output;
        const un = (output.UnprocessedItems ?? {}) as typeof requestItems;
        for (const [table, list] of Object.entries(held)) un[table] = [...(un[table] ?? []), ...list];
        return { ...output, UnprocessedItems: un };
      },
    };
  }

  private batchStatements(input: Json): Admission {
    const held = new Map<number, StatementError>();
    let units = 0;
    ((input.Statements ?? []) as PartiqlStatement[]).forEach((st, i) => {
      const row = statementRow(st);
      const u = writeUnitsOf({ ...statementItem(st), namespace: { S: row.namespace }, key: { S: row.key } });
      const throttled = this.write(statementTable(st), row.namespace, u);
      if (throttled === undefined) units += u;
      else held.set(i, STATEMENT_THROTTLED[throttled.throttle!.body.__type === THROTTLE_ANSWERS.table.__type ? 'table' : 'partition']);
    });
    const split = holdStatements(input, held);
    if (!split.forwarded) return { throttle: { status: 200, body: split.merge(undefined) }, units: 0 };
    // Each throttled statement was counted as a throttled request: it is one write that must be sent again.
    this.stats.unprocessedEntries += held.size;
    return { body: split.forwarded, units, unprocessed: held.size, finish: (out) => split.merge(out) };
  }

  private batchGet(input: Json): Admission {
    const requestItems = (input.RequestItems ?? {}) as Record<string, { Keys?: AttrMap[] } & Json>;
    const kept: typeof requestItems = {};
    const held: typeof requestItems = {};
    const pks: Record<string, string[]> = {};
    let heldCount = 0;
    for (const [table, spec] of Object.entries(requestItems)) {
      for (const key of spec.Keys ?? []) {
        const pk = key.namespace?.S ?? '';
        const ok = this.partitionR(table, pk).level() > 0 && this.tableR(table).level() > 0;
        const into = ok ? kept : held;
        (into[table] ??= { ...spec, Keys: [] }).Keys!.push(key);
        if (ok) (pks[table] ??= []).push(pk);
        else heldCount++;
      }
    }
    if (Object.keys(kept).length === 0 && heldCount > 0) return this.throttle('partition', 0);
    this.stats.unprocessedEntries += heldCount;
    return {
      body: { ...input, RequestItems: kept },
      units: 0,
      unprocessed: heldCount,
      finish: (output) => {
        for (const [table, list] of Object.entries(pks)) this.chargeRead(table, list, output, table);
        if (!output || heldCount === 0) return output;
        const un = (output.UnprocessedKeys ?? {}) as typeof requestItems;
        for (const [table, spec] of Object.entries(held)) un[table] = { ...spec, Keys: [...(un[table]?.Keys ?? []), ...spec.Keys!] };
        return { ...output, UnprocessedKeys: un };
      },
    };
  }

  /** Reads are charged after the fact, from the capacity the response reports, spread over the partitions read. */
  private chargeRead(table: string, pks: string[], output: Json | undefined, only?: string): void {
    const capacity = output?.ConsumedCapacity as
      | { TableName?: string; CapacityUnits?: number; ReadCapacityUnits?: number }[]
      | { CapacityUnits?: number }
      | undefined;
    const list = Array.isArray(capacity) ? capacity.filter((c) => !only || c.TableName === only) : capacity ? [capacity] : [];
    const units = list.reduce((s, c) => s + ((c as { ReadCapacityUnits?: number }).ReadCapacityUnits ?? c.CapacityUnits ?? 0), 0);
    if (units <= 0 || pks.length === 0) return;
    this.tableR(table).take(units);
    for (const pk of pks) this.partitionR(table, pk).take(units / pks.length);
  }
}

function firstString(values: AttrMap | undefined): string {
  for (const v of Object.values(values ?? {})) if (v?.S !== undefined) return v.S;
  return '';
}
