import { createServer } from 'node:net';

/**
 * Asks the kernel for a free port on 127.0.0.1. The port is released before the backend
 * binds it, so another process can take it in between. The launcher therefore retries
 * with a new port when the backend reports the address in use.
 */
export function findFreeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
