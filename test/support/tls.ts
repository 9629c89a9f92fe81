// Test-only TLS material, made fresh per run with the machine's openssl (no private key is committed):
// a test CA with a loopback server certificate it signed (trusted only by a process started with
// NODE_EXTRA_CA_CERTS pointing at the CA), and a self-signed loopback certificate nobody trusts.
// Plus loopback HTTPS and HTTP servers that record what reaches them, for the transport tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listenOnLoopback } from './loopback.js';

export interface KeyPair {
  key: string;
  cert: string;
}

export interface TestTls {
  dir: string;
  /** Path of the test CA's certificate, for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  /** A certificate for 127.0.0.1 and localhost signed by the test CA. */
  trusted: KeyPair;
  /** A self-signed certificate for 127.0.0.1 and localhost. */
  selfSigned: KeyPair;
  cleanup(): void;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const LOOPBACK_EXT = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n';

export function makeTestTls(): TestTls {
  const dir = mkdtempSync(path.join(tmpdir(), 'ld-sync-tls-'));
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  writeFileSync(f('leaf.ext'), LOOPBACK_EXT);
  openssl(
    'req',
    '-x509',
    ...EC,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=ld-dynamodb-sync test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  openssl('req', ...EC, '-keyout', f('leaf.key'), '-out', f('leaf.csr'), '-subj', '/CN=127.0.0.1');
  openssl(
    'x509',
    '-req',
    '-in',
    f('leaf.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('leaf.pem'),
    '-days',
    '2',
    '-extfile',
    f('leaf.ext'),
  );
  openssl(
    'req',
    '-x509',
    ...EC,
    '-keyout',
    f('self.key'),
    '-out',
    f('self.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  );
  const read = (name: string) => readFileSync(f(name), 'utf8');
  return {
    dir,
    caFile: f('ca.pem'),
    trusted: { key: read('leaf.key'), cert: read('leaf.pem') },
    selfSigned: { key: read('self.key'), cert: read('self.pem') },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface RecordingServer {
  /** e.g. https://127.0.0.1:PORT */
  origin: string;
  /** The Authorization header of every request received (undefined where none was sent). */
  authorizations: (string | undefined)[];
  close(): Promise<void>;
}

/** A loopback server (HTTPS with `tls`, else plain HTTP) that records each request's Authorization, then calls `handler`. */
export async function startRecordingServer(handler: RequestListener, tls?: KeyPair): Promise<RecordingServer> {
  const authorizations: (string | undefined)[] = [];
  const listener: RequestListener = (req: IncomingMessage, res) => {
    authorizations.push(req.headers.authorization);
    req.resume();
    handler(req, res);
  };
  const server: Server = tls ? createHttpsServer(tls, listener) : createHttpServer(listener);
  const origin = await listenOnLoopback(server);
  return {
    origin: tls ? origin.replace(/^http:/, 'https:') : origin,
    authorizations,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
