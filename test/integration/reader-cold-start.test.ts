// The reader's cold start under the real @launchdarkly/node-server-sdk v9, on DynamoDB Local: a page of each
// namespace travels beside the first batch; a namespace that fits it is adopted whole, one that does not is
// dropped for item reads. What is shown: one read moment per evaluation (a flag is never evaluated with a
// prerequisite from another read of the table, whichever read DynamoDB answers first), and an environment
// larger than a page reads as before (the flag, then its dependency tree in one batch) and evaluates right.
import { setImmediate } from 'node:timers/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { init, type LDClient } from '@launchdarkly/node-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import { ReadOnlyFeatureStore } from '../../lib/store/reader.js';
import { captureLogger } from '../support/capture-logger.js';
import { generateContexts, generateEnvironment } from '../support/generate-environment.js';
import { dataSetOf, testFlag } from '../support/items.js';
import { countRequests } from '../support/request-counter.js';
import { freshTable, localClient } from '../support/tables.js';
import { memorySdk } from '../support/memory-sdk.js';

const flag = testFlag;

/** checkout needs payments to serve true. */
const before = dataSetOf([flag('payments', 3), flag('checkout', 7, { prerequisites: [{ key: 'payments', variation: 0 }] })]);
/** The next snapshot: payments now serves false, and checkout needs exactly that, and gate, created with it. */
const after = dataSetOf([
  flag('payments', 4, { fallthrough: { variation: 1 } }),
  flag('gate', 1),
  flag('checkout', 8, {
    prerequisites: [
      { key: 'payments', variation: 1 },
      { key: 'gate', variation: 0 },
    ],
  }),
]);
// Either snapshot alone serves checkout true; checkout from one moment with a prerequisite from the other
// serves false (payments the wrong way, or gate missing).

/**
 * Holds every request of operation `held` (and, if given, of namespace `namespace`) until `release` resolves;
 * `answered(op, n)` waits for n answers of op.
 */
function orderRequests(client: DynamoDBClient, held: string, release: () => Promise<void>, namespace?: string) {
  const answers: Record<string, number> = {};
  const waiters: { op: string; count: number; wake: () => void }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const op = String(context.commandName).replace(/Command$/, '');
      const ns = (args.input as { ExpressionAttributeValues?: Record<string, { S?: string }> }).ExpressionAttributeValues?.[':ns']?.S;
      if (op === held && (namespace === undefined || ns === namespace)) await release();
      const out = await next(args);
      answers[op] = (answers[op] ?? 0) + 1;
      for (const w of waiters.filter((w) => (answers[w.op] ?? 0) >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.wake();
      }
      return out;
    },
    { step: 'finalizeRequest', priority: 'low', name: 'orderRequests' },
  );
  return (op: string, count: number) =>
    new Promise<void>((wake) => ((answers[op] ?? 0) >= count ? wake() : waiters.push({ op, count, wake })));
}

async function readerSdk(table: string, client: DynamoDBClient, logger = captureLogger().logger): Promise<LDClient> {
  const sdk = init('sdk-reader', {
    useLdd: true,
    featureStore: ReadOnlyFeatureStore(table, { client }),
    sendEvents: false,
    diagnosticOptOut: true,
    logger,
  });
  await sdk.waitForInitialization({ timeout: 10 });
  return sdk;
}

let admin: DynamoDBClient;
beforeAll(() => {
  admin = localClient();
});
afterAll(() => {
  admin.destroy();
});

describe('ReadOnlyFeatureStore cold start: one read moment per evaluation', () => {
  for (const order of ['the pages answered first', 'the batch answered first'] as const) {
    it(`evaluates a flag and its prerequisite from one read when a sync lands between the first wave's reads (${order})`, async () => {
      const table = await freshTable(admin, 'reader-moment');
      const writer = new DynamoDBFlagStore({ tableName: table, client: admin });
      await writer.init(before);
      const client = localClient();
      let written = false;
      const sync = async () => {
        if (!written) await writer.init(after);
        written = true;
      };
      // One read waits for the other's answers, then for the sync: the two reads see two moments of the table.
      const [held, first] = order === 'the pages answered first' ? ['BatchGetItem', 'Query'] : ['Query', 'BatchGetItem'];
      const answered = orderRequests(client, held, async () => {
        await answered(first, first === 'Query' ? 2 : 1);
        await sync();
      });
      const log = captureLogger();
      const sdk = await readerSdk(table, client, log.logger);
      const context = { kind: 'user', key: 'u' };
      expect(await sdk.variationDetail('checkout', context, 'default')).toMatchObject({ value: true, reason: { kind: 'FALLTHROUGH' } });
      // Once both reads have answered, the cache still holds one moment: the later answer did not replace
      // checkout without its prerequisite.
      await answered(held, held === 'Query' ? 2 : 1);
      expect(written).toBe(true);
      // Right after the answer (before the store has taken it in), and once it has.
      expect(await sdk.variationDetail('checkout', context, 'default')).toMatchObject({ value: true, reason: { kind: 'FALLTHROUGH' } });
      await setImmediate(); // the answer is in; what is left of taking it in is promise callbacks
      expect(await sdk.variationDetail('checkout', context, 'default')).toMatchObject({ value: true, reason: { kind: 'FALLTHROUGH' } });
      expect(log.said()).toEqual([]);
      sdk.close();
      client.destroy();
    });
  }
});

describe('ReadOnlyFeatureStore cold start: an environment larger than one page', () => {
  it('does not wait for a page the hints say cannot hold the flags: the flag, then its dependency tree in one batch, evaluated as in memory', async () => {
    const table = await freshTable(admin, 'reader-large');
    const env = generateEnvironment({ flags: 1_000, seed: 21 });
    await new DynamoDBFlagStore({ tableName: table, client: admin }).init(env);
    const memory = await memorySdk(env);

    const withPrerequisites = Object.values(env.flags)
      .filter((f) => (f.prerequisites?.length ?? 0) > 0)
      .map((f) => f.key);
    expect(withPrerequisites.length).toBeGreaterThan(3);
    const client = localClient();
    const requests = countRequests(client);
    // The flags' page is held until the first evaluation is answered: it must not wait for it.
    let evaluated: () => void = () => {};
    const firstAnswered = new Promise<void>((resolve) => (evaluated = resolve));
    const answered = orderRequests(client, 'Query', () => firstAnswered, 'features');
    const log = captureLogger();
    const sdk = await readerSdk(table, client, log.logger);
    const [context] = generateContexts(1, 4);
    const first = withPrerequisites[0]!;
    expect(await sdk.variationDetail(first, context!, 'default')).toEqual(await memory.variationDetail(first, context!, 'default'));
    evaluated();
    await answered('Query', 1); // the segments' page, kept; the flags' page was abandoned, unanswered
    // The first wave: the batch and a page of each namespace; the hints (1.4 MB of flags) said the flags'
    // page could not hold them, so the flag's prerequisites came in one more batch.
    expect(requests.byOp).toEqual({ BatchGetItem: 2, Query: 2 });

    // Later flags are read as they are asked for; no namespace is read again.
    for (const key of withPrerequisites.slice(1, 4))
      expect(await sdk.variationDetail(key, context!, 'default')).toEqual(await memory.variationDetail(key, context!, 'default'));
    expect(requests.byOp.Query).toBe(2);
    expect(requests.byOp.BatchGetItem).toBeGreaterThan(2);
    expect(log.said()).toEqual([]);
    sdk.close();
    memory.close();
    client.destroy();
  });
});
