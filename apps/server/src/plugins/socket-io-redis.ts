import { createAdapter } from '@socket.io/redis-adapter';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { connectRedis, createRedis } from './redis.js';
import type { ParleyServer } from './socket-io.js';

/**
 * Makes `io` broadcast through Redis to every Parley process, and returns the adapter's two clients
 * for closing. Losing Redis then costs only the copies meant for other processes: this process
 * keeps delivering to its own clients, and once Redis is back every client catches up.
 */
export async function useRedisAdapter(
  io: ParleyServer,
  redis: { url: string; keyPrefix: string },
  log: FastifyBaseLogger,
): Promise<Redis[]> {
  const pub = createRedis(redis.url);
  const sub = createRedis(redis.url);
  for (const client of [pub, sub]) {
    client.on('error', (error) => log.warn({ err: error }, 'socket.io redis adapter error'));
    catchUnawaitedCommands(client, log);
  }
  await Promise.all([connectRedis(pub, redis.url), connectRedis(sub, redis.url)]);
  io.adapter(createAdapter(pub, sub, { key: `${redis.keyPrefix}socket.io` }));
  resyncClientsAfterOutage(io, sub, log);
  return [pub, sub];
}

const UNAWAITED_COMMANDS = ['publish', 'subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe'] as const;

/**
 * The adapter sends these without awaiting them (a publish for every broadcast, unsubscribes on
 * close). With Redis away they reject at once, and an unhandled rejection stops the whole process,
 * so every connected client would lose its acknowledgements. They are logged instead (once per outage).
 */
function catchUnawaitedCommands(client: Redis, log: FastifyBaseLogger): void {
  let reported = false;
  client.on('ready', () => {
    reported = false;
  });
  const onFailure = (error: unknown) => {
    if (reported) return;
    reported = true;
    log.warn(
      { err: error },
      'socket.io redis adapter: broadcasts reach this process only until redis is back',
    );
  };
  for (const name of UNAWAITED_COMMANDS) {
    const command = (client[name] as unknown as (...args: unknown[]) => Promise<unknown>).bind(client);
    Object.assign(client, {
      [name]: (...args: unknown[]) => {
        const result = command(...args);
        result.catch(onFailure);
        return result;
      },
    });
  }
}

/**
 * While the subscriber was cut off, broadcasts from other processes never arrived here, so this
 * process's clients may have missed messages, and only a catch-up (conversation:sync, which
 * clients run on every connect) brings them. So once the subscriptions are back, every local
 * client's transport is closed: socket.io clients reconnect by themselves after a transport close
 * (with their randomised backoff), then catch up. A server-side disconnect would not do, since
 * clients do not reconnect after one on their own.
 */
function resyncClientsAfterOutage(io: ParleyServer, sub: Redis, log: FastifyBaseLogger): void {
  let cutOff = false;
  sub.on('close', () => {
    cutOff = true;
  });
  sub.on('ready', () => {
    if (!cutOff) return;
    // ioredis wrote the re-subscriptions before emitting 'ready'; a PING behind them answers once
    // they are in effect, so nothing published after that is missed.
    sub.ping().then(
      () => {
        if (!cutOff) return;
        cutOff = false;
        const sockets = [...io.of('/').sockets.values()];
        log.warn({ sockets: sockets.length }, 'redis is back: reconnecting local clients so they catch up');
        for (const socket of sockets) socket.conn.close();
      },
      () => {
        // Lost again before the PING came back; the next 'ready' tries again.
      },
    );
  });
}
