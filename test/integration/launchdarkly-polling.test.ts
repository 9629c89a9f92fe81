// PollingClient against the loopback LaunchDarkly: LaunchDarkly's request (raw SDK key, gzip, If-None-Match),
// ETag/304, the recoverability of failures, timeouts and the payload filter.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpStatusError, NetworkError, PayloadError } from '../../lib/launchdarkly/errors.js';
import { PollingClient } from '../../lib/launchdarkly/polling.js';
import type { FullDataSet } from '../../lib/store/types.js';
import { startLaunchDarklyServer, type LaunchDarklyServer } from '../support/ld-server.js';
import { freePort } from '../support/dynamodb-local.js';

const SDK_KEY = 'sdk-polling-test-7c1e';
const data: FullDataSet = {
  flags: {
    'dark-mode': { key: 'dark-mode', version: 3, on: true, variations: [false, true], fallthrough: { variation: 1 }, offVariation: 0 },
    checkout: { key: 'checkout', version: 12, on: false, variations: ['old', 'new'], offVariation: 0 },
  },
  segments: { beta: { key: 'beta', version: 2, included: ['u1', 'u2'] } },
};

describe('PollingClient', () => {
  let ld: LaunchDarklyServer;
  beforeAll(async () => {
    ld = await startLaunchDarklyServer({ sdkKey: SDK_KEY, data });
  });
  afterEach(() => {
    ld.setFailure(null);
    ld.stall(false);
    ld.setRawPollBody(null);
    ld.setData(data);
  });
  afterAll(async () => {
    await ld?.close();
  });

  const client = (extra: Partial<ConstructorParameters<typeof PollingClient>[0]> = {}) =>
    new PollingClient({ sdkKey: SDK_KEY, baseUri: ld.baseUri, ...extra });
  const lastRequest = () => ld.requests.at(-1)!;

  it("fetches the full data set with LaunchDarkly's headers, gzip-compressed", async () => {
    const result = await client().fetchAll();
    expect(result).toMatchObject({ notModified: false, data });
    const req = lastRequest();
    expect(req.path).toBe('/sdk/latest-all');
    expect(req.headers.authorization).toBe(SDK_KEY);
    expect(req.headers['user-agent']).toMatch(/^LdDynamoDBSync\//);
    expect(req.headers['accept-encoding']).toContain('gzip');
    expect(req.headers['if-none-match']).toBeUndefined();
    expect(req.gzip).toBe(true);
    expect(req.status).toBe(200);
  });

  it('sends the ETag back and gets a 304 while nothing changed, then the new data once it did', async () => {
    const poller = client();
    const first = await poller.fetchAll();
    expect(first.notModified).toBe(false);
    const etag = first.notModified ? undefined : first.etag;
    expect(etag).toBeTruthy();
    expect(poller.etag).toBe(etag);

    expect(await poller.fetchAll()).toEqual({ notModified: true });
    expect(lastRequest().headers['if-none-match']).toBe(etag);
    expect(lastRequest().status).toBe(304);

    const changed = structuredClone(data);
    changed.flags['dark-mode']!.version = 4;
    ld.setData(changed);
    const third = await poller.fetchAll();
    expect(third).toMatchObject({ notModified: false, data: changed });
    expect(lastRequest().headers['if-none-match']).toBe(etag);
    expect(poller.etag).not.toBe(etag);

    poller.forgetEtag();
    expect((await poller.fetchAll()).notModified).toBe(false);
    expect(lastRequest().headers['if-none-match']).toBeUndefined();
  });

  it('a 401 is a final HttpStatusError saying the key was rejected, without the key', async () => {
    const poller = new PollingClient({ sdkKey: 'sdk-wrong-key-0000', baseUri: ld.baseUri });
    const err = await poller.fetchAll().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err).toMatchObject({ name: 'HttpStatusError', status: 401, recoverable: false, url: `${ld.baseUri}/sdk/latest-all` });
    expect((err as Error).message).toContain('rejected the SDK key');
    expect((err as Error).message).not.toContain('sdk-wrong-key-0000');
  });

  it('classifies 500, 503, 429, 400 and 408 as recoverable, 403 and 404 as final', async () => {
    const poller = client();
    for (const [status, recoverable] of [
      [500, true],
      [503, true],
      [429, true],
      [400, true],
      [408, true],
      [403, false],
      [404, false],
    ] as const) {
      ld.failNext(status);
      await expect(poller.fetchAll(), String(status)).rejects.toMatchObject({ name: 'HttpStatusError', status, recoverable });
    }
    expect((await poller.fetchAll()).notModified).toBe(false);
  });

  it('a wrong base path is a final 404', async () => {
    const poller = new PollingClient({ sdkKey: SDK_KEY, baseUri: `${ld.baseUri}/relay/` });
    await expect(poller.fetchAll()).rejects.toMatchObject({ status: 404, recoverable: false, url: `${ld.baseUri}/relay/sdk/latest-all` });
  });

  it('times out against a server that never answers, as a recoverable NetworkError', async () => {
    ld.stall(true);
    const err = await client({ timeoutMs: 300 })
      .fetchAll()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ name: 'NetworkError', timedOut: true, recoverable: true });
    expect((err as Error).message).toBe(`GET ${ld.baseUri}/sdk/latest-all timed out after 300 ms`);
  });

  it('a refused connection is a recoverable NetworkError naming the reason', async () => {
    const port = await freePort();
    const err = await new PollingClient({ sdkKey: SDK_KEY, baseUri: `http://127.0.0.1:${port}` }).fetchAll().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name: 'NetworkError', timedOut: false, recoverable: true });
    expect((err as Error).message).toContain('ECONNREFUSED');
  });

  it('a malformed or ill-shaped body is a PayloadError, and its ETag is not kept', async () => {
    const poller = client();
    ld.setRawPollBody('{"flags": {');
    const err = await poller.fetchAll().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PayloadError);
    expect((err as Error).message).toMatch(new RegExp(`^GET ${ld.baseUri}/sdk/latest-all response: body is not valid JSON`));
    ld.setRawPollBody('{"flags": true, "segments": {}}');
    await expect(poller.fetchAll()).rejects.toThrow(
      `GET ${ld.baseUri}/sdk/latest-all response: "flags" must be an object mapping keys to items, got true`,
    );
    expect(poller.etag).toBeUndefined();
  });

  it('sends the payload filter as ?filter=', async () => {
    await client({ filter: 'mobile only' }).fetchAll();
    expect(lastRequest().path).toBe('/sdk/latest-all?filter=mobile+only');
  });

  it("an abort of the caller's signal rejects with its reason", async () => {
    ld.stall(true);
    const controller = new AbortController();
    const before = ld.requestsTo('/sdk/latest-all').length;
    const pending = client().fetchAll({ signal: controller.signal });
    await ld.waitForRequests('/sdk/latest-all', before + 1);
    const reason = new Error('deadline');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('rejects bad options with a message naming the option', () => {
    expect(() => new PollingClient({ sdkKey: '', baseUri: ld.baseUri })).toThrow('PollingClient: "sdkKey" must be a non-empty string');
    expect(() => new PollingClient({ sdkKey: SDK_KEY, baseUri: 'sdk.launchdarkly.com' })).toThrow('"baseUri" must be an https:// URL');
    expect(() => new PollingClient({ sdkKey: SDK_KEY, baseUri: ld.baseUri, timeout: 5 } as never)).toThrow("Unknown option 'timeout'");
    expect(() => new PollingClient({ sdkKey: SDK_KEY, baseUri: ld.baseUri, timeoutMs: 0 })).toThrow(
      '"timeoutMs" must be a positive number',
    );
  });
});
