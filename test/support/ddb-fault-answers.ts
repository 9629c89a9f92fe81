// The answers the fault proxy (ddb-fault-proxy.ts) gives in DynamoDB's place: its error faults, and the
// partial answers of batch requests (part of a batch held back and reported unprocessed or throttled).
import type { FaultKind } from './ddb-fault-proxy.js';
import { holdStatements } from './partiql.js';

const DDB = 'com.amazonaws.dynamodb.v20120810';
const THROTTLED_STATEMENT = { Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity of your table or index.' };

export interface ErrorFault {
  status: number;
  type: string;
  message: string;
}

export const ERROR_FAULTS: Partial<Record<FaultKind, ErrorFault>> = {
  'throughput-exceeded': {
    status: 400,
    type: `${DDB}#ProvisionedThroughputExceededException`,
    message:
      'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  },
  throttling: {
    status: 400,
    type: 'com.amazon.coral.availability#ThrottlingException',
    message: 'Rate of requests exceeds the allowed throughput.',
  },
  'request-limit': {
    status: 400,
    type: `${DDB}#RequestLimitExceeded`,
    message:
      'Throughput exceeds the current throughput limit for your account. Please contact AWS Support at https://aws.amazon.com/support request a limit increase',
  },
  'internal-error': { status: 500, type: `${DDB}#InternalServerError`, message: 'Internal server error (injected)' },
  'access-denied': {
    status: 400,
    type: 'com.amazon.coral.service#AccessDeniedException',
    message:
      'User: arn:aws:sts::123456789012:assumed-role/sync/fn is not authorized to perform: dynamodb:PartiQLInsert on resource: arn:aws:dynamodb:us-east-1:123456789012:table/flags because no identity-based policy allows the dynamodb:PartiQLInsert action',
  },
  'service-unavailable': {
    status: 503,
    type: 'com.amazon.coral.availability#ServiceUnavailableException',
    message: 'Service unavailable (injected)',
  },
};

/** A TransactionCanceledException for a transaction one of whose parts was throttled, as DynamoDB words it. */
export function transactionThrottled(body: Record<string, unknown>, random: () => number): string {
  const items = Array.isArray(body.TransactItems) ? body.TransactItems.length : 1;
  // At least one reason says ThrottlingError, the others None: DynamoDB's shape for a throttled transaction.
  const throttled = Math.floor(random() * items);
  const reasons = Array.from({ length: items }, (_, i) => (i === throttled ? THROTTLED_STATEMENT : { Code: 'None' }));
  const codes = reasons.map((r) => r.Code).join(', ');
  const text = `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes}]`;
  return JSON.stringify({ __type: `${DDB}#TransactionCanceledException`, Message: text, message: text, CancellationReasons: reasons });
}

/** Which of `n` entries to move: about `fraction` of them, at least one, never all (DynamoDB always makes progress or throttles). */
function pickMoved(n: number, fraction: number, random: () => number): Set<number> {
  const moved = new Set<number>();
  if (n < 2) return moved;
  const count = Math.max(1, Math.min(n - 1, Math.round(n * fraction + (random() - 0.5))));
  // Random positions, so the first, middle and last entries of a batch all get exercised.
  while (moved.size < count) moved.add(Math.floor(random() * n));
  return moved;
}

interface Split {
  forwarded: Record<string, unknown>;
  moved: number;
  merge: (response: Record<string, unknown>) => void;
}

/** Splits table → entries into the kept and the moved entries; undefined when nothing can be moved. */
function splitEntries<T>(byTable: Record<string, T[]>, fraction: number, random: () => number) {
  const flat = Object.entries(byTable).flatMap(([table, list]) => list.map((entry) => ({ table, entry })));
  const chosen = pickMoved(flat.length, fraction, random);
  if (chosen.size === 0) return undefined;
  const kept: Record<string, T[]> = {};
  const moved: Record<string, T[]> = {};
  flat.forEach(({ table, entry }, i) => {
    const into = chosen.has(i) ? moved : kept;
    (into[table] ??= []).push(entry);
  });
  return { kept, moved, count: chosen.size };
}

/** The Unprocessed* (or per-statement) split of a batch request, by operation; undefined when nothing can be moved. */
export function splitBatch(operation: string, body: Record<string, unknown>, fraction: number, random: () => number): Split | undefined {
  if (operation === 'BatchGetItem') return splitBatchGet(body, fraction, random);
  if (operation === 'BatchWriteItem') return splitBatchWrite(body, fraction, random);
  return splitStatements(body, fraction, random);
}

function splitBatchGet(body: Record<string, unknown>, fraction: number, random: () => number): Split | undefined {
  const requestItems = body.RequestItems as Record<string, { Keys?: unknown[] } & Record<string, unknown>> | undefined;
  if (!requestItems) return undefined;
  const keys = Object.fromEntries(Object.entries(requestItems).map(([table, spec]) => [table, spec.Keys ?? []]));
  const split = splitEntries(keys, fraction, random);
  if (!split) return undefined;
  const withSpec = (part: Record<string, unknown[]>) =>
    Object.fromEntries(Object.entries(part).map(([table, list]) => [table, { ...requestItems[table], Keys: list }]));
  return {
    forwarded: { ...body, RequestItems: withSpec(split.kept) },
    moved: split.count,
    merge(response) {
      const unprocessed = (response.UnprocessedKeys ?? {}) as Record<string, { Keys?: unknown[] }>;
      for (const [table, spec] of Object.entries(withSpec(split.moved))) {
        unprocessed[table] = { ...spec, Keys: [...(unprocessed[table]?.Keys ?? []), ...spec.Keys] };
      }
      response.UnprocessedKeys = unprocessed;
    },
  };
}

function splitBatchWrite(body: Record<string, unknown>, fraction: number, random: () => number): Split | undefined {
  const requestItems = body.RequestItems as Record<string, unknown[]> | undefined;
  if (!requestItems) return undefined;
  const split = splitEntries(requestItems, fraction, random);
  if (!split) return undefined;
  return {
    forwarded: { ...body, RequestItems: split.kept },
    moved: split.count,
    merge(response) {
      const unprocessed = (response.UnprocessedItems ?? {}) as Record<string, unknown[]>;
      for (const [table, list] of Object.entries(split.moved)) unprocessed[table] = [...(unprocessed[table] ?? []), ...list];
      response.UnprocessedItems = unprocessed;
    },
  };
}

function splitStatements(body: Record<string, unknown>, fraction: number, random: () => number): Split | undefined {
  const statements = Array.isArray(body.Statements) ? body.Statements : [];
  const moved = pickMoved(statements.length, fraction, random);
  if (moved.size === 0) return undefined;
  const hold = holdStatements(body, new Map([...moved].map((i) => [i, THROTTLED_STATEMENT])));
  return {
    forwarded: hold.forwarded!,
    moved: moved.size,
    merge(response) {
      Object.assign(response, hold.merge(response));
    },
  };
}
