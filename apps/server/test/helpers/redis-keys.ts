// Redis keys a test's server processes left under their prefix, deleted once those processes are gone.
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from './server.js';

/** Deletes every key starting with `prefix` on the test Redis. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    for (let round = 0; round < 1_000; round += 1) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
}
