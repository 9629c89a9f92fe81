// Webhook signatures: hex HMAC-SHA256 of the raw body; anything else is false, never a throw.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhookBody, verifyWebhookSignature } from '../../lib/launchdarkly/webhook.js';

const secret = 'whsec-test-5f1c';
const body = JSON.stringify({ _id: 'abc', kind: 'flag', name: 'dark-mode', date: 1700000000000 });

describe('webhook signatures', () => {
  it('signs as LaunchDarkly does: lowercase hex HMAC-SHA256 of the body', () => {
    expect(signWebhookBody(body, secret)).toBe(createHmac('sha256', secret).update(body).digest('hex'));
    expect(signWebhookBody(body, secret)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts a valid signature over a string or the same raw bytes, in either hex case', () => {
    const sig = signWebhookBody(body, secret);
    expect(verifyWebhookSignature(body, sig, secret)).toBe(true);
    expect(verifyWebhookSignature(Buffer.from(body), sig, secret)).toBe(true);
    expect(verifyWebhookSignature(body, sig.toUpperCase(), secret)).toBe(true);
    expect(verifyWebhookSignature(body, ` ${sig}\n`, secret)).toBe(true);
  });

  it('rejects a forged signature, another secret, and a body changed by one byte or re-serialised', () => {
    const sig = signWebhookBody(body, secret);
    const forged = (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1);
    expect(verifyWebhookSignature(body, forged, secret)).toBe(false);
    expect(verifyWebhookSignature(body, signWebhookBody(body, 'other-secret'), secret)).toBe(false);
    expect(verifyWebhookSignature(body.replace('dark-mode', 'dark-modf'), sig, secret)).toBe(false);
    expect(verifyWebhookSignature(JSON.stringify(JSON.parse(body), null, 2), sig, secret)).toBe(false);
  });

  it('returns false, without throwing, for a missing, empty, odd-length, non-hex or wrong-length header or an empty secret', () => {
    const sig = signWebhookBody(body, secret);
    for (const header of [undefined, '', sig.slice(1), sig.slice(0, -2), `${sig}00`, 'z'.repeat(64), `sha256=${sig}`, 'abc']) {
      expect(verifyWebhookSignature(body, header, secret), String(header)).toBe(false);
    }
    expect(verifyWebhookSignature(body, signWebhookBody(body, ''), '')).toBe(false);
    expect(verifyWebhookSignature(body, 42 as unknown as string, secret)).toBe(false);
    expect(verifyWebhookSignature(undefined as unknown as string, sig, secret)).toBe(false);
  });
});
