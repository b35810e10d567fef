import { createServer, type Server, type Socket } from 'node:net';

/**
 * Listens on a free loopback port until `close()`, for tests that need a taken port.
 * Connections that arrive meanwhile are closed with it, so `close()` never waits on them.
 */
export async function occupyLoopbackPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return closeServer(server);
    },
  };
}

/** A loopback port that nothing listens on (it was free a moment ago). */
export async function closedLoopbackPort(): Promise<number> {
  const { port, close } = await occupyLoopbackPort();
  await close();
  return port;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
