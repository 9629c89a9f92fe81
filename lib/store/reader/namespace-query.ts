// Reading a whole namespace (all flags or all segments) with Query. A namespace larger than one 1 MB page is
// read as key ranges in parallel rather than page after page: 10,000 flags are 14 pages, which in sequence
// cost 14 round trips. The writer's read hints give the ranges (each under one page); without them, the
// first page is read and the rest of the key space is cut at fixed points into ranges read at once.
import { COMPRESSED_ATTRIBUTE, type StoredRow } from '../layout.js';
import { rangeKeyCondition, rangesOf } from '../read-hints.js';
import type { QueryOutput, ReadTransport, Row } from '../transport/transport.js';

/**
 * Where a namespace without hints is cut. Flag keys are mostly lower-case words, so the points spread over
 * the alphabet; anything sorting before 'b' (digits, capitals) falls in the first range.
 */
const SPLIT_POINTS = ['b', 'c', 'd', 'e', 'g', 'i', 'l', 'm', 'o', 'p', 'r', 's', 't', 'v'];

export interface NamespaceQuery {
  transport: ReadTransport;
  tableName: string;
  consistentReads: boolean;
  namespace: string;
  /** The hints' split points for this namespace; empty when it fits one page or there are no hints. */
  splits: string[];
  /** Called once per row with a key (adjacent ranges share their boundary key: it is passed once). */
  take: (key: string, row: StoredRow) => void;
}

/** Reads every row of the namespace; rejects if any page fails. */
export async function readNamespace(q: NamespaceQuery): Promise<void> {
  const seen = new Set<string>();
  const take = (out: QueryOutput) => {
    for (const row of out.Items as StoredRow[]) {
      const key = row.key?.S;
      if (key === undefined || seen.has(key)) continue;
      seen.add(key);
      q.take(key, row);
    }
  };
  if (q.splits.length > 0) {
    await Promise.all(rangesOf(q.splits).map(([lo, hi]) => queryRange(q, lo, hi, take)));
    return;
  }
  const first = await query(q, {});
  const after = first.LastEvaluatedKey?.key?.S;
  const ranges: [string, string | undefined][] = [];
  if (after !== undefined) {
    let lo = after;
    for (const point of SPLIT_POINTS) {
      if (point <= lo) continue;
      ranges.push([lo, point]);
      lo = point;
    }
    ranges.push([lo, undefined]);
  }
  const rest = Promise.all(ranges.map(([lo, hi]) => queryRange(q, lo, hi, take)));
  take(first);
  await rest;
}

/**
 * Reads the namespace as one Query page, before its size is known. True when that page is the whole
 * namespace (its rows are then passed to `take`); false when there is more, and nothing is taken: a partial
 * page joined to a later read of the rest would mix two moments of a table under sync.
 */
export async function readOnePage(q: Omit<NamespaceQuery, 'splits'>, signal?: AbortSignal): Promise<boolean> {
  const page = await query({ ...q, splits: [] }, { signal });
  if (page.LastEvaluatedKey) return false;
  for (const row of page.Items as StoredRow[]) {
    const key = row.key?.S;
    if (key !== undefined) q.take(key, row);
  }
  return true;
}

/** Pages through the keys from `lo` to `hi` (both included; no bound where one is undefined). */
async function queryRange(
  q: NamespaceQuery,
  lo: string | undefined,
  hi: string | undefined,
  take: (out: QueryOutput) => void,
): Promise<void> {
  let page: Promise<QueryOutput> | undefined = query(q, { lo, hi });
  while (page) {
    const out: QueryOutput = await page;
    // Ask for the next page before decoding this one, so decoding overlaps the network.
    page = out.LastEvaluatedKey ? query(q, { lo, hi, start: out.LastEvaluatedKey }) : undefined;
    take(out);
  }
}

/** One page: keys from `lo` to `hi` (no bound where undefined), from `start`; `signal` abandons it. */
function query(
  q: NamespaceQuery,
  { lo, hi, start, signal }: { lo?: string; hi?: string; start?: Row; signal?: AbortSignal },
): Promise<QueryOutput> {
  const range = rangeKeyCondition(lo, hi);
  return q.transport.query(
    {
      TableName: q.tableName,
      KeyConditionExpression: `#ns = :ns${range.expression}`,
      // Only what decoding needs: leaving out the repeated namespace and the version saves response bytes and parsing.
      ProjectionExpression: '#k, #item, #gz',
      ExpressionAttributeNames: { '#ns': 'namespace', '#k': 'key', '#item': 'item', '#gz': COMPRESSED_ATTRIBUTE },
      ExpressionAttributeValues: { ':ns': { S: q.namespace }, ...range.values },
      ConsistentRead: q.consistentReads,
      ExclusiveStartKey: start,
    },
    signal,
  );
}
