import fp from 'fastify-plugin';
import { Redis } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    /** Null when REDIS_URL is not set: Parley then runs as a single process. */
    redis: Redis | null;
  }
}

export interface RedisPluginOptions {
  redis: { url: string; keyPrefix: string } | null;
}

export function createRedis(url: string): Redis {
  return new Redis(url, {
    // Keep serving when Redis goes away: commands fail fast instead of queueing forever,
    // and the client keeps reconnecting in the background.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // A partition closes nothing, so without this a command waits for ever, and every socket event
    // waits on the rate limiter's. Redis answers in well under a millisecond when it is there.
    commandTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: true,
  });
}

export default fp<RedisPluginOptions>(
  async (fastify, options) => {
    if (!options.redis) {
      fastify.decorate('redis', null);
      return;
    }
    const redis = createRedis(options.redis.url);
    redis.on('error', (error) => fastify.log.warn({ err: error }, 'redis error'));
    await redis.connect();
    fastify.decorate('redis', redis);
    fastify.addHook('onClose', async () => {
      redis.disconnect();
    });
  },
  { name: 'redis' },
);
