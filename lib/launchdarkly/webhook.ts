// LaunchDarkly webhook signatures: `X-LD-Signature` is the hex HMAC-SHA256 of the raw request body, keyed
// with the webhook's secret, with no prefix and no timestamp. Verify against the raw bytes received (not
// re-serialised JSON) and compare in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** The signature LaunchDarkly would send for `body`: hex HMAC-SHA256 keyed with `secret`. */
export function signWebhookBody(body: string | Buffer, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * Whether `signatureHeader` is the signature of `rawBody` under `secret`. False (never a throw) for a missing,
 * empty, odd-length, non-hex or wrong-length header, a wrong signature, or an empty secret.
 */
export function verifyWebhookSignature(rawBody: string | Buffer, signatureHeader: string | undefined, secret: string): boolean {
  if (typeof signatureHeader !== 'string' || typeof secret !== 'string' || secret === '') return false;
  if (typeof rawBody !== 'string' && !Buffer.isBuffer(rawBody)) return false;
  const received = signatureHeader.trim();
  if (!HEX_SHA256.test(received)) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(received, 'hex'), expected);
}
