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

/** `url` without its password, for messages and logs. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}

/**
 * Connects a client made by `createRedis` at start-up. Throws, naming REDIS_URL, when Redis cannot be
 * reached: Parley is configured to share its state through it, and starting without would split
 * rate limits, presence and broadcasts between processes without a word.
 */
export async function connectRedis(client: Redis, url: string): Promise<void> {
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(
      `Could not connect to Redis at REDIS_URL (${withoutPassword(url)}): ${(error as Error).message}`,
      { cause: error },
    );
  }
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
    await connectRedis(redis, options.redis.url);
    fastify.decorate('redis', redis);
    fastify.addHook('onClose', async () => {
      redis.disconnect();
    });
  },
  { name: 'redis' },
);
