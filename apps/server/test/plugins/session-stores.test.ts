// Both session stores read many sessions at once (loadMany, for the periodic socket checks) with the
// same answers as one at a time: signed in, logged out, expired, unknown, and with Redis, cached,
// not cached, or ended by a tombstone.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toSqlDateTime } from '../../src/lib/sql-datetime.js';
import { CachedSessionStore } from '../../src/plugins/session-stores.js';
import {
  TEST_REDIS_URL,
  queryDatabase,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../helpers/server.js';

async function sessionIdOf(t: TestServer, user: TestUser): Promise<string> {
  const [row] = await queryDatabase<{ id: string }>(t, 'SELECT id FROM sessions WHERE userId = ?', [user.id]);
  if (!row) throw new Error('no session');
  return row.id;
}

type SessionName = 'active' | 'loggedOut' | 'expired' | 'uncached' | 'tombstoned';

interface Sessions {
  t: TestServer;
  redis: Redis;
  ids: Record<SessionName, string>;
  users: Record<SessionName, TestUser>;
  /** The Redis key of a session's cached copy. */
  key(sessionId: string): string;
}

/**
 * A server with a session of each kind: signed in, logged out, expired, and with Redis, one not
 * cached and one whose row is still there but whose cached copy is a tombstone (as a logout's is).
 */
async function prepare(withRedis: boolean): Promise<Sessions> {
  const t = await startTestServer({ redis: withRedis });
  const redis = new Redis(TEST_REDIS_URL);
  const key = (sessionId: string) => `${t.config.redis?.keyPrefix}session:${sessionId}`;
  const names: SessionName[] = ['active', 'loggedOut', 'expired', 'uncached', 'tombstoned'];
  const ids = {} as Record<SessionName, string>;
  const users = {} as Record<SessionName, TestUser>;
  for (const name of names) {
    users[name] = await t.signUp();
    ids[name] = await sessionIdOf(t, users[name]);
    // Read once, as a request would: with Redis, this caches it.
    await t.server.sessions.store.load(ids[name]);
  }
  expect((await t.http('POST', '/api/auth/logout', { cookie: users.loggedOut.cookie })).status).toBe(204);
  const past = new Date(Date.now() - 60_000);
  await queryDatabase(
    t,
    "UPDATE sessions SET expiresAt = ?, data = JSON_SET(data, '$.cookie.expires', ?) WHERE id = ?",
    // As Prisma stores DATETIME: UTC, whatever zone the tests run in.
    [toSqlDateTime(past), past.toISOString(), ids.expired],
  );
  if (withRedis) {
    await redis.del(key(ids.expired), key(ids.uncached));
    // A logout whose database delete this read does not see yet: the tombstone decides.
    await redis.set(key(ids.tombstoned), 'ended', 'PX', 60_000);
  }
  return { t, redis, ids, users, key };
}

async function release({ t, redis }: Sessions): Promise<void> {
  redis.disconnect();
  await t.close();
}

describe.each([
  { name: 'the database store', withRedis: false },
  { name: 'the database store cached in Redis', withRedis: true },
])('$name', ({ withRedis }) => {
  let s: Sessions;
  beforeAll(async () => {
    s = await prepare(withRedis);
  });
  afterAll(() => release(s));

  it('answers the sessions that hold, by id, and leaves out logged-out, expired and unknown ones', async () => {
    const { t, ids, users } = s;
    const { store } = t.server.sessions;
    const asked = [...Object.values(ids), 'no-such-session', ids.active];
    const many = await store.loadMany(asked);

    const held: SessionName[] = withRedis ? ['active', 'uncached'] : ['active', 'uncached', 'tombstoned'];
    expect(new Set(many.keys())).toEqual(new Set(held.map((name) => ids[name])));
    expect(many.get(ids.active)).toMatchObject({ userId: users.active.id });
    expect(many.get(ids.uncached)).toMatchObject({ userId: users.uncached.id });
    // The same answers as one at a time.
    for (const id of asked) expect(await store.load(id)).toEqual(many.get(id) ?? null);

    const current = await t.server.sessions.currentMany(asked);
    expect([...current.keys()].sort()).toEqual([...many.keys()].sort());
    expect(current.get(ids.active)).toEqual({ userId: users.active.id, expiresAt: expect.any(Number) });
    expect(current.get(ids.active)!.expiresAt).toBeGreaterThan(Date.now());
    expect(await store.loadMany([])).toEqual(new Map());
  });
});

describe('the Redis cache of sessions read together', () => {
  let s: Sessions;
  beforeAll(async () => {
    s = await prepare(true);
  });
  afterAll(() => release(s));

  it('caches what it read from the database for a minute, but never over a tombstone', async () => {
    const { t, redis, ids, users, key } = s;
    await redis.del(key(ids.uncached));
    await t.server.sessions.store.loadMany([ids.uncached, ids.tombstoned]);
    const ttl = await redis.pttl(key(ids.uncached));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(JSON.parse((await redis.get(key(ids.uncached)))!)).toMatchObject({ userId: users.uncached.id });
    expect(await redis.get(key(ids.tombstoned))).toBe('ended');
  });

  it('reads the database alone while Redis is unreachable', async () => {
    const { t, ids } = s;
    const unreachable = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    // Its refused connection is what this test is about, not an error to report.
    unreachable.on('error', () => undefined);
    const store = new CachedSessionStore(
      t.server.prisma,
      t.server.readPool,
      t.config.sessionTtlMs,
      unreachable,
      t.config.redis!.keyPrefix,
      t.server.log,
    );
    try {
      const many = await store.loadMany([ids.active, ids.loggedOut, ids.expired]);
      expect([...many.keys()]).toEqual([ids.active]);
    } finally {
      store.close();
      unreachable.disconnect();
    }
  });
});
