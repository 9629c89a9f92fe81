// The options of the three SDK-facing stores (lib/store/options.ts): LaunchDarkly's names and ours are both
// accepted, and every mistake fails where the store is configured with a StoreOptionsError that names the
// store and the option, never echoing the value (it could be a credential). Behaviour of the accepted options
// against DynamoDB is in test/integration/drop-in.test.ts.
import { createRequire } from 'node:module';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LDOptions } from '@launchdarkly/node-server-sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoDBBigSegmentStore, DynamoDBFeatureStore, StoreOptionsError } from '../../lib/store/index.js';
import { resolveStoreOptions } from '../../lib/store/options.js';
import { ReadOnlyFeatureStore, ReaderOptionsError } from '../../lib/store/reader.js';

const require = createRequire(import.meta.url);
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';

const factories = {
  DynamoDBFeatureStore: (options: unknown) => DynamoDBFeatureStore('flags', options as never),
  ReadOnlyFeatureStore: (options: unknown) => ReadOnlyFeatureStore('flags', options as never),
  DynamoDBBigSegmentStore: (options: unknown) => DynamoDBBigSegmentStore('flags', options as never),
};
const client = new DynamoDBClient({
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
afterAll(() => client.destroy());
const logger = { error() {}, warn() {}, info() {}, debug() {} };

describe.each(Object.entries(factories))('%s options', (name, make) => {
  it('accepts LaunchDarkly’s names and ours, with null meaning "not given"', () => {
    for (const options of [
      undefined,
      {},
      { prefix: 'p', cacheTTL: null, logger, dynamoDBClient: client },
      { prefix: '', cacheTTL: 30, clientOptions: { region: 'eu-west-1' } },
      { prefix: 'p', cacheTTL: 0, consistentReads: true, client },
      { clientConfig: { region: 'eu-west-1' }, dynamoDBClient: null, prefix: null, logger: undefined },
    ]) {
      expect(typeof make(options), JSON.stringify(Object.keys(options ?? {}))).toBe('function');
    }
  });

  it('rejects a misspelt option by name, listing the known ones', () => {
    expect(() => make({ dynamoDbClient: client })).toThrow(
      `${name}: Unknown option 'dynamoDbClient'; expected one of prefix, cacheTTL, consistentReads, logger, client, dynamoDBClient, clientConfig, clientOptions`,
    );
  });

  it('takes LaunchDarkly’s dynamoDBClient with clientOptions as their store does: the client, and a warning', () => {
    const resolved = resolveStoreOptions(name, 'flags', { dynamoDBClient: client, clientOptions: { region: 'x' } });
    expect(resolved.client).toBe(client);
    expect(resolved.clientConfig).toBeUndefined();
    expect(resolved.warnings).toEqual([
      `${name}: 'clientOptions' is ignored because 'dynamoDBClient' is given (as in LaunchDarkly's store); remove one of them`,
    ]);
    expect(() => make({ dynamoDBClient: client, clientOptions: { region: 'x' } })).not.toThrow();
  });

  it('rejects a client together with a client configuration under our names, and two names for one option', () => {
    expect(() => make({ client, clientConfig: {} })).toThrow(
      `${name}: pass either 'client' or 'clientConfig', not both: a DynamoDB client, or the configuration to build one`,
    );
    expect(() => make({ client, clientOptions: {} })).toThrow(/either 'client' or 'clientOptions', not both/);
    expect(() => make({ client, dynamoDBClient: client })).toThrow(
      `${name}: 'client' and 'dynamoDBClient' are two names for the same option; pass one`,
    );
    expect(() => make({ clientConfig: {}, clientOptions: {} })).toThrow(
      "'clientConfig' and 'clientOptions' are two names for the same option",
    );
  });

  it('rejects the AWS SDK v2 DocumentClient LaunchDarkly’s older package took, naming what it needs', () => {
    const AWS = require('aws-sdk');
    const documentClient = new AWS.DynamoDB.DocumentClient({ region: 'us-east-1' });
    expect(() => make({ dynamoDBClient: documentClient })).toThrow(
      `${name}: option 'dynamoDBClient' must be a DynamoDBClient from @aws-sdk/client-dynamodb (AWS SDK v3), got an object (DocumentClient)`,
    );
  });

  it('rejects wrong values without echoing them', () => {
    const secret = 'AKIAIOSFODNN7EXAMPLE';
    const cases: [object, RegExp][] = [
      [{ cacheTTL: '30' }, /option 'cacheTTL' must be a number of seconds, 0 or more \(or null for the default of 15\), got string/],
      [{ cacheTTL: -1 }, /option 'cacheTTL' must be .*, got -1/],
      [{ prefix: 7 }, /option 'prefix' must be a string, got 7/],
      [{ consistentReads: 'yes' }, /option 'consistentReads' must be true or false, got string/],
      [{ logger: { error() {}, warn() {} } }, /option 'logger' must have the methods error, warn, info and debug; it lacks info, debug/],
      [{ clientOptions: secret }, /option 'clientOptions' must be a DynamoDBClientConfig object, got string/],
      [{ dynamoDBClient: secret }, /option 'dynamoDBClient' must be a DynamoDBClient .*, got string/],
      [[], /options must be an object, got an array/],
    ];
    for (const [options, message] of cases) {
      let error: unknown;
      try {
        make(options);
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(options)).toBeInstanceOf(StoreOptionsError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain(secret);
    }
  });

  it('rejects a table name DynamoDB would refuse', () => {
    const factory =
      name === 'DynamoDBFeatureStore'
        ? DynamoDBFeatureStore
        : name === 'ReadOnlyFeatureStore'
          ? ReadOnlyFeatureStore
          : DynamoDBBigSegmentStore;
    expect(() => factory('t', {})).toThrow(`${name}: tableName must be a DynamoDB table name (3 to 255 characters), got "t"`);
  });
});

it('the factories fit the SDK’s LDOptions as they are (checked by tsc, no casts)', () => {
  const options: LDOptions = {
    useLdd: true,
    featureStore: ReadOnlyFeatureStore('flags', { prefix: 'prod', cacheTTL: null, dynamoDBClient: client }),
    bigSegments: { store: DynamoDBBigSegmentStore('flags', { prefix: 'prod', dynamoDBClient: client }), staleAfter: 120 },
  };
  const readWrite: LDOptions = {
    featureStore: DynamoDBFeatureStore('flags', { prefix: 'prod', cacheTTL: 30, clientOptions: { region: 'eu-west-1' } }),
  };
  expect(typeof options.featureStore).toBe('function');
  expect(typeof readWrite.featureStore).toBe('function');
});

it('ReaderOptionsError is the same class as StoreOptionsError, for code written against the earlier name', () => {
  expect(ReaderOptionsError).toBe(StoreOptionsError);
});
