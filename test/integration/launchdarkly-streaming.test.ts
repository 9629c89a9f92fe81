// runStreamSession against the real launchdarkly-eventsource and the loopback LaunchDarkly: events applied in
// order and one at a time, LaunchDarkly's reconnect and give-up rules, bad data, and a clean end that waits
// for the writes already under way.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpStatusError } from '../../lib/launchdarkly/errors.js';
import type { StreamEvent } from '../../lib/launchdarkly/parse.js';
import { runStreamSession, type StreamSessionOptions } from '../../lib/launchdarkly/streaming.js';
import type { FullDataSet } from '../../lib/store/types.js';
import { captureLogger } from '../support/capture-logger.js';
import { startLaunchDarklyServer, type LaunchDarklyServer } from '../support/ld-server.js';
import { until } from '../support/until.js';

const SDK_KEY = 'sdk-stream-test-51ab';
const data: FullDataSet = {
  flags: { 'dark-mode': { key: 'dark-mode', version: 3, on: true, variations: [false, true], offVariation: 0 } },
  segments: { beta: { key: 'beta', version: 2, included: ['u1'] } },
};
/** Small delays so reconnects happen quickly; the rules are LaunchDarkly's, only the numbers are shrunk. */
const fastRetry = { initialDelayMs: 10, maxDelayMs: 50 };

/** Records applied events; tracks that no two onEvent calls ever overlap. */
function recorder() {
  const applied: StreamEvent[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const onEvent = async (event: StreamEvent) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // Yield a few times, as a store write would, so overlapping calls would show.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    applied.push(event);
    inFlight--;
  };
  return {
    applied,
    onEvent,
    maxInFlight: () => maxInFlight,
    puts: () => applied.filter((e) => e.type === 'put').length,
  };
}

describe('runStreamSession', () => {
  let ld: LaunchDarklyServer;
  let controller: AbortController;
  beforeAll(async () => {
    ld = await startLaunchDarklyServer({ sdkKey: SDK_KEY, data });
  });
  afterEach(async () => {
    controller?.abort();
    ld.setFailure(null);
    ld.stall(false);
    ld.setData(data);
    await until(() => ld.openStreams() === 0, 'streams of the last test to close');
  });
  afterAll(async () => {
    await ld?.close();
  });

  function start(options: Partial<StreamSessionOptions> & Pick<StreamSessionOptions, 'onEvent'>) {
    controller = new AbortController();
    return runStreamSession({ sdkKey: SDK_KEY, streamUri: ld.streamUri, signal: controller.signal, retry: fastRetry, ...options });
  }

  it('applies put, patch and delete strictly in order and one at a time, ignoring unknown events, paths and heartbeats', async () => {
    const rec = recorder();
    const before = ld.requestsTo('/all').length;
    const session = start({ onEvent: rec.onEvent, filter: 'server-side' });
    await until(() => rec.puts() === 1, 'the initial put');

    const patched = { ...data.flags['dark-mode']!, version: 4, on: false };
    ld.sendPatch('features', patched);
    ld.sendComment();
    ld.sendPatch('segments', { key: 'beta', version: 3, included: ['u1', 'u2'] });
    ld.sendRaw('indirect/patch', '/flags/dark-mode');
    ld.sendRaw('patch', JSON.stringify({ path: '/cats/felix', data: { key: 'felix', version: 1 } }));
    ld.sendDelete('features', 'dark-mode', 5);
    for (let i = 1; i <= 20; i++) ld.sendPatch('features', { key: `f${i}`, version: i });
    await until(() => rec.applied.length === 24, '24 events');
    controller.abort();
    const result = await session;

    expect(result).toEqual({ events: 24, reconnects: 0, endedBy: 'signal' });
    expect(rec.maxInFlight()).toBe(1);
    expect(rec.applied.slice(0, 4)).toEqual([
      { type: 'put', data },
      { type: 'patch', kind: 'features', item: patched },
      { type: 'patch', kind: 'segments', item: { key: 'beta', version: 3, included: ['u1', 'u2'] } },
      { type: 'delete', kind: 'features', key: 'dark-mode', version: 5 },
    ]);
    expect(rec.applied.slice(4).map((e) => (e.type === 'patch' ? e.item.key : e.type))).toEqual(
      Array.from({ length: 20 }, (_, i) => `f${i + 1}`),
    );

    const requests = ld.requestsTo('/all').slice(before);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.path).toBe('/all?filter=server-side');
    expect(requests[0]!.headers.authorization).toBe(SDK_KEY);
    expect(requests[0]!.headers.accept).toBe('text/event-stream');
    expect(requests[0]!.headers['user-agent']).toMatch(/^LdDynamoDBSync\//);
  });

  it("carries 1,000 patches sent back to back, complete and in order (the benchmarks' load)", async () => {
    const keys: string[] = [];
    const session = start({ onEvent: async (e) => void keys.push(e.type === 'patch' ? e.item.key : e.type) });
    await until(() => keys.length === 1, 'the initial put');
    for (let i = 0; i < 1000; i++) ld.sendPatch('features', { key: `bench-${i}`, version: 1, on: i % 2 === 0, variations: [false, true] });
    await until(() => keys.length === 1001, '1,000 patches');
    controller.abort();
    expect(await session).toMatchObject({ events: 1001, reconnects: 0 });
    expect(keys.slice(1)).toEqual(Array.from({ length: 1000 }, (_, i) => `bench-${i}`));
  });

  it('reconnects after a dropped connection and after the server ends the stream, each time with a fresh put', async () => {
    const rec = recorder();
    const session = start({ onEvent: rec.onEvent });
    await until(() => rec.puts() === 1, 'the initial put');

    const changed = structuredClone(data);
    changed.flags['dark-mode']!.version = 9;
    ld.setData(changed);
    ld.dropStreams();
    await until(() => rec.puts() === 2, 'a put after the dropped connection');
    expect(rec.applied[1]).toEqual({ type: 'put', data: changed });

    ld.endStreams();
    await until(() => rec.puts() === 3, 'a put after the server ended the stream');
    controller.abort();
    expect(await session).toMatchObject({ events: 3, reconnects: 2, endedBy: 'signal' });
  });

  it('drops the connection on a malformed or ill-shaped event, logs why, and reconnects for a fresh put', async () => {
    const rec = recorder();
    const { lines, logger } = captureLogger();
    const session = start({ onEvent: rec.onEvent, logger });
    await until(() => rec.puts() === 1, 'the initial put');

    // The valid patch right behind the bad event belongs to a connection that is being dropped: not applied.
    ld.sendRaw('patch', '{"path": "/flags/dark-mode", "data": {');
    ld.sendPatch('features', { key: 'after-bad', version: 1 });
    await until(() => rec.puts() === 2, 'a put after the malformed patch');
    const warning = lines.find((l) => l.level === 'warn');
    expect(warning?.message).toMatch(/^stream: patch event: data is not valid JSON .*; dropping the connection and reconnecting$/);

    ld.sendRaw('delete', JSON.stringify({ path: '/flags/dark-mode', version: 'no' }));
    await until(() => rec.puts() === 3, 'a put after the delete with version "no"');
    ld.sendRaw('put', JSON.stringify({ path: '/', data: { flags: true, segments: {} } }));
    await until(() => lines.some((l) => l.message.includes('"data.flags" must be an object')), 'the bad put to be logged');
    await until(() => rec.puts() === 4, 'a put after the bad put');
    controller.abort();
    const result = await session;

    expect(rec.applied.map((e) => e.type)).toEqual(['put', 'put', 'put', 'put']);
    expect(rec.applied[1]).toMatchObject({ type: 'put', data: { flags: { 'after-bad': { version: 1 } } } });
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      expect.stringContaining('patch event: data is not valid JSON'),
      'stream: delete event: "version" must be a non-negative integer, got "no"; dropping the connection and reconnecting',
      'stream: put event: "data.flags" must be an object mapping keys to items, got true; dropping the connection and reconnecting',
    ]);
    expect(result).toMatchObject({ events: 4, reconnects: 3, endedBy: 'signal' });
  });

  it('a 401 ends the session with an HttpStatusError saying the key was rejected, after exactly one attempt', async () => {
    const wrongKey = 'sdk-revoked-key-9999';
    const { lines, logger } = captureLogger();
    const before = ld.requestsTo('/all').length;
    const rec = recorder();
    const result = await runStreamSession({ sdkKey: wrongKey, streamUri: ld.streamUri, onEvent: rec.onEvent, logger, retry: fastRetry });

    expect(result.endedBy).toBe('error');
    expect(result.error).toBeInstanceOf(HttpStatusError);
    expect(result.error).toMatchObject({ status: 401, recoverable: false, url: `${ld.streamUri}/all` });
    expect(result.error!.message).toContain('LaunchDarkly rejected the SDK key (HTTP 401)');
    expect(result).toMatchObject({ events: 0, reconnects: 0 });
    expect(ld.requestsTo('/all').slice(before)).toHaveLength(1);
    expect(ld.requestsTo('/all').at(-1)!.status).toBe(401);
    for (const line of lines) expect(line.message).not.toContain(wrongKey);
    expect(String(result.error)).not.toContain(wrongKey);
  });

  it('other final statuses (403, 404, 405) end the session the same way', async () => {
    for (const status of [403, 404, 405]) {
      ld.failNext(status);
      const rec = recorder();
      const result = await runStreamSession({ sdkKey: SDK_KEY, streamUri: ld.streamUri, onEvent: rec.onEvent, retry: fastRetry });
      expect(result, String(status)).toMatchObject({
        endedBy: 'error',
        error: { name: 'HttpStatusError', status, recoverable: false },
        reconnects: 0,
      });
    }
  });

  it('retries recoverable statuses (503, 429, 400, 500) until the stream opens', async () => {
    const rec = recorder();
    const { lines, logger } = captureLogger();
    const before = ld.requestsTo('/all').length;
    for (const status of [503, 429, 400, 500]) ld.failNext(status);
    const session = start({ onEvent: rec.onEvent, logger });
    await until(() => rec.puts() === 1, 'the put once the failures are over');
    controller.abort();
    expect(await session).toMatchObject({ events: 1, reconnects: 4, endedBy: 'signal' });
    expect(
      ld
        .requestsTo('/all')
        .slice(before)
        .map((r) => r.status),
    ).toEqual([503, 429, 400, 500, 200]);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      expect.stringMatching(/HTTP 503 \(service unavailable\).*recoverable.*will reconnect$/),
      expect.stringMatching(/HTTP 429/),
      expect.stringMatching(/HTTP 400/),
      expect.stringMatching(/HTTP 500/),
    ]);
  });

  it('reconnects when the stream goes silent for the read timeout', async () => {
    const rec = recorder();
    const { lines, logger } = captureLogger();
    const before = ld.requestsTo('/all').length;
    const session = start({ onEvent: rec.onEvent, logger, retry: { ...fastRetry, readTimeoutMs: 300 } });
    await until(() => rec.puts() === 1, 'the initial put');
    ld.stall(true);
    await ld.waitForRequests('/all', before + 2);
    expect(lines.some((l) => l.level === 'warn' && /Read timeout/.test(l.message))).toBe(true);
    ld.stall(false);
    await until(() => rec.puts() === 2, 'a put once the server answers again');
    controller.abort();
    const result = await session;
    expect(result.endedBy).toBe('signal');
    expect(result.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('on abort mid-write, stops reading but resolves only after that write and the events already received are applied', async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let blockedOn: string | undefined;
    const { lines, logger } = captureLogger();
    const session = start({
      logger,
      onEvent: async (event) => {
        const name = event.type === 'patch' ? event.item.key : event.type;
        if (name === 'slow') {
          blockedOn = name;
          await gate;
        }
        order.push(`applied ${name}`);
      },
    });
    void session.then(() => order.push('session resolved'));
    await until(() => order.includes('applied put'), 'the initial put');
    ld.sendPatch('features', { key: 'slow', version: 1 });
    await until(() => blockedOn === 'slow', 'the slow write to start');
    ld.sendPatch('features', { key: 'queued', version: 1 });
    await until(() => lines.some((l) => l.message === 'stream: received patch of flag "queued" version 1'), 'the queued patch to arrive');

    controller.abort();
    await until(() => ld.openStreams() === 0, 'the stream to be closed');
    ld.sendPatch('features', { key: 'after-abort', version: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['applied put']);

    release();
    const result = await session;
    expect(order).toEqual(['applied put', 'applied slow', 'applied queued', 'session resolved']);
    expect(result).toEqual({ events: 3, reconnects: 0, endedBy: 'signal' });
  });

  it('a failed write ends the session with that error and applies nothing after it', async () => {
    const applied: string[] = [];
    const writeError = new Error('DynamoDB write failed');
    const session = start({
      onEvent: async (event) => {
        const name = event.type === 'patch' ? event.item.key : event.type;
        if (name === 'boom') throw writeError;
        applied.push(name);
      },
    });
    await until(() => applied.includes('put'), 'the initial put');
    ld.sendPatch('features', { key: 'boom', version: 1 });
    ld.sendPatch('features', { key: 'next', version: 1 });
    const result = await session;
    expect(result).toEqual({ events: 1, reconnects: 0, endedBy: 'error', error: writeError });
    expect(applied).toEqual(['put']);
    await until(() => ld.openStreams() === 0, 'the stream to be closed');
  });

  it('ends after durationMs, and at once when the signal is already aborted', async () => {
    const rec = recorder();
    const result = await runStreamSession({ sdkKey: SDK_KEY, streamUri: ld.streamUri, onEvent: rec.onEvent, durationMs: 300 });
    expect(result.endedBy).toBe('duration');
    expect(result.events).toBe(rec.applied.length);

    const before = ld.requests.length;
    const aborted = AbortSignal.abort();
    expect(await runStreamSession({ sdkKey: SDK_KEY, streamUri: ld.streamUri, onEvent: rec.onEvent, signal: aborted })).toEqual({
      events: 0,
      reconnects: 0,
      endedBy: 'signal',
    });
    expect(ld.requests.length).toBe(before);
  });

  it('rejects bad options with a message naming the option', () => {
    const onEvent = async () => {};
    expect(() => runStreamSession({ sdkKey: SDK_KEY, streamUri: 'stream.launchdarkly.com', onEvent })).toThrow(
      '"streamUri" must be an https:// URL',
    );
    expect(() => runStreamSession({ sdkKey: SDK_KEY, streamUri: ld.streamUri, onEvent, retry: { initialDelay: 5 } as never })).toThrow(
      "Unknown option 'retry.initialDelay'",
    );
    expect(() => runStreamSession({ sdkKey: SDK_KEY, streamUri: ld.streamUri, onEvent, durationMs: -1 })).toThrow(
      '"durationMs" must be a positive number',
    );
    expect(() => runStreamSession({ sdkKey: SDK_KEY, streamUri: ld.streamUri, onEvent: undefined as never })).toThrow(
      '"onEvent" must be a function',
    );
  });
});
