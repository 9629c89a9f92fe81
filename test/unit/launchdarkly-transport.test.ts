// The pure rules of the LaunchDarkly transport: which URIs are accepted (one rule for the CLI, the handlers
// and the CDK config), which redirects may be followed, and how the size of an SSE event is counted.
import { describe, expect, it } from 'vitest';
import { loadSyncConfig } from '../../functions/shared/config.js';
import { resolveConfig } from '../../lib/infra/config.js';
import { main } from '../../lib/cli/main.js';
import { StringOutput } from '../../lib/cli/output.js';
import { checkServiceUri, isLoopbackHost } from '../../lib/launchdarkly/service-uri.js';
import { MAX_REDIRECTS, SseEventSizeCounter, redirectProblem } from '../../lib/launchdarkly/transport.js';

describe('checkServiceUri', () => {
  it.each([
    'https://sdk.launchdarkly.com',
    'https://relay.internal:8443/ld/',
    'http://127.0.0.1:8030',
    'http://127.9.9.9',
    'http://[::1]:8030',
    'http://localhost:8030',
  ])('accepts %s', (uri) => expect(checkServiceUri(uri, 'x')).toBe(uri.replace(/\/+$/, '')));

  it.each([
    ['http://sdk.launchdarkly.com', 'plain http to a remote host'],
    ['http://10.0.0.8:8030', 'plain http to a private address'],
    ['http://localhost.example.com', 'a name that only starts like localhost'],
    ['https://user:secret@relay.internal', 'credentials'],
    ['https://sdk.launchdarkly.com/?filter=x', 'a query'],
    ['https://sdk.launchdarkly.com/#x', 'a fragment'],
    ['sdk.launchdarkly.com', 'no scheme'],
    ['ftp://sdk.launchdarkly.com', 'another scheme'],
  ])('refuses %s (%s), naming where it came from and never echoing a password', (uri) => {
    expect(() => checkServiceUri(uri, 'Option --base-uri')).toThrow(
      /^Option --base-uri must be an https:\/\/ URL \(http:\/\/ only for a loopback address/,
    );
    expect(() => checkServiceUri(uri, 'x')).not.toThrow(/secret/);
  });

  it('refuses loopback http too where the caller says so (a deployed stack)', () => {
    expect(() => checkServiceUri('http://127.0.0.1:8030', 'props "ldBaseUri"', { allowLoopbackHttp: false })).toThrow(
      /^props "ldBaseUri" must be an https:\/\/ URL without/,
    );
  });

  it('is the rule of the CLI, the handlers and the CDK configuration', async () => {
    const stderr = new StringOutput();
    const code = await main(['sync', '--source', 'poll', '--table', 't1', '--base-uri', 'http://sdk.example.com'], {
      stdout: new StringOutput(),
      stderr,
      env: { LD_SDK_KEY: 'sdk-x' },
      cwd: '/',
    });
    expect(code).toBe(2);
    expect(stderr.text).toContain(`Option '--base-uri' must be an https:// URL (http:// only for a loopback address`);
    const env = { TABLE_NAME: 't1', LD_ENVIRONMENTS: '[{"name":"production","sdkKeySecretId":"ld/production"}]' };
    expect(() => loadSyncConfig({ ...env, LD_STREAM_URI: 'http://stream.example.com' })).toThrow(
      /^Environment variable LD_STREAM_URI must be an https:\/\/ URL/,
    );
    expect(loadSyncConfig({ ...env, LD_STREAM_URI: 'http://127.0.0.1:9000/' }).streamUri).toBe('http://127.0.0.1:9000');
    expect(() =>
      resolveConfig({
        environments: [
          { name: 'production', sdkKeySecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:ld/production-AbC123' },
        ],
        ldStreamUri: 'http://127.0.0.1:9000',
      }),
    ).toThrow(/ldStreamUri" must be an https:\/\/ URL/);
  });

  it('knows the loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', '[::1]', '::1', 'localhost', 'LOCALHOST'].every(isLoopbackHost)).toBe(true);
    expect(['128.0.0.1', '10.0.0.1', '[::2]', 'localhost.example', '0.0.0.0'].some(isLoopbackHost)).toBe(false);
  });
});

describe('redirectProblem', () => {
  const from = new URL('https://sdk.launchdarkly.com/sdk/latest-all');
  it('allows the same https origin, a few hops', () => {
    expect(redirectProblem(from, new URL('https://sdk.launchdarkly.com:443/sdk/v2/latest-all'), 0)).toBeUndefined();
    expect(redirectProblem(from, new URL('https://sdk.launchdarkly.com/x'), MAX_REDIRECTS)).toMatch(/more than 3 redirects/);
  });
  it('refuses another origin and plain http', () => {
    expect(redirectProblem(from, new URL('https://evil.example.com/sdk/latest-all'), 0)).toMatch(/another origin/);
    expect(redirectProblem(from, new URL('https://sdk.launchdarkly.com:8443/'), 0)).toMatch(/another origin/);
    expect(redirectProblem(from, new URL('http://sdk.launchdarkly.com/sdk/latest-all'), 0)).toMatch(/not https/);
  });
});

describe('SseEventSizeCounter', () => {
  const feed = (limit: number, ...chunks: string[]) => {
    const counter = new SseEventSizeCounter(limit);
    return chunks.map((c) => counter.add(Buffer.from(c)));
  };
  it('counts an event until its blank line, across chunks and line-end styles', () => {
    expect(feed(25, 'event: put\ndata: 1234', '5\n\n', 'event: put\ndata: 123', '45\n\n')).toEqual([true, true, true, true]);
    expect(feed(25, 'data: 0123456789\r\n', 'data: 0123456789\r\n\r\n')).toEqual([true, false]);
    expect(feed(25, 'data: 01234\r\r', 'data: 0123456789\r\r')).toEqual([true, true]);
    expect(feed(25, 'data: 01234\r', '\n\r', '\ndata: 0123456789\n\n')).toEqual([true, true, true]);
  });
  it('stops a line that never ends and a run of data lines without a blank line', () => {
    expect(feed(1000, 'data: ', 'x'.repeat(600), 'x'.repeat(600))).toEqual([true, true, false]);
    expect(feed(1000, ...Array.from({ length: 100 }, () => 'data: 0123456789\n')).at(-1)).toBe(false);
  });
});
