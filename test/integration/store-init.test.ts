// DynamoDBFlagStore.init against DynamoDB Local: our write rules (a diff against the table, write order, read
// hints, bulk batches, no rollback by an older data set) and injected faults (throttling, a write that keeps
// failing, an unreachable DynamoDB). Each case runs without and with a key prefix; the store's basic
// semantics are in store.test.ts.
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBFlagStore, WriteFailedError } from '../../lib/store/index.js';
import { PAGE_BYTES, decodeReadHints, encodeReadHints } from '../../lib/store/read-hints.js';
import { dataSetOf, testFlag, testSegment } from '../support/items.js';
import { freshTable, localClient } from '../support/tables.js';
import { recordWrites } from '../support/write-recorder.js';

const flag = testFlag;
const segment = testSegment;
const dataSet = dataSetOf;

let client: DynamoDBClient;
beforeAll(() => {
  client = localClient();
});
afterAll(() => client.destroy());

for (const prefix of [undefined, 'env1']) {
  describe(`DynamoDBFlagStore ${prefix ? `with prefix "${prefix}"` : 'without a prefix'}`, () => {
    describe('diff-based init', () => {
      it('a re-sync with nothing changed writes nothing; with changes writes exactly those', async () => {
        const t = await freshTable(client, 'diff');
        const s = new DynamoDBFlagStore({ tableName: t, prefix, client });
        const flags = Array.from({ length: 300 }, (_, i) => flag(`f${i}`, 1, { description: 'x'.repeat(1200) }));
        const first = await s.init(dataSet(flags, [segment('s', 1)]));
        expect(first).toMatchObject({ written: 301, unchanged: 0 });
        const again = await s.init(dataSet(flags, [segment('s', 1)]));
        expect(again).toMatchObject({ written: 0, unchanged: 301, deleted: 0 });
        expect(again.writeCapacityUnits).toBe(0);
        expect(again.requests.PutItem ?? 0).toBe(0);
        expect(again.requests.TransactWriteItems ?? 0).toBe(0);
        const changed = flags.map((f, i) => (i % 100 === 0 ? { ...f, version: 2, on: false } : f));
        const third = await s.init(dataSet(changed, [segment('s', 1)]));
        expect(third).toMatchObject({ written: 3, unchanged: 298 });
        // The 3 flags in one batch and the snapshot claim; the marker is already there.
        expect(third.requests).toMatchObject({ BatchExecuteStatement: 1, PutItem: 1 });
        expect(third.writeCapacityUnits).toBeLessThan(3 * 2 + 3);
        expect(await s.get('features', 'f100')).toMatchObject({ version: 2, on: false });
      });

      it('writes segments, then flags after their prerequisites, then deletions dependents first, then the marker', async () => {
        const t = await freshTable(client, 'order');
        const c = localClient();
        const s = new DynamoDBFlagStore({ tableName: t, prefix, client: c });
        // Keys chosen so that a table scan or key order would delete the prerequisite first.
        await s.init(
          dataSet(
            [flag('gone-a-base', 1), flag('gone-b-top', 1, { prerequisites: [{ key: 'gone-a-base', variation: 0 }] })],
            [segment('old-seg', 1)],
          ),
        );
        // Remove the marker so this init has to write it again: it must come last.
        const marker = prefix ? `${prefix}:$inited` : '$inited';
        await client.send(new DeleteItemCommand({ TableName: t, Key: { namespace: { S: marker }, key: { S: marker } } }));
        const log = recordWrites(c);
        await s.init(
          dataSet(
            [
              flag('top', 1, { prerequisites: [{ key: 'mid', variation: 0 }] }),
              flag('mid', 1, { prerequisites: [{ key: 'base', variation: 0 }] }),
              flag('base', 1),
              flag('free', 1),
            ],
            [segment('seg', 1)],
          ),
        );
        const order = log.flatMap((e) => e.keys);
        const at = (k: string) => order.indexOf(k);
        expect(at('seg')).toBeLessThan(at('base'));
        expect(at('base')).toBeLessThan(at('mid'));
        expect(at('mid')).toBeLessThan(at('top'));
        expect(at('top')).toBeLessThan(at('gone-b-top'));
        expect(at('gone-b-top')).toBeLessThan(at('gone-a-base'));
        expect(at('gone-a-base')).toBeLessThan(at('old-seg'));
        expect(order.at(-1)).toBe(marker);
        c.destroy();
      });

      it('keeps read hints beside the data, rewritten only when references or sizes change', async () => {
        const t = await freshTable(client, 'hints');
        const s = new DynamoDBFlagStore({ tableName: t, prefix, client });
        const flags = Array.from({ length: 600 }, (_, i) => flag(`f${String(i).padStart(3, '0')}`, 1, { description: 'x'.repeat(1800) }));
        flags.push(
          flag('top', 1, { prerequisites: [{ key: 'mid', variation: 0 }] }),
          flag('mid', 1, { prerequisites: [{ key: 'f000', variation: 0 }] }),
        );
        expect(await s.init(dataSet(flags))).toMatchObject({ hintsWritten: true });
        const id = prefix ? `${prefix}:$readHints` : '$readHints';
        const row = (await client.send(new GetItemCommand({ TableName: t, Key: { namespace: { S: id }, key: { S: id } } }))).Item!;
        const hints = decodeReadHints(row.hints?.B);
        expect(hints?.refs).toEqual({ 'f:mid': ['f:f000'] });
        expect(hints?.ranges.features.length).toBeGreaterThan(0);
        expect(row).toMatchObject({ featureCount: { N: '602' }, segmentCount: { N: '0' } });
        // Outside LaunchDarkly's namespaces: all() and LaunchDarkly's readers never see it.
        expect(Object.keys(await s.all('features'))).toHaveLength(602);

        // Nothing changed, or only contents: the hints stay as they are (0 write units for an unchanged re-sync).
        const same = await s.init(dataSet(flags));
        expect(same).toMatchObject({ written: 0, unchanged: 602, hintsWritten: false, writeCapacityUnits: 0 });
        // Its version reads ran over the hinted ranges in parallel (one query each, the segments one more),
        // and found every item: nothing was taken for new.
        expect(same.requests.Query).toBe(hints!.ranges.features.length + 2);
        const edited = flags.map((f) => (f.key === 'f001' ? { ...f, version: 2 } : f));
        expect(await s.init(dataSet(edited))).toMatchObject({ written: 1, hintsWritten: false });
        // A changed reference is a new plan.
        const rewired = edited.map((f) => (f.key === 'mid' ? { ...f, version: 2, prerequisites: [{ key: 'f002', variation: 0 }] } : f));
        expect(await s.init(dataSet(rewired))).toMatchObject({ written: 1, hintsWritten: true });
        const after = (await client.send(new GetItemCommand({ TableName: t, Key: { namespace: { S: id }, key: { S: id } } }))).Item!;
        expect(decodeReadHints(after.hints?.B)?.refs).toEqual({ 'f:mid': ['f:f002'] });
        // Each namespace's stored size rides along: here more than one Query page of flags.
        const sized = decodeReadHints(after.hints?.B)!;
        expect(sized.bytes!.features).toBeGreaterThan(600 * 1800);
        expect(sized.bytes!.features).toBeGreaterThan(PAGE_BYTES);
        expect(sized.bytes!.segments).toBe(0);

        // Hints stored before sizes were recorded are rewritten once, then left alone again.
        const { bytes: unsized } = encodeReadHints({ format: sized.format, ranges: sized.ranges, refs: sized.refs });
        await client.send(new PutItemCommand({ TableName: t, Item: { ...after, hints: { B: unsized } } }));
        expect(await s.init(dataSet(rewired))).toMatchObject({ written: 0, hintsWritten: true });
        expect(await s.init(dataSet(rewired))).toMatchObject({ written: 0, hintsWritten: false });

        // Contents only, but the flags now fit one page: readers may read them whole, so the plan changes.
        const shrunk = rewired.map((f) => (f.key.startsWith('f') ? { ...f, version: f.version + 1, description: 'short' } : f));
        expect(await s.init(dataSet(shrunk))).toMatchObject({ written: 600, hintsWritten: true });
        const small = (await client.send(new GetItemCommand({ TableName: t, Key: { namespace: { S: id }, key: { S: id } } }))).Item!;
        expect(decodeReadHints(small.hints?.B)?.bytes?.features).toBeLessThan(PAGE_BYTES);
      });

      it('bulk loads are conditional writes in batches of 25 at 1× write units and still never roll back', async () => {
        const t = await freshTable(client, 'bulk');
        const s = new DynamoDBFlagStore({ tableName: t, prefix, client });
        await s.upsert('features', flag('f7', 9));
        const summary = await s.init(dataSet(Array.from({ length: 250 }, (_, i) => flag(`f${i}`, 3, { description: 'x'.repeat(1500) }))));
        expect(summary.requests.TransactWriteItems).toBeUndefined();
        expect(summary.requests.BatchWriteItem).toBeUndefined();
        expect(summary.requests.BatchExecuteStatement).toBe(10);
        // f7 is newer in the table, so the plan skips it; the other requests are the claim and the marker.
        expect(summary.requests.PutItem).toBe(2);
        expect(summary).toMatchObject({ written: 249, stale: 1 });
        // Each flag is 1-2 KB: 2 units each, as DynamoDB bills a PutItem; the rest is the claim, hints and marker.
        expect(summary.writeCapacityUnits).toBeGreaterThanOrEqual(2 * 250);
        expect(summary.writeCapacityUnits).toBeLessThan(2 * 250 + 10);
        expect(await s.get('features', 'f7')).toMatchObject({ version: 9 });
        expect(Object.keys(await s.all('features'))).toHaveLength(250);
      });

      it('an older full data set arriving after a newer one rolls nothing back and deletes nothing', async () => {
        const t = await freshTable(client, 'stale');
        const s = new DynamoDBFlagStore({ tableName: t, prefix, client });
        const older = dataSet([flag('x', 1), flag('y', 1)]);
        const newer = dataSet([flag('x', 2), flag('y', 1), flag('z', 1)]);
        await s.init(newer);
        const summary = await s.init(older);
        expect(summary).toMatchObject({ written: 0, stale: 1, deleted: 0, deletesSkipped: 1 });
        expect(await s.get('features', 'x')).toMatchObject({ version: 2 });
        expect(await s.get('features', 'z')).toMatchObject({ version: 1 });
      });
    });

    describe('faults', () => {
      it('throttling mid-init is retried until every item arrives', async () => {
        const t = await freshTable(client, 'faults');
        const c = localClient();
        let injected = 0;
        let n = 0;
        // Every third request is throttled, but no item more than 3 times: a fixed pattern could otherwise lock
        // onto the last retries of a wave and throttle the same item past the retry bound, which is not what
        // this case is about (the bound has its own case below).
        const perItem = new Map<string, number>();
        c.middlewareStack.add(
          (next, context) => async (args) => {
            n++;
            const name = context.commandName;
            const item: string = (args.input as { Item?: { key?: { S?: string } } }).Item?.key?.S ?? name ?? '';
            if ((name === 'PutItemCommand' || name === 'QueryCommand') && n % 3 === 0 && (perItem.get(item) ?? 0) < 3) {
              perItem.set(item, (perItem.get(item) ?? 0) + 1);
              injected++;
              const kind = n % 2 === 0 ? 'ProvisionedThroughputExceededException' : 'ThrottlingException';
              throw Object.assign(new Error('Rate exceeded'), { name: kind, $metadata: { httpStatusCode: 400 } });
            }
            return next(args);
          },
          { step: 'initialize', name: 'throttle' },
        );
        const s = new DynamoDBFlagStore({ tableName: t, prefix, client: c, retry: { baseDelayMs: 1, maxDelayMs: 5 } });
        const flags = Array.from({ length: 200 }, (_, i) => flag(`f${i}`, 1));
        const segs = Array.from({ length: 20 }, (_, i) => segment(`s${i}`, 1));
        const summary = await s.init(dataSet(flags, segs));
        expect(injected).toBeGreaterThan(0);
        expect(summary.retries).toBeGreaterThan(0);
        const check = new DynamoDBFlagStore({ tableName: t, prefix, client, consistentReads: true });
        expect(Object.keys(await check.all('features'))).toHaveLength(200);
        expect(Object.keys(await check.all('segments'))).toHaveLength(20);
        expect(await check.initialized()).toBe(true);
        // and small diffs through single puts
        const bumped = flags.map((f, i) => (i < 10 ? { ...f, version: 2 } : f));
        expect(await s.init(dataSet(bumped, segs))).toMatchObject({ written: 10, unchanged: 210 });
        for (let i = 0; i < 10; i++) expect(await check.get('features', `f${i}`)).toMatchObject({ version: 2 });
        c.destroy();
      });

      it('a write that keeps failing rejects with the keys not written, and the marker is not set', async () => {
        const t = await freshTable(client, 'fail');
        const c = localClient();
        c.middlewareStack.add(
          (next, context) => async (args) => {
            const key = (args.input as any).Item?.key?.S;
            if (context.commandName === 'PutItemCommand' && key === 'mid') {
              throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
            }
            return next(args);
          },
          { step: 'initialize', name: 'always-fail' },
        );
        const s = new DynamoDBFlagStore({ tableName: t, prefix, client: c, retry: { maxAttempts: 3, baseDelayMs: 1 } });
        const err = await s
          .init(
            dataSet([
              flag('base', 1),
              flag('mid', 1, { prerequisites: [{ key: 'base', variation: 0 }] }),
              flag('top', 1, { prerequisites: [{ key: 'mid', variation: 0 }] }),
            ]),
          )
          .then(
            () => undefined,
            (e) => e,
          );
        expect(err).toBeInstanceOf(WriteFailedError);
        expect(err.unwritten.map((u: { key: string }) => u.key)).toEqual(['mid', 'top', prefix ? `${prefix}:$inited` : '$inited']);
        expect(err.message).toMatch(/3 item\(s\) could not be written to DynamoDB after retries: features\/mid, features\/top/);
        expect(err.cause.name).toBe('ThrottlingException');
        const check = new DynamoDBFlagStore({ tableName: t, prefix, client });
        expect(await check.get('features', 'base')).toMatchObject({ version: 1 });
        expect(await check.get('features', 'top')).toBeNull();
        expect(await check.initialized()).toBe(false);
        await expect(s.upsert('features', flag('mid', 2))).rejects.toThrow(/1 item\(s\) could not be written.*features\/mid/);
        c.destroy();
      });

      it('a DynamoDB that cannot be reached rejects instead of hanging', async () => {
        const s = new DynamoDBFlagStore({
          tableName: 'unreachable',
          prefix,
          clientConfig: {
            endpoint: 'http://127.0.0.1:9',
            region: 'us-east-1',
            credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
            maxAttempts: 1,
          },
          retry: { maxAttempts: 2, baseDelayMs: 1 },
        });
        await expect(s.init(dataSet([flag('a', 1)]))).rejects.toThrow();
        await expect(s.get('features', 'a')).rejects.toThrow();
        s.close();
      });
    });
  });
}
