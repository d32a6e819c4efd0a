// A TCP proxy on 127.0.0.1 that a test can cut and restore, to make MariaDB or Redis "go away" for
// one server process without touching the services other tests share.
import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * 'reset': the service crashed or refuses connections; clients see errors at once.
 * 'blackhole': a network partition; nothing is answered and nothing fails, connections just hang
 * (bytes wait in the kernel buffers and flow again on restore, as TCP would retransmit them).
 */
export type CutMode = 'reset' | 'blackhole';

export interface TcpProxy {
  readonly port: number;
  /** The proxy's address in place of the target's, e.g. mysql://root@127.0.0.1:<port>/db. */
  readonly host: string;
  /** How it is cut, or null while forwarding. */
  readonly cutMode: CutMode | null;
  /** Connections accepted since the proxy started (whether or not they were refused). */
  readonly accepted: number;
  /**
   * Round trips forwarded, all connections together: bytes from the client after the server last
   * answered on that connection (or after it opened) start one. Queries a client pipelines, written
   * before the first answer comes back, are one round trip.
   */
  readonly roundTrips: number;
  /**
   * MariaDB/MySQL commands forwarded, all connections together: packets from the client that start a
   * command (sequence id 0), so a command of several statements counts once. Meaningless for other
   * protocols.
   */
  readonly commands: number;
  /**
   * 'reset' (the default) resets every open connection on both sides and refuses new ones at once.
   * 'blackhole' stops forwarding on open connections and holds new ones unanswered.
   */
  cut(mode?: CutMode): void;
  /** Forwards again: held connections resume where they stopped; reset ones stay closed. */
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  /** Accepted during a blackhole: connected upstream only on restore. */
  const held = new Set<Socket>();
  let cutMode: CutMode | null = null;
  let accepted = 0;
  let roundTrips = 0;
  let commands = 0;

  const reset = (socket: Socket) => {
    if (!socket.destroyed) socket.resetAndDestroy();
  };
  const stopForwarding = ([client, upstream]: [Socket, Socket]) => {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  };
  const forward = ([client, upstream]: [Socket, Socket]) => {
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const connectUpstream = (client: Socket) => {
    const upstream = connect({ host: target.host, port: target.port });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const closeBoth = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    let answered = true;
    const countCommands = mysqlCommandCounter(() => {
      commands += 1;
    });
    client.on('data', (chunk: Buffer) => {
      if (answered) roundTrips += 1;
      answered = false;
      countCommands(chunk);
    });
    upstream.on('data', () => {
      answered = true;
    });
    forward(pair);
  };

  const server: Server = createServer((client) => {
    accepted += 1;
    if (cutMode === 'reset') {
      reset(client);
    } else if (cutMode === 'blackhole') {
      client.pause();
      held.add(client);
      const release = () => held.delete(client);
      client.on('error', release);
      client.on('close', release);
    } else {
      connectUpstream(client);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('tcp proxy has no port');

  return {
    port: address.port,
    host: '127.0.0.1',
    get cutMode() {
      return cutMode;
    },
    get accepted() {
      return accepted;
    },
    get roundTrips() {
      return roundTrips;
    },
    get commands() {
      return commands;
    },
    cut(mode = 'reset') {
      cutMode = mode;
      if (mode === 'blackhole') {
        for (const pair of pairs) stopForwarding(pair);
        return;
      }
      for (const [client, upstream] of pairs) {
        reset(client);
        reset(upstream);
      }
      pairs.clear();
      for (const client of held) reset(client);
      held.clear();
    },
    restore() {
      if (cutMode === 'blackhole') {
        for (const pair of pairs) forward(pair);
        for (const client of held) if (!client.destroyed) connectUpstream(client);
        held.clear();
      }
      cutMode = null;
    },
    async close() {
      cutMode = 'reset';
      for (const client of held) client.destroy();
      held.clear();
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Follows the client's side of the MySQL wire protocol (packets of a 3-byte little-endian length and a
 * 1-byte sequence id, then the payload; chunks may split packets anywhere) and calls `onCommand` for
 * each packet with sequence id 0, which is how every command starts.
 */
function mysqlCommandCounter(onCommand: () => void): (chunk: Buffer) => void {
  let header = Buffer.alloc(0);
  let payloadLeft = 0;
  return (chunk) => {
    let at = 0;
    while (at < chunk.length) {
      if (payloadLeft > 0) {
        const take = Math.min(payloadLeft, chunk.length - at);
        payloadLeft -= take;
        at += take;
        continue;
      }
      const take = Math.min(4 - header.length, chunk.length - at);
      header = Buffer.concat([header, chunk.subarray(at, at + take)]);
      at += take;
      if (header.length < 4) return;
      payloadLeft = header.readUIntLE(0, 3);
      if (header[3] === 0) onCommand();
      header = Buffer.alloc(0);
    }
  };
}
