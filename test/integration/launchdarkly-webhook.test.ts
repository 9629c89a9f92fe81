// A webhook as LaunchDarkly sends it (postWebhook from the loopback server) checked by verifyWebhookSignature
// over the raw bytes a real HTTP server received.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhookBody, verifyWebhookSignature } from '../../lib/launchdarkly/webhook.js';
import { postWebhook, sampleWebhookPayload } from '../support/ld-server.js';
import { listenOnLoopback } from '../support/loopback.js';

const SECRET = 'whsec-loopback-42';

describe('webhook signature over HTTP', () => {
  let server: Server;
  let url: string;
  const received: { body: string; signature: string | undefined }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const header = req.headers['x-ld-signature'];
        const signature = Array.isArray(header) ? header[0] : header;
        received.push({ body: raw.toString('utf8'), signature });
        res.writeHead(verifyWebhookSignature(raw, signature, SECRET) ? 200 : 401).end();
      });
    });
    url = `${await listenOnLoopback(server)}/production`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('accepts a signed delivery and rejects forged, wrongly keyed and unsigned ones', async () => {
    const payload = sampleWebhookPayload('dark-mode');
    expect((await postWebhook(url, payload, { secret: SECRET })).status).toBe(200);
    expect(received.at(-1)!.signature).toBe(signWebhookBody(JSON.stringify(payload), SECRET));
    expect(received.at(-1)!.body).toBe(JSON.stringify(payload));

    expect((await postWebhook(url, payload, { secret: 'another-secret' })).status).toBe(401);
    expect((await postWebhook(url, payload, { signature: 'ab'.repeat(32) })).status).toBe(401);
    expect((await postWebhook(url, payload, { signature: 'not-hex' })).status).toBe(401);
    expect((await postWebhook(url, payload)).status).toBe(401);
    expect(received.at(-1)!.signature).toBeUndefined();
  });
});
