// The Redis keys a bench run's Parley made under its own prefix (`parley_bench_…:`, parley.ts):
// found with SCAN, so a large keyspace is walked in steps instead of blocking Redis as KEYS would,
// and removed with UNLINK, which frees their memory off Redis's main thread.
import { Redis } from 'ioredis';

const SCAN_COUNT = 1_000;

/** A SCAN MATCH pattern for every key starting with `prefix` (its glob characters escaped). */
export function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[\\*?[\]]/g, '\\$&')}*`;
}

/** Every key under `prefix`, in SCAN's batches (each at most about SCAN_COUNT keys). */
async function* keyBatches(redis: Redis, prefix: string): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', prefixPattern(prefix), 'COUNT', SCAN_COUNT);
    if (keys.length > 0) yield keys;
    cursor = next;
  } while (cursor !== '0');
}

/** Deletes every key under `prefix`, one UNLINK per SCAN batch; resolves with how many were deleted. */
export async function deleteKeysUnder(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let deleted = 0;
    for await (const keys of keyBatches(redis, prefix)) deleted += await redis.unlink(...keys);
    return deleted;
  } finally {
    redis.disconnect();
  }
}

/** The keys under `prefix` now (for tests: what a run left behind). */
export async function keysUnder(redisUrl: string, prefix: string): Promise<string[]> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    // SCAN may return a key more than once.
    const found = new Set<string>();
    for await (const keys of keyBatches(redis, prefix)) for (const key of keys) found.add(key);
    return [...found];
  } finally {
    redis.disconnect();
  }
}
