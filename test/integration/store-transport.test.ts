// How the sync store's requests travel (lib/store/table-client.ts): built from a `clientConfig` (or from the
// environment alone, as on Lambda) it writes over the lean transport the reader uses, signed with the
// credentials Lambda gives a function; a caller's own AWS SDK client, or a `clientConfig` with settings only
// the SDK implements, carries them instead. Signatures are checked by the independent verifier in
// test/support/sigv4.ts, since DynamoDB Local checks none. (Throttling, 5xx, dropped and unanswered requests
// on this path are the fault files' business: test/reliability/dynamodb-faults.test.ts, store-timeouts.test.ts.)
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import { testFlag } from '../support/items.js';
import { setEnv } from '../support/lambda.js';
import { startRecordingProxy, verifySigV4 } from '../support/sigv4.js';
import { makeTestTls, startRecordingServer } from '../support/tls.js';
import { dynamoEndpoint, freshTable } from '../support/tables.js';

const lambdaEnv = {
  AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEWRITERKEY',
  AWS_SECRET_ACCESS_KEY: 'writer/secret+key/EXAMPLE',
  AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjWRITER//session+token=',
  AWS_REGION: 'eu-central-1',
};

const flags = (n: number, version = 1) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, testFlag(`f${i}`, version)]));

// DynamoDB Local keeps one database per access key and region: these credentials get their own.
const admin = new DynamoDBClient({
  endpoint: dynamoEndpoint(),
  region: lambdaEnv.AWS_REGION,
  credentials: {
    accessKeyId: lambdaEnv.AWS_ACCESS_KEY_ID,
    secretAccessKey: lambdaEnv.AWS_SECRET_ACCESS_KEY,
    sessionToken: lambdaEnv.AWS_SESSION_TOKEN,
  },
});
afterAll(() => admin.destroy());

let restoreEnv: () => void;
beforeAll(() => {
  restoreEnv = setEnv(lambdaEnv);
});
afterAll(() => restoreEnv());

const sdkAgent = (userAgent: unknown) => /aws-sdk-js/.test(String(userAgent ?? ''));

describe('a store built from the environment writes over the lean transport', () => {
  it('signs every request of a full sync and of patches with the environment’s key and session token (SigV4 verified)', async () => {
    const tableName = await freshTable(admin, 'writer-lean');
    const proxy = await startRecordingProxy(dynamoEndpoint());
    const store = new DynamoDBFlagStore({ tableName, clientConfig: { endpoint: proxy.endpoint } });
    try {
      const summary = await store.init({ flags: flags(30), segments: {} });
      expect(summary.written).toBe(30);
      expect(summary.requests.BatchExecuteStatement).toBe(2);
      const afterInit = proxy.recorded.length;
      for (let i = 0; i < 5; i++) expect(await store.upsert('features', testFlag(`f${i}`, 2))).toBe(true);
      expect(await store.delete('features', 'f9', 2)).toBe(true);

      const operations = new Set(proxy.recorded.map((r) => String(r.headers['x-amz-target']).split('.')[1]));
      expect(operations).toEqual(expect.objectContaining(new Set(['Query', 'GetItem', 'PutItem', 'BatchExecuteStatement'])));
      for (const r of proxy.recorded) {
        expect(r.headers.authorization).toContain(`Credential=${lambdaEnv.AWS_ACCESS_KEY_ID}/`);
        expect(r.headers.authorization).toContain(`/${lambdaEnv.AWS_REGION}/dynamodb/aws4_request`);
        expect(r.headers['x-amz-security-token']).toBe(lambdaEnv.AWS_SESSION_TOKEN);
        expect(verifySigV4(r, lambdaEnv.AWS_SECRET_ACCESS_KEY)).toBeUndefined();
        expect(sdkAgent(r.headers['user-agent'])).toBe(false);
      }
      // Patches one after another reuse one kept-alive connection of the sync's.
      const patchPorts = new Set(proxy.recorded.slice(afterInit).map((r) => r.remotePort));
      expect(patchPorts.size).toBe(1);
      const initPorts = new Set(proxy.recorded.slice(0, afterInit).map((r) => r.remotePort));
      expect(initPorts.has([...patchPorts][0])).toBe(true);

      // What it wrote is what LaunchDarkly's layout holds, read back through the SDK client.
      const check = new DynamoDBFlagStore({ tableName, client: admin, consistentReads: true });
      expect(await check.get('features', 'f0')).toMatchObject({ key: 'f0', version: 2 });
      expect(await check.get('features', 'f9')).toBeNull();
      expect(Object.keys(await check.all('features'))).toHaveLength(29);
    } finally {
      store.close();
      await proxy.close();
    }
  });

  it('verifies the endpoint’s certificate: a self-signed one is refused before any request is sent', async () => {
    const tls = makeTestTls();
    const server = await startRecordingServer((_req, res) => res.end('{}'), tls.selfSigned);
    const store = new DynamoDBFlagStore({ tableName: 'any-table', clientConfig: { endpoint: server.origin }, retry: { maxAttempts: 1 } });
    try {
      await expect(store.init({ flags: flags(1), segments: {} })).rejects.toMatchObject({
        message: expect.stringMatching(/self[- ]signed certificate/i),
      });
      expect(server.authorizations).toEqual([]);
    } finally {
      store.close();
      await server.close();
      tls.cleanup();
    }
  });

  it('names DynamoDB’s own error when a request is refused (a missing table), as the AWS SDK does', async () => {
    const store = new DynamoDBFlagStore({ tableName: 'no-such-table', clientConfig: { endpoint: dynamoEndpoint() } });
    try {
      await expect(store.init({ flags: flags(1), segments: {} })).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
        message: expect.stringMatching(/non-existent table/),
      });
    } finally {
      store.close();
    }
  });
});

describe('the AWS SDK client carries the writes exactly when the caller asks for it', () => {
  it('uses a client passed in, and builds one for a clientConfig setting only the SDK implements', async () => {
    const tableName = await freshTable(admin, 'writer-sdk');
    const proxy = await startRecordingProxy(dynamoEndpoint());
    const client = new DynamoDBClient({ endpoint: proxy.endpoint, region: lambdaEnv.AWS_REGION });
    const given = new DynamoDBFlagStore({ tableName, client });
    const configured = new DynamoDBFlagStore({ tableName, clientConfig: { endpoint: proxy.endpoint, retryMode: 'standard' } });
    try {
      await given.init({ flags: flags(3), segments: {} });
      const byGiven = proxy.recorded.splice(0);
      expect(byGiven.length).toBeGreaterThan(0);
      expect(byGiven.every((r) => sdkAgent(r.headers['user-agent']))).toBe(true);

      await configured.init({ flags: flags(3, 2), segments: {} });
      const byConfigured = proxy.recorded.splice(0);
      expect(byConfigured.length).toBeGreaterThan(0);
      expect(byConfigured.every((r) => sdkAgent(r.headers['user-agent']))).toBe(true);
      for (const r of byConfigured) expect(verifySigV4(r, lambdaEnv.AWS_SECRET_ACCESS_KEY)).toBeUndefined();
    } finally {
      given.close();
      configured.close();
      client.destroy();
      await proxy.close();
    }
  });
});
