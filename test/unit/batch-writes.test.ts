// The statements of the writer's PartiQL batches (lib/store/batch-writes.ts): which ops they can carry, what
// they say, and how ops are grouped. That DynamoDB applies them as the PutItem would is shown against DynamoDB
// Local (test/integration/store-batches.test.ts).
import { describe, expect, it } from 'vitest';
import { MAX_STATEMENTS, THROTTLED_STATEMENTS, batchable, chunk, statementFor } from '../../lib/store/batch-writes.js';
import type { WriteOp } from '../../lib/store/init-plan.js';
import { encodeItem } from '../../lib/store/item-codec.js';
import { testFlag } from '../support/items.js';

type Put = Extract<WriteOp, { type: 'put' }>;
const put = (found: Put['found'], expect: Put['expect'], deleted = false): Put => ({
  type: 'put',
  item: encodeItem('env', 'features', deleted ? { key: 'k', version: 4, deleted: true } : testFlag('k', 4), 99),
  expect,
  found,
});

describe('batchable ops', () => {
  it('are puts whose condition follows from what the plan found: INSERT for an absent row, UPDATE for an older one', () => {
    expect(batchable(put('absent', { type: 'newer' }))).toBe(true);
    expect(batchable(put('live', { type: 'newer' }))).toBe(true);
    expect(batchable(put('tombstone', { type: 'newer' }))).toBe(true);
    expect(batchable(put('live', { type: 'live-newer' }))).toBe(true);
    // An exact-row condition, a removal or live-newer on an absent row stay single requests.
    expect(batchable(put('live', { type: 'exact', version: 9, asOf: 1 }))).toBe(false);
    expect(batchable(put('absent', { type: 'live-newer' }))).toBe(false);
    expect(batchable({ type: 'remove', kind: 'features', key: 'k', expect: { type: 'tombstone', version: 2 } })).toBe(false);
  });
});

describe('statements', () => {
  it('an INSERT binds every attribute of the row, in order', () => {
    const op = put('absent', { type: 'newer' });
    const st = statementFor('flags', op);
    expect(st.Statement).toBe(`INSERT INTO "flags" VALUE {'namespace': ?, 'key': ?, 'version': ?, 'asOf': ?, 'item': ?}`);
    expect(st.Parameters).toEqual(Object.values(op.item.attrs));
  });

  it('an UPDATE sets the new attributes, removes the ones the new row lacks, and holds only over an older version', () => {
    const st = statementFor('flags', put('tombstone', { type: 'newer' }));
    expect(st.Statement).toBe(
      `UPDATE "flags" SET "version" = ? SET "asOf" = ? SET "item" = ? REMOVE "itemGzip" REMOVE "deleted" ` +
        `WHERE "namespace" = ? AND "key" = ? AND "version" < ?`,
    );
    expect(st.Parameters).toEqual([
      { N: '4' },
      { N: '99' },
      expect.objectContaining({ S: expect.any(String) }),
      { S: 'env:features' },
      { S: 'k' },
      { N: '4' },
    ]);
    // What a stale snapshot may do: move a live row forward, never over a tombstone.
    expect(statementFor('flags', put('live', { type: 'live-newer' })).Statement).toMatch(/AND "version" < \? AND "deleted" IS MISSING$/);
    // A tombstone written by UPDATE keeps its `deleted` attribute.
    expect(statementFor('flags', put('live', { type: 'newer' }, true)).Statement).toContain('SET "deleted" = ?');
  });
});

describe('chunks', () => {
  it('hold at most 25 statements and about 1 MB of items, in order', () => {
    const small = Array.from({ length: 60 }, (_, i) => ({ i, bytes: 1_000 }));
    expect(chunk(small, (e) => e.bytes).map((c) => c.length)).toEqual([MAX_STATEMENTS, MAX_STATEMENTS, 10]);
    const large = Array.from({ length: 7 }, (_, i) => ({ i, bytes: 390_000 }));
    const chunks = chunk(large, (e) => e.bytes);
    expect(chunks.map((c) => c.length)).toEqual([2, 2, 2, 1]);
    expect(chunks.flat().map((e) => e.i)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('hold at most 8 statements once the table throttles', () => {
    const small = Array.from({ length: 20 }, (_, i) => ({ i, bytes: 1_000 }));
    expect(chunk(small, (e) => e.bytes, THROTTLED_STATEMENTS).map((c) => c.length)).toEqual([8, 8, 4]);
  });
});
