import type { SessionStore } from '@fastify/session';
import type { FastifyBaseLogger, Session } from 'fastify';
import type { Redis } from 'ioredis';
import type { Pool } from 'mariadb';
import type { PrismaClient } from '../generated/prisma/client.js';
import { padIdList } from '../lib/id-list.js';
import { createGroupCommit, type GroupCommit } from '../lib/group-commit.js';
import { fromSqlDateTime } from '../lib/sql-datetime.js';
import { placeholders } from '../lib/sql-lists.js';
import { gatheredReadOptions } from './store-pool.js';

/** What Parley keeps in a session. */
export interface SessionPayload {
  userId?: number;
  cookie?: { expires?: string | Date | null };
}

type Callback = (error?: unknown) => void;
type GetCallback = (error: unknown, session?: Session | null) => void;

/**
 * @fastify/session's callback store interface plus a promise-based `load` for the socket handshake.
 * The store records the session's user, so a user's sessions can be found and ended.
 */
export interface ParleySessionStore extends SessionStore {
  load(sessionId: string): Promise<SessionPayload | null>;
  /**
   * Several sessions in one read (the periodic socket checks, features/auth/session-sockets.ts): the
   * sessions found, by id; an id that is missing, expired or ended is absent. Meant for lists of a few
   * hundred ids (one `IN (…)` query, one Redis MGET).
   */
  loadMany(sessionIds: readonly string[]): Promise<Map<string, SessionPayload>>;
  /** Ends every session of a user (e.g. a deactivated account); returns their ids. */
  destroyAllOf(userId: number): Promise<string[]>;
  close(): void;
}

function expiryOf(session: SessionPayload, ttlMs: number): Date {
  const expires = session.cookie?.expires;
  return expires ? new Date(expires) : new Date(Date.now() + ttlMs);
}

function serialize(session: SessionPayload): string {
  return JSON.stringify(session);
}

abstract class PromiseStore implements ParleySessionStore {
  abstract load(sessionId: string): Promise<SessionPayload | null>;
  abstract loadMany(sessionIds: readonly string[]): Promise<Map<string, SessionPayload>>;
  abstract destroyAllOf(userId: number): Promise<string[]>;
  protected abstract save(sessionId: string, session: SessionPayload): Promise<void>;
  protected abstract remove(sessionId: string): Promise<void>;
  close(): void {}

  get(sessionId: string, callback: GetCallback): void {
    // @fastify/session rebuilds its Session (and Cookie) from the plain stored object.
    this.load(sessionId).then((session) => callback(null, session as Session | null), callback);
  }
  set(sessionId: string, session: Session, callback: Callback): void {
    this.save(sessionId, session).then(() => callback(), callback);
  }
  destroy(sessionId: string, callback: Callback): void {
    this.remove(sessionId).then(() => callback(), callback);
  }
}

/** A session row as the raw reads return it: id, the serialized session, its expiry as a UTC DATETIME string. */
type SessionRow = [id: string, data: string, expiresAt: string];

/**
 * Sessions in the database's `sessions` table. Writes go through Prisma; reads, one for every
 * request and socket handshake that carries a cookie and one for each batch of the periodic socket
 * checks, go to the driver (`reads`, the connect path's pool, plugins/store-pool.ts): through Prisma
 * a read cost a handshake about as much CPU as everything else it reads, and the idle socket checks
 * most of what an idle server allocates (docs/benchmarks.md, "Idle connections and presence events").
 */
export class DatabaseSessionStore extends PromiseStore {
  private readonly sweeper: NodeJS.Timeout;
  /**
   * `load`s gathered into `loadMany`s (lib/group-commit.ts): in a connect storm a thousand handshakes
   * read their sessions in a few statements rather than a thousand, so they do not queue for `reads`'
   * few connections until its acquire timeout refuses them (connect-storm.test.ts).
   */
  private readonly loads: GroupCommit<string, SessionPayload | null>;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly reads: Pool,
    private readonly ttlMs: number,
    sweepIntervalMs = 3_600_000,
  ) {
    super();
    this.loads = createGroupCommit(
      async (sessionIds) => {
        const found = await this.loadMany([...new Set(sessionIds)]);
        return sessionIds.map((id) => ({ ok: true, value: found.get(id) ?? null }));
      },
      gatheredReadOptions('sessions', 'Sessions cannot be read right now; try again shortly'),
    );
    this.sweeper = setInterval(() => {
      this.prisma.session.deleteMany({ where: { expiresAt: { lt: new Date() } } }).catch(() => {
        // The next sweep tries again; expired rows are never served meanwhile (see load).
      });
    }, sweepIntervalMs);
    this.sweeper.unref();
  }

  override close(): void {
    clearInterval(this.sweeper);
  }

  /** The rows of these sessions (ids padded, so the prepared statements stay few: lib/id-list.ts). */
  private readRows(sessionIds: readonly string[]): Promise<SessionRow[]> {
    const ids = padIdList(sessionIds);
    return this.reads.execute<SessionRow[]>(
      {
        sql: `SELECT id, data, expiresAt FROM sessions WHERE id IN (${placeholders(ids.length, '?')})`,
        rowsAsArray: true,
        // Prisma writes DATETIME columns in UTC; read them as written, whatever this process's zone.
        dateStrings: true,
      },
      ids,
    );
  }

  load(sessionId: string): Promise<SessionPayload | null> {
    return this.loads.submit(sessionId);
  }

  async loadMany(sessionIds: readonly string[]): Promise<Map<string, SessionPayload>> {
    const found = new Map<string, SessionPayload>();
    if (sessionIds.length === 0) return found;
    const now = Date.now();
    for (const [id, data, expiresAt] of await this.readRows(sessionIds)) {
      if (fromSqlDateTime(expiresAt).getTime() > now) found.set(id, JSON.parse(data) as SessionPayload);
    }
    return found;
  }

  protected async save(sessionId: string, session: SessionPayload): Promise<void> {
    const data = serialize(session);
    const expiresAt = expiryOf(session, this.ttlMs);
    const userId = session.userId ?? null;
    await this.prisma.session.upsert({
      where: { id: sessionId },
      create: { id: sessionId, data, expiresAt, userId },
      update: { data, expiresAt, userId },
    });
  }

  protected async remove(sessionId: string): Promise<void> {
    await this.prisma.session.deleteMany({ where: { id: sessionId } });
  }

  async destroyAllOf(userId: number): Promise<string[]> {
    const rows = await this.prisma.session.findMany({ where: { userId }, select: { id: true } });
    const ids = rows.map((row) => row.id);
    if (ids.length > 0) await this.prisma.session.deleteMany({ where: { id: { in: ids } } });
    return ids;
  }
}

/**
 * With REDIS_URL set: sessions are read from Redis while it answers, and always kept in the
 * database, so a Redis outage or an empty Redis restart signs nobody out and refuses no sign-in.
 * Cached copies live briefly, which bounds how long a logout made while Redis was unreachable
 * (so its cached copy could not be deleted) can be outlived by that copy.
 */
const ENDED = 'ended';

export class CachedSessionStore extends DatabaseSessionStore {
  constructor(
    prisma: PrismaClient,
    reads: Pool,
    ttlMs: number,
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly log: FastifyBaseLogger,
    private readonly cacheMs = 60_000,
  ) {
    super(prisma, reads, ttlMs);
  }

  private key(sessionId: string): string {
    return `${this.keyPrefix}session:${sessionId}`;
  }

  /**
   * A copy read from the database is cached only if nothing was cached meanwhile (NX), and an
   * ended session leaves a tombstone instead of nothing: so a load that read the row just before a
   * logout deleted it cannot put the ended session back into the cache.
   */
  private async cache(
    sessionId: string,
    session: SessionPayload | null,
    onlyIfAbsent = false,
  ): Promise<void> {
    try {
      const value = session ? serialize(session) : ENDED;
      if (onlyIfAbsent) await this.redis.set(this.key(sessionId), value, 'PX', this.cacheMs, 'NX');
      else await this.redis.set(this.key(sessionId), value, 'PX', this.cacheMs);
    } catch (error) {
      this.log.warn({ err: error }, 'session cache unavailable; using the database');
    }
  }

  override async load(sessionId: string): Promise<SessionPayload | null> {
    try {
      const cached = await this.redis.get(this.key(sessionId));
      if (cached === ENDED) return null;
      if (cached) return JSON.parse(cached) as SessionPayload;
    } catch (error) {
      this.log.warn({ err: error }, 'session cache unavailable; using the database');
    }
    const session = await super.load(sessionId);
    if (session) await this.cache(sessionId, session, true);
    return session;
  }

  /** One MGET, then one database read for the ids Redis does not have, cached as `load` does (NX). */
  override async loadMany(sessionIds: readonly string[]): Promise<Map<string, SessionPayload>> {
    const found = new Map<string, SessionPayload>();
    if (sessionIds.length === 0) return found;
    let misses: readonly string[] = sessionIds;
    try {
      const cached = await this.redis.mget(sessionIds.map((id) => this.key(id)));
      misses = sessionIds.filter((id, index) => {
        const value = cached[index];
        if (value && value !== ENDED) found.set(id, JSON.parse(value) as SessionPayload);
        return !value;
      });
    } catch (error) {
      this.log.warn({ err: error }, 'session cache unavailable; using the database');
    }
    if (misses.length === 0) return found;
    const loaded = await super.loadMany(misses);
    if (loaded.size > 0) {
      const pipeline = this.redis.pipeline();
      for (const [id, session] of loaded) {
        pipeline.set(this.key(id), serialize(session), 'PX', this.cacheMs, 'NX');
        found.set(id, session);
      }
      // Each command's own failure is in exec's answer; a cache that is away only costs later reads.
      await pipeline.exec().catch((error: unknown) => {
        this.log.warn({ err: error }, 'session cache unavailable; using the database');
      });
    }
    return found;
  }

  protected override async save(sessionId: string, session: SessionPayload): Promise<void> {
    await super.save(sessionId, session);
    await this.cache(sessionId, session);
  }

  protected override async remove(sessionId: string): Promise<void> {
    await super.remove(sessionId);
    await this.cache(sessionId, null);
  }

  override async destroyAllOf(userId: number): Promise<string[]> {
    const ids = await super.destroyAllOf(userId);
    await Promise.all(ids.map((id) => this.cache(id, null)));
    return ids;
  }
}
