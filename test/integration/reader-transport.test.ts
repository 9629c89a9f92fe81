// The reader's lean DynamoDB transport (lib/store/transport): the credentials Lambda puts in the environment
// are the ones that sign (checked by an independent SigV4 verifier written here from AWS's documented
// algorithm, since DynamoDB Local does not check signatures), requests reuse one kept-alive connection,
// throttling, 5xx and dropped connections are retried, the endpoint follows region / FIPS / dual-stack, and
// the AWS SDK client is used exactly when the caller asks for it.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LDClientContext, LDFeatureStore } from '@launchdarkly/node-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import { ReadOnlyFeatureStore, type ReadOnlyFeatureStoreOptions } from '../../lib/store/reader.js';
import { leanConfigFrom, regionalEndpoint } from '../../lib/store/transport/config.js';
import { createReadTransport } from '../../lib/store/transport/transport.js';
import { startFaultProxy, type DynamoDBFaultProxy } from '../support/ddb-fault-proxy.js';
import { setEnv } from '../support/lambda.js';
import { type Recorded, startRecordingProxy, verifySigV4, verifyWithoutToken } from '../support/sigv4.js';
import { listenOnLoopback } from '../support/loopback.js';
import { until } from '../support/until.js';
import { dynamoEndpoint, freshTable, localClient } from '../support/tables.js';

function storeFor(tableName: string, options: ReadOnlyFeatureStoreOptions): LDFeatureStore {
  const context = {
    basicConfiguration: { sdkKey: 'unused', serviceEndpoints: {}, logger: undefined },
    platform: {},
  } as unknown as LDClientContext;
  return ReadOnlyFeatureStore(tableName, options)(context);
}

const get = (store: LDFeatureStore, key: string) =>
  new Promise<{ key?: string; version?: number } | null>((resolve) => store.get({ namespace: 'features' }, key, resolve));

const lambdaEnv = {
  AWS_ACCESS_KEY_ID: 'ASIAEXAMPLELAMBDAKEY',
  AWS_SECRET_ACCESS_KEY: 'lambda/secret+key/EXAMPLE',
  AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEXAMPLE//session+token=',
  AWS_REGION: 'eu-west-1',
};

const flag = (key: string) => ({
  key,
  version: 3,
  on: true,
  variations: [true, false],
  fallthrough: { variation: 0 },
  offVariation: 1,
  rules: [],
  prerequisites: [],
  targets: [],
});
const flags = { alpha: flag('alpha'), beta: flag('beta'), gamma: flag('gamma') };

let tableName: string;
const admin = localClient();
// DynamoDB Local keeps one database per access key and region: the Lambda-credentials case needs its own.
const lambdaAdmin = new DynamoDBClient({
  endpoint: dynamoEndpoint(),
  region: lambdaEnv.AWS_REGION,
  credentials: {
    accessKeyId: lambdaEnv.AWS_ACCESS_KEY_ID,
    secretAccessKey: lambdaEnv.AWS_SECRET_ACCESS_KEY,
    sessionToken: lambdaEnv.AWS_SESSION_TOKEN,
  },
});
let lambdaTable: string;

beforeAll(async () => {
  tableName = await freshTable(admin, 'transport');
  await new DynamoDBFlagStore({ tableName, client: admin }).init({ flags, segments: {} });
  lambdaTable = await freshTable(lambdaAdmin, 'transport-lambda');
  await new DynamoDBFlagStore({ tableName: lambdaTable, client: lambdaAdmin }).init({ flags, segments: {} });
});
afterAll(() => {
  admin.destroy();
  lambdaAdmin.destroy();
});

describe('the lean transport signs with the credentials Lambda gives a function', () => {
  let restoreEnv: () => void;
  beforeAll(() => {
    restoreEnv = setEnv(lambdaEnv);
  });
  afterAll(() => restoreEnv());

  it('sends the environment access key and session token, with a SigV4 signature an independent verifier accepts, over one kept-alive connection', async () => {
    const proxy = await startRecordingProxy(dynamoEndpoint());
    const store = storeFor(lambdaTable, { clientConfig: { endpoint: proxy.endpoint }, cacheTTL: 0 });
    try {
      for (const key of ['alpha', 'beta', 'gamma']) expect(await get(store, key)).toMatchObject({ key, version: 3 });
      expect(proxy.recorded.length).toBeGreaterThanOrEqual(3);
      for (const r of proxy.recorded) {
        expect(r.headers.authorization).toContain(`Credential=${lambdaEnv.AWS_ACCESS_KEY_ID}/`);
        expect(r.headers.authorization).toContain(`/${lambdaEnv.AWS_REGION}/dynamodb/aws4_request`);
        expect(r.headers['x-amz-security-token']).toBe(lambdaEnv.AWS_SESSION_TOKEN);
        expect(r.headers['x-amz-target']).toBe('DynamoDB_20120810.BatchGetItem');
        expect(verifySigV4(r, lambdaEnv.AWS_SECRET_ACCESS_KEY)).toBeUndefined();
      }
      // The verifier can fail: another secret, or a body changed in transit, does not verify.
      const first = proxy.recorded[0]!;
      expect(verifySigV4(first, 'some-other-secret')).toBe('signature does not verify');
      expect(verifySigV4({ ...first, body: first.body.replace('alpha', 'alphb') }, lambdaEnv.AWS_SECRET_ACCESS_KEY)).toBe(
        'signature does not verify',
      );
      // Keep-alive: requests made one after another share a connection.
      expect(new Set(proxy.recorded.map((r) => r.remotePort)).size).toBe(1);
    } finally {
      store.close();
      await proxy.close();
    }
  });

  it('takes the region and endpoint from the environment as the AWS SDK does, FIPS and dual-stack when asked', () => {
    const env = { ...lambdaEnv };
    expect(leanConfigFrom({}, env)?.endpoint?.href).toBe('https://dynamodb.eu-west-1.amazonaws.com/');
    expect(leanConfigFrom({}, { ...env, AWS_USE_FIPS_ENDPOINT: 'true' })?.endpoint?.href).toBe(
      'https://dynamodb-fips.eu-west-1.amazonaws.com/',
    );
    expect(leanConfigFrom({ useDualstackEndpoint: true }, env)?.endpoint?.href).toBe('https://dynamodb.eu-west-1.api.aws/');
    expect(leanConfigFrom({ useFipsEndpoint: true, useDualstackEndpoint: true, region: 'us-gov-west-1' }, env)?.endpoint?.href).toBe(
      'https://dynamodb-fips.us-gov-west-1.api.aws/',
    );
    expect(regionalEndpoint('cn-north-1', false, false).href).toBe('https://dynamodb.cn-north-1.amazonaws.com.cn/');
    expect(leanConfigFrom({}, { ...env, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000' })?.endpoint?.href).toBe(
      'http://127.0.0.1:8000/',
    );
    expect(
      leanConfigFrom({ endpoint: 'http://localhost:9000' }, { ...env, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000' })?.endpoint?.href,
    ).toBe('http://localhost:9000/');
    const noRegion = leanConfigFrom({}, {});
    expect(noRegion?.endpoint).toBeUndefined();
    expect(noRegion?.problem).toMatch(/AWS_REGION/);
  });
});

describe('without credentials in the environment, the AWS SDK default chain is used (loaded only then)', () => {
  const names = [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_SHARED_CREDENTIALS_FILE',
    'AWS_CONFIG_FILE',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_EC2_METADATA_DISABLED',
    'AWS_REGION',
  ];
  let restoreEnv: () => void;
  let dir: string;
  beforeAll(async () => {
    restoreEnv = setEnv({
      ...Object.fromEntries(names.map((k) => [k, undefined])),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: 'us-east-1',
    });
    dir = await mkdtemp(path.join(tmpdir(), 'reader-creds-'));
    // An empty config file, so the chain never reads the developer's own ~/.aws.
    await writeFile(path.join(dir, 'config'), '');
    process.env.AWS_CONFIG_FILE = path.join(dir, 'config');
  });
  afterAll(async () => {
    restoreEnv();
    await rm(dir, { recursive: true, force: true });
  });

  async function signedBy(): Promise<Recorded> {
    const proxy = await startRecordingProxy(dynamoEndpoint());
    const store = storeFor('any-table', {
      clientConfig: { endpoint: proxy.endpoint },
      cacheTTL: 0,
      logger: { error() {}, warn() {}, info() {}, debug() {} },
    });
    try {
      await get(store, 'alpha'); // the table is in no database of these keys: only the request matters
      return proxy.recorded[0]!;
    } finally {
      store.close();
      await proxy.close();
    }
  }

  it('uses a profile from the shared credentials file (local runs)', async () => {
    await writeFile(
      path.join(dir, 'credentials'),
      '[reader-test]\naws_access_key_id = AKIDPROFILEEXAMPLE\naws_secret_access_key = profile/secret\n',
    );
    process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'credentials');
    process.env.AWS_PROFILE = 'reader-test';
    try {
      const r = await signedBy();
      expect(r.headers.authorization).toContain('Credential=AKIDPROFILEEXAMPLE/');
      expect(verifyWithoutToken(r, 'profile/secret')).toBeUndefined();
    } finally {
      delete process.env.AWS_SHARED_CREDENTIALS_FILE;
      delete process.env.AWS_PROFILE;
    }
  });

  it('uses container credentials (ECS, or a local credentials endpoint) with their session token', async () => {
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          AccessKeyId: 'ASIACONTAINEREXAMPLE',
          SecretAccessKey: 'container/secret',
          Token: 'container-token',
          Expiration: new Date(Date.now() + 3_600_000).toISOString(),
        }),
      );
    });
    const origin = await listenOnLoopback(server);
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${origin}/creds`;
    try {
      const r = await signedBy();
      expect(r.headers.authorization).toContain('Credential=ASIACONTAINEREXAMPLE/');
      expect(r.headers['x-amz-security-token']).toBe('container-token');
      expect(verifySigV4(r, 'container/secret')).toBeUndefined();
    } finally {
      delete process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('which transport the reader uses', () => {
  it('keeps a DynamoDB client the caller passes (as client or dynamoDBClient), builds an SDK client for settings only the SDK has, and is lean otherwise', () => {
    expect(createReadTransport({ client: admin }).kind).toBe('sdk');
    expect(createReadTransport({ clientConfig: { endpoint: 'http://127.0.0.1:1', region: 'us-east-1', maxAttempts: 2 } }, {}).kind).toBe(
      'lean',
    );
    expect(
      createReadTransport({ clientConfig: { region: 'us-east-1', requestHandler: { handle: () => undefined } as never } }, {}).kind,
    ).toBe('sdk');
    expect(createReadTransport({ clientConfig: { region: async () => 'us-east-1' } }, {}).kind).toBe('sdk');
  });

  it('loads no Node built-in module beyond those the LaunchDarkly SDK loads (no undici on the cold path)', () => {
    // An ESM `import` of node:http loads all of undici (its facade reads http's lazy WebSocket getters): ≈ 0.2 s
    // of a 128 MB Lambda's cold start for nothing (docs/cold-start.md). A fresh process, as a cold start is.
    const probe = [
      "await import('@launchdarkly/node-server-sdk');",
      'const before = new Set(process.moduleLoadList);',
      `const { ReadOnlyFeatureStore } = await import(${JSON.stringify(path.resolve('lib/store/reader.ts'))});`,
      "for (const endpoint of ['http://127.0.0.1:1', 'https://dynamodb.us-east-1.amazonaws.com'])",
      "  ReadOnlyFeatureStore('flags-table', { clientConfig: { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } } })({}).close();",
      "console.log(JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith('NativeModule '))));",
    ].join('\n');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual([]);
  });

  it("reads through a client passed as dynamoDBClient (LaunchDarkly's option name)", async () => {
    const store = storeFor(tableName, { dynamoDBClient: admin });
    expect(await get(store, 'beta')).toMatchObject({ key: 'beta', version: 3 });
    store.close();
    // The caller's client is still usable: the store did not destroy it.
    expect(await new DynamoDBFlagStore({ tableName, client: admin }).get('features', 'alpha')).toMatchObject({ key: 'alpha' });
  });
});

describe('the lean transport under the faults real DynamoDB produces', () => {
  let proxy: DynamoDBFaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy({ target: dynamoEndpoint() });
  });
  afterAll(() => proxy.close());

  for (const fault of ['throughput-exceeded', 'throttling', 'internal-error', 'service-unavailable', 'reset'] as const) {
    it(`retries ${fault} with backoff and answers the item`, async () => {
      proxy.resetStats();
      proxy.setRules([{ fault, rate: 1, max: 2, operations: ['BatchGetItem'] }]);
      const errors: string[] = [];
      const logger = { error: (m: string) => errors.push(m), warn() {}, info() {}, debug() {} };
      const store = storeFor(tableName, {
        clientConfig: { endpoint: proxy.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
        cacheTTL: 0,
        logger,
      });
      try {
        expect(await get(store, 'gamma')).toMatchObject({ key: 'gamma', version: 3 });
        expect(proxy.stats.injected[fault]).toBe(2);
        expect(errors).toEqual([]);
      } finally {
        proxy.setRules([]);
        store.close();
      }
    });
  }

  it('abandons a query when its signal aborts: it rejects at once and is not retried', async () => {
    proxy.resetStats();
    // The answer never comes: only the abort can end the request.
    proxy.setRules([{ fault: 'stall', rate: 1, operations: ['Query'] }]);
    const transport = createReadTransport({
      clientConfig: { endpoint: proxy.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
    });
    try {
      const abandon = new AbortController();
      const query = transport.query(
        {
          TableName: tableName,
          KeyConditionExpression: '#ns = :ns',
          ExpressionAttributeNames: { '#ns': 'namespace' },
          ExpressionAttributeValues: { ':ns': { S: 'features' } },
        },
        abandon.signal,
      );
      await until(() => proxy.stats.requests.Query === 1, 'the query reaching the proxy');
      abandon.abort();
      await expect(query).rejects.toMatchObject({ name: 'AbortError' });
      expect(proxy.stats.requests.Query).toBe(1);
    } finally {
      proxy.setRules([]);
      transport.close();
    }
  });

  it('gives up after maxAttempts and the evaluation gets its default (null), with the error logged', async () => {
    proxy.resetStats();
    proxy.setRules([{ fault: 'internal-error', rate: 1, operations: ['BatchGetItem'] }]);
    const errors: string[] = [];
    const logger = { error: (m: string) => errors.push(m), warn() {}, info() {}, debug() {} };
    const store = storeFor(tableName, {
      clientConfig: {
        endpoint: proxy.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'secret-never-logged' },
        maxAttempts: 2,
      },
      cacheTTL: 0,
      logger,
    });
    try {
      expect(await get(store, 'gamma')).toBeNull();
      expect(proxy.stats.injected['internal-error']).toBe(2);
      expect(errors.join('\n')).toMatch(/InternalServerError/);
      expect(errors.join('\n')).not.toContain('secret-never-logged');
    } finally {
      proxy.setRules([]);
      store.close();
    }
  });
});
