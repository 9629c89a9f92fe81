// Which HTTP statuses are worth retrying (LaunchDarkly's rule), and what the errors say.
import { describe, expect, it } from 'vitest';
import {
  HttpStatusError,
  LaunchDarklyError,
  NetworkError,
  PayloadError,
  isHttpRecoverable,
  isRecoverable,
} from '../../lib/launchdarkly/errors.js';

describe('isHttpRecoverable', () => {
  it('treats every 4xx as final except 400, 408 and 429', () => {
    for (const status of [401, 403, 404, 405, 410, 413, 418, 499]) expect(isHttpRecoverable(status), String(status)).toBe(false);
    for (const status of [400, 408, 429]) expect(isHttpRecoverable(status), String(status)).toBe(true);
  });

  it('treats 5xx and anything else as recoverable', () => {
    for (const status of [500, 502, 503, 504, 599, 302, 0]) expect(isHttpRecoverable(status), String(status)).toBe(true);
  });
});

describe('errors', () => {
  it('HttpStatusError says the SDK key was rejected on 401/403, shows the URL without credentials, and is a LaunchDarklyError', () => {
    const err = new HttpStatusError(401, false, 'https://user:secret@sdk.example.com/sdk/latest-all?filter=x');
    expect(err).toBeInstanceOf(LaunchDarklyError);
    expect(err.name).toBe('HttpStatusError');
    expect(err.status).toBe(401);
    expect(err.recoverable).toBe(false);
    expect(err.url).toBe('https://sdk.example.com/sdk/latest-all?filter=x');
    expect(err.message).toBe(
      'LaunchDarkly rejected the SDK key (HTTP 401) for GET https://sdk.example.com/sdk/latest-all?filter=x; check that it is the server-side SDK key of the environment; not recoverable, not retried',
    );
    expect(err.message).not.toContain('secret');
    expect(new HttpStatusError(503, true, 'https://x/all').message).toBe(
      'LaunchDarkly answered HTTP 503 (service unavailable) for GET https://x/all; recoverable, worth retrying',
    );
  });

  it('isRecoverable: recoverable statuses and network failures only', () => {
    expect(isRecoverable(new HttpStatusError(500, true, 'http://x/'))).toBe(true);
    expect(isRecoverable(new HttpStatusError(404, false, 'http://x/'))).toBe(false);
    expect(isRecoverable(new NetworkError('down', 'http://x/', false))).toBe(true);
    expect(isRecoverable(new PayloadError('w', 'bad'))).toBe(false);
    expect(isRecoverable(new Error('x'))).toBe(false);
  });

  it('PayloadError keeps where and what, and the cause', () => {
    const cause = new SyntaxError('Unexpected end');
    const err = new PayloadError('patch event', '"data" is missing', { cause });
    expect(err.message).toBe('patch event: "data" is missing');
    expect([err.where, err.problem, err.cause]).toEqual(['patch event', '"data" is missing', cause]);
  });
});
