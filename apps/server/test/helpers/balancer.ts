// A TCP load balancer in front of several server processes, as a deployment has: each new connection
// goes to the first upstream that accepts it, so when a process dies its clients' reconnections land
// on the next one (a health-checked balancer does the same, only with a delay).
import { connect, createServer, type Socket } from 'node:net';

export interface Balancer {
  /** http://127.0.0.1:<port>, for the clients. */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a balancer that prefers `upstreamPorts` (on 127.0.0.1) in the order given. */
export async function startFailoverBalancer(upstreamPorts: number[]): Promise<Balancer> {
  const open = new Set<Socket>();

  const forward = (client: Socket, candidates: number[]) => {
    const [port, ...rest] = candidates;
    if (port === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port });
    // Refused (the process is down): try the next one.
    const tryNext = () => forward(client, rest);
    upstream.once('error', tryNext);
    upstream.once('connect', () => {
      open.add(upstream);
      upstream.off('error', tryNext);
      const closeBoth = () => {
        open.delete(upstream);
        client.destroy();
        upstream.destroy();
      };
      for (const socket of [client, upstream]) {
        socket.on('error', closeBoth);
        socket.on('close', closeBoth);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  };

  const server = createServer({ pauseOnConnect: true }, (client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    forward(client, upstreamPorts);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('balancer has no port');

  return {
    url: `http://127.0.0.1:${address.port}`,
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
