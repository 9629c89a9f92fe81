// The HTTP plumbing of the fault proxy (ddb-fault-proxy.ts), kept apart from its fault logic: the loopback
// server that receives the client's requests, naming the operation of a DynamoDB JSON request, relaying a
// request to DynamoDB Local and buffering its answer, and writing an answer back. Nothing here decides a fault.
import { type Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { listenOnLoopback } from './loopback.js';

export const AMZ_JSON = 'application/x-amz-json-1.0';

export type HeaderMap = Record<string, string | string[]>;

/** An HTTP answer, fully buffered so the proxy can rewrite it before the client sees it. */
export interface Answer {
  status: number;
  headers: HeaderMap;
  body: Buffer;
}

/** Where forwarded requests go, and the keep-alive pool used to get there. */
export interface Upstream {
  url: URL;
  agent: Agent;
}

export interface LoopbackServer {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  /** Ends every connection at once and stops listening. */
  close(): Promise<void>;
}

/**
 * Serves on loopback, handing `handle` each request with its body read in full (the proxy decides on the
 * whole body); a failed `handle` drops the connection.
 */
export async function serveOnLoopback(
  handle: (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void>,
): Promise<LoopbackServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch(() => req.socket.destroy());
    });
  });
  // Tracked so close() can end kept-alive and stalled connections, which server.close() alone would wait for.
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 5_000;
  const endpoint = await listenOnLoopback(server);
  return {
    endpoint,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// Hop-by-hop or length headers: the proxy sets its own, since it may change the body.
const NOT_FORWARDED = new Set(['host', 'connection', 'expect', 'content-length', 'transfer-encoding']);

/** The operation named by X-Amz-Target ("DynamoDB_20120810.PutItem" gives "PutItem"), or "unknown". */
export function operationOf(req: IncomingMessage): string {
  const target = String(req.headers['x-amz-target'] ?? '');
  return target.includes('.') ? target.slice(target.lastIndexOf('.') + 1) : target || 'unknown';
}

/** Sends `req` with `body` (which may differ from what the client sent) upstream; rejects if the connection fails. */
export function forward(upstream: Upstream, req: IncomingMessage, body: Buffer): Promise<Answer> {
  const headers: HeaderMap = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !NOT_FORWARDED.has(name)) headers[name] = value;
  }
  headers['content-length'] = String(body.length);
  headers.host = upstream.url.host;
  const { hostname, port } = upstream.url;
  return new Promise((resolve, reject) => {
    const out = httpRequest({ host: hostname, port, method: req.method, path: req.url, headers, agent: upstream.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h: HeaderMap = {};
        for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) h[name] = value;
        resolve({ status: res.statusCode ?? 502, headers: h, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

/** Writes a complete answer; the length is recomputed because the body may have been rewritten. */
export function reply(res: ServerResponse, status: number, headers: HeaderMap, body: Buffer): void {
  const h = { ...headers };
  delete h['content-length'];
  delete h['transfer-encoding'];
  delete h.connection;
  res.writeHead(status, { ...h, 'content-length': String(body.length) });
  res.end(body);
}

/** A request or answer body as a JSON object; anything else (empty, malformed, not an object) reads as {}. */
export function parseBody(raw: Buffer): Record<string, unknown> {
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function jsonBuffer(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}
