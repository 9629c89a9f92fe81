// The example consumer the stack deploys (functions/example-consumer.ts), run as Lambda would run it: its
// environment set before the module loads, the handler called with events, the flag read from a table the sync's
// writer filled (DynamoDB Local, reached through the SDK's standard endpoint variable).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import { dynamoEndpoint, freshTable, localClient, localCredentials } from '../support/tables.js';

const flag = {
  key: 'new-checkout',
  version: 3,
  on: true,
  salt: 'new-checkout',
  variations: ['old', 'new'],
  offVariation: 0,
  fallthrough: { variation: 0 },
  targets: [{ values: ['beta-tester'], variation: 1 }],
  rules: [],
  prerequisites: [],
};

let handler: typeof import('../../functions/example-consumer.js').handler;

beforeAll(async () => {
  const client = localClient();
  const tableName = await freshTable(client, 'consumer');
  // Another environment's copy of the flag, under another prefix, must not be read.
  await new DynamoDBFlagStore({ tableName, prefix: 'stg', client }).init({ flags: { [flag.key]: flag }, segments: {} });
  await new DynamoDBFlagStore({ tableName, prefix: 'prod', client }).init({
    flags: { [flag.key]: { ...flag, fallthrough: { variation: 1 }, targets: [] } },
    segments: {},
  });
  client.destroy();

  vi.stubEnv('TABLE_NAME', tableName);
  vi.stubEnv('FLAG_KEY', flag.key);
  vi.stubEnv('FLAG_PREFIX', 'stg');
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamoEndpoint());
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', localCredentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', localCredentials.secretAccessKey);
  ({ handler } = await import('../../functions/example-consumer.js'));
});

afterAll(() => {
  vi.unstubAllEnvs();
});

describe('the example consumer', () => {
  it('evaluates the flag for the context key in the event, from its environment’s prefix', async () => {
    await expect(handler({ key: 'beta-tester' })).resolves.toEqual({
      flagKey: 'new-checkout',
      value: 'new',
      variationIndex: 1,
      reason: { kind: 'TARGET_MATCH' },
    });
    await expect(handler({ key: 'someone-else' })).resolves.toMatchObject({ value: 'old', reason: { kind: 'FALLTHROUGH' } });
  });

  it('takes a full LaunchDarkly context, and falls back to an anonymous user', async () => {
    await expect(handler({ context: { kind: 'user', key: 'beta-tester', name: 'Beta' } })).resolves.toMatchObject({ value: 'new' });
    await expect(handler(undefined)).resolves.toMatchObject({ value: 'old', reason: { kind: 'FALLTHROUGH' } });
  });
});
