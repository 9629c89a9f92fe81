// Test servers listen on loopback only, on a port the system picks: nothing a test starts is reachable
// from outside the machine, and parallel test files never collide on a port.
import type { AddressInfo, Server } from 'node:net';

/** Starts `server` (a TCP or HTTP server) on 127.0.0.1 and a free port; resolves with its origin, `http://127.0.0.1:<port>`. */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
