// The service-limits model the bench and tests put in front of DynamoDB Local (test/support/ddb-service-limits.ts).
import { describe, expect, it } from 'vitest';
import { ServiceLimits, THROTTLE_ANSWERS, itemBytes } from '../support/ddb-service-limits.js';

const put = (ns: string, bytes: number) => ({
  TableName: 't',
  Item: { namespace: { S: ns }, key: { S: 'k' }, item: { S: 'x'.repeat(bytes) } },
});

describe('service-limits model', () => {
  it('bills a write 1 unit per started KB of attribute names and values; transactions twice', () => {
    expect(itemBytes({ namespace: { S: 'features' }, key: { S: 'k' }, version: { N: '12' } })).toBe(9 + 8 + 3 + 1 + 7 + 2);
    const limits = new ServiceLimits({ now: () => 0 });
    expect(limits.admit('PutItem', put('features', 2000)).units).toBe(2);
    expect(limits.admit('DeleteItem', { TableName: 't', Key: { namespace: { S: 'features' }, key: { S: 'k' } } }).units).toBe(1);
  });

  it('throttles a partition key past 1,000 write units per second with ProvisionedThroughputExceededException, then refills', () => {
    let now = 0;
    const limits = new ServiceLimits({ now: () => now });
    let admitted = 0;
    for (let i = 0; i < 600; i++) if (!limits.admit('PutItem', put('env:features', 1500)).throttle) admitted++;
    expect(admitted).toBe(500);
    const answer = limits.admit('PutItem', put('env:features', 1500));
    expect(answer.throttle).toEqual({ status: 400, body: THROTTLE_ANSWERS.partition });
    // Another partition key is unaffected; after a second the first refills.
    expect(limits.admit('PutItem', put('env:segments', 100)).throttle).toBeUndefined();
    now += 1000;
    expect(limits.admit('PutItem', put('env:features', 1500)).throttle).toBeUndefined();
  });

  it('throttles the table past 4,000 write request units per second with ThrottlingException', () => {
    const limits = new ServiceLimits({ now: () => 0 });
    const answers = Array.from({ length: 4100 }, (_, i) => limits.admit('PutItem', put(`p${i % 10}`, 100)));
    expect(answers.filter((a) => !a.throttle)).toHaveLength(4000);
    expect(answers.at(-1)!.throttle?.body.__type).toBe('com.amazonaws.dynamodb.v20120810#ThrottlingException');
  });

  it('returns the throttled part of a BatchWriteItem in UnprocessedItems, and an error when nothing fits', () => {
    const limits = new ServiceLimits({ now: () => 0 });
    for (let i = 0; i < 495; i++) limits.admit('PutItem', put('features', 1500));
    const batch = { RequestItems: { t: Array.from({ length: 25 }, () => ({ PutRequest: put('features', 1500) })) } };
    const a = limits.admit('BatchWriteItem', batch);
    if (a.throttle) throw new Error('expected a partial batch');
    expect((a.body.RequestItems as { t: unknown[] }).t).toHaveLength(5);
    expect((a.finish({})!.UnprocessedItems as { t: unknown[] }).t).toHaveLength(20);
    expect(limits.admit('BatchWriteItem', batch).throttle?.body).toEqual(THROTTLE_ANSWERS.partition);
  });

  it('answers each throttled statement of a PartiQL batch with its own error, in place, billing the rest like PutItems', () => {
    const limits = new ServiceLimits({ now: () => 0 });
    for (let i = 0; i < 497; i++) limits.admit('PutItem', put('features', 1500)); // 6 units left
    const insert = (ns: string, key: string) => ({
      Statement: `INSERT INTO "t" VALUE {'namespace': ?, 'key': ?, 'item': ?}`,
      Parameters: [{ S: ns }, { S: key }, { S: 'x'.repeat(1500) }],
    });
    const update = (ns: string, key: string) => ({
      Statement: `UPDATE "t" SET "item" = ? WHERE "namespace" = ? AND "key" = ? AND "version" < ?`,
      Parameters: [{ S: 'x'.repeat(1500) }, { S: ns }, { S: key }, { N: '3' }],
    });
    const statements = [
      insert('features', 'a'),
      update('segments', 'b'),
      insert('features', 'c'),
      insert('features', 'd'),
      update('features', 'e'),
    ];
    const a = limits.admit('BatchExecuteStatement', { Statements: statements });
    if (a.throttle) throw new Error('expected a partial answer');
    // 2 units each: a, c and d fit the hot partition's 6 units; e does not; b is another partition.
    expect(a.units).toBe(8);
    expect(a.body.Statements).toEqual([statements[0], statements[1], statements[2], statements[3]]);
    const merged = a.finish({ Responses: [{ TableName: 't' }, { TableName: 't' }, { TableName: 't' }, { TableName: 't' }] });
    expect(merged?.Responses).toEqual([
      { TableName: 't' },
      { TableName: 't' },
      { TableName: 't' },
      { TableName: 't' },
      { TableName: 't', Error: { Code: 'ProvisionedThroughputExceeded', Message: THROTTLE_ANSWERS.partition.message } },
    ]);
    // Nothing fits: answered with every statement's error, nothing forwarded.
    const none = limits.admit('BatchExecuteStatement', { Statements: [insert('features', 'f')] });
    expect(none.throttle).toEqual({
      status: 200,
      body: {
        Responses: [{ TableName: 't', Error: { Code: 'ProvisionedThroughputExceeded', Message: THROTTLE_ANSWERS.partition.message } }],
      },
    });
  });

  it('charges reads after the fact from the capacity reported, and throttles a partition in debt', () => {
    const limits = new ServiceLimits({ now: () => 0 });
    const q = { TableName: 't', KeyConditionExpression: '#ns = :ns', ExpressionAttributeValues: { ':ns': { S: 'features' } } };
    const a = limits.admit('Query', q);
    if (a.throttle) throw new Error('expected the query to pass');
    a.finish({ ConsumedCapacity: { TableName: 't', CapacityUnits: 3500 } });
    expect(limits.admit('Query', q).throttle?.body).toEqual(THROTTLE_ANSWERS.partition);
  });
});
