// Checking what a DynamoDB client sends, since DynamoDB Local checks no signature: a loopback proxy that
// records each request as sent and forwards it, and a Signature Version 4 verifier written from AWS's
// documented algorithm, independent of the signers under test (`aws4`, the AWS SDK's).
import { createHash, createHmac } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { listenOnLoopback } from './loopback.js';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The client's port: the same port means the same (kept-alive) connection. */
  remotePort: number | undefined;
}

/** A loopback proxy that records each request (headers and body as sent) and forwards it to DynamoDB Local. */
export async function startRecordingProxy(target: string) {
  const upstream = new URL(target);
  const recorded: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      recorded.push({
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: body.toString('utf8'),
        remotePort: req.socket.remotePort,
      });
      const out = httpRequest(
        { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  const endpoint = await listenOnLoopback(server);
  return { endpoint, recorded, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Signature Version 4 as AWS documents it ("Create a signed AWS API request", IAM User Guide): canonical
 * request → string to sign → signing key by HMAC chain → signature. Independent of the `aws4` package the
 * transport signs with. Returns what is wrong, or undefined when the signature verifies.
 */
export function verifySigV4(
  r: Recorded,
  secretAccessKey: string,
  mustSign = ['host', 'x-amz-date', 'x-amz-target', 'x-amz-security-token'],
): string | undefined {
  const auth =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      String(r.headers.authorization),
    );
  if (!auth) return `unexpected Authorization header ${r.headers.authorization}`;
  const [, , date, region, service, signedHeaders, signature] = auth;
  const amzDate = String(r.headers['x-amz-date']);
  if (!amzDate.startsWith(date!)) return 'x-amz-date does not match the credential scope';
  const names = signedHeaders!.split(';');
  for (const required of mustSign) if (!names.includes(required)) return `${required} is not signed`;
  const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
  const canonicalHeaders = names
    .map(
      (n) =>
        `${n}:${String(r.headers[n] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const [path, query = ''] = r.url.split('?');
  const canonicalRequest = [r.method, path, query, canonicalHeaders, signedHeaders, sha256(r.body)].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date!), region!), service!), 'aws4_request');
  const expected = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  return expected === signature ? undefined : 'signature does not verify';
}

/** The same check for long-term credentials, which sign no session token. */
export function verifyWithoutToken(r: Recorded, secretAccessKey: string): string | undefined {
  if (r.headers['x-amz-security-token'] !== undefined) return 'unexpected session token';
  return verifySigV4({ ...r, headers: { ...r.headers, 'x-amz-security-token': '' } }, secretAccessKey, [
    'host',
    'x-amz-date',
    'x-amz-target',
  ]);
}
