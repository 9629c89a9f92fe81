// A TCP proxy on 127.0.0.1 in front of the loopback LaunchDarkly that can cut a connection in the middle of
// an SSE event: when armed, the next server-to-client chunk containing `marker` is forwarded only up to the
// middle of the event, and both sockets are destroyed. That is a connection dropped mid-event, as a flaky
// network or a load balancer produces it, which a server cannot produce by itself.
import { connect, createServer, type Socket } from 'node:net';
import { listenOnLoopback } from '../../support/loopback.js';

export interface CuttingProxy {
  /** Base URL to give the client instead of the server's. */
  readonly uri: string;
  /** Cut the next chunk (from server to client) that contains `marker`, half-way through the event. */
  armCut(marker: string): void;
  /** Connections cut so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

export async function startCuttingProxy(target: string): Promise<CuttingProxy> {
  const upstream = new URL(target);
  let marker: string | undefined;
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const server = connect({ host: upstream.hostname, port: Number(upstream.port) });
    sockets.add(client);
    sockets.add(server);
    const closeBoth = () => {
      client.destroy();
      server.destroy();
    };
    client.on('close', () => sockets.delete(client));
    server.on('close', () => sockets.delete(server));
    client.on('error', closeBoth);
    server.on('error', closeBoth);
    client.on('end', () => server.end());
    server.on('end', () => client.end());
    client.on('data', (chunk: Buffer) => server.write(chunk));
    server.on('data', (chunk: Buffer) => {
      const at = marker === undefined ? -1 : chunk.indexOf(marker);
      if (at < 0) {
        client.write(chunk);
        return;
      }
      marker = undefined;
      cuts++;
      // Up to the middle of the event: its name and part of its data arrive, its end never does.
      const eventEnd = chunk.indexOf('\n\n', at);
      const cutAt = at + Math.floor(((eventEnd < 0 ? chunk.length : eventEnd) - at) / 2);
      client.write(chunk.subarray(0, cutAt), () => closeBoth());
    });
  });
  const origin = await listenOnLoopback(server);
  return {
    uri: origin,
    armCut(m) {
      marker = m;
    },
    get cuts() {
      return cuts;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
