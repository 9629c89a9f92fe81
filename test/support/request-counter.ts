// Counts the requests an AWS SDK v3 DynamoDB client sends (every attempt, retries included), by operation,
// and the waves they came in: a request that starts after every earlier one has ended opens a new wave (the
// bench's rule, bench/cases/consumer.ts). Counting, not mocking: the requests still reach DynamoDB Local.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface RequestCounter {
  byOp: Record<string, number>;
  total(): number;
  /** Waves of requests so far. */
  waves(): number;
}

export function countRequests(client: DynamoDBClient): RequestCounter {
  const byOp: Record<string, number> = {};
  const spans: { startedAt: number; endedAt: number }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const op = String(context.commandName).replace(/Command$/, '');
      byOp[op] = (byOp[op] ?? 0) + 1;
      const span = { startedAt: performance.now(), endedAt: Number.POSITIVE_INFINITY };
      spans.push(span);
      try {
        return await next(args);
      } finally {
        span.endedAt = performance.now();
      }
    },
    // Inside the retry middleware (finalizeRequest, high priority), so each attempt counts.
    { step: 'finalizeRequest', priority: 'low', name: 'countRequests' },
  );
  const waves = () => {
    let count = 0;
    let lastEnd = Number.NEGATIVE_INFINITY;
    for (const span of [...spans].sort((a, b) => a.startedAt - b.startedAt)) {
      if (span.startedAt > lastEnd) count++;
      lastEnd = Math.max(lastEnd, span.endedAt);
    }
    return count;
  };
  return { byOp, total: () => Object.values(byOp).reduce((a, b) => a + b, 0), waves };
}
