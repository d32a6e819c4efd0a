import fp from 'fastify-plugin';
import { createPool, type Pool } from 'mariadb';
import type { DatabasePoolConfig } from '../config.js';
import { parseDatabaseUrl } from '../db/migrate.js';
import type { GroupCommitOptions } from '../lib/group-commit.js';

/**
 * Connections of the raw reads (`readPool`): per connect, the session (plugins/session-stores.ts),
 * handshakeOf twice and contactsOf (conversations.repository.ts), the first three gathered with those
 * of the handshakes arriving together (`gatheredReadOptions`); one session read per HTTP request with
 * a cookie; two per batch of the periodic socket checks; two per presence window (who hears of the
 * window's changes) and one per `presence:watch` (the group's members). Each statement is short, so
 * two keep up with a connect storm.
 */
export const READ_POOL_CONNECTIONS = 2;

/**
 * Options for reads on `readPool` gathered like a group commit (lib/group-commit.ts): what arrives
 * while a read is in flight waits (at most `waitMs` once one is free) and goes in the next statement, so
 * a connect storm reads in a few statements instead of one per handshake, which queued past the
 * pool's acquire timeout on a loaded machine. `busyMessage` refuses a read that found no place for
 * 5 s (`server/busy`, retryable).
 */
export function gatheredReadOptions(name: string, busyMessage: string): GroupCommitOptions {
  return {
    name,
    waitMs: 1,
    maxBatch: 512,
    connections: READ_POOL_CONNECTIONS,
    admissionTimeoutMs: 5_000,
    busyMessage,
  };
}

/** Connections of message search (`searchQueryPool`): searches at once per process, the rest wait. */
export const SEARCH_QUERY_CONNECTIONS = 2;

declare module 'fastify' {
  interface FastifyInstance {
    /** The send path's own connections (features/messages/send-batcher.ts), apart from Prisma's pool. */
    storePool: Pool;
    /**
     * The connect path's own connections, for frequent reads whose rows would cost more to map
     * through Prisma than to fetch (sessions, plugins/session-stores.ts; the handshake's
     * conversations and the presence snapshot's contacts, conversations.repository.ts). Apart
     * from the send path's, so a connect storm never queues sends behind it, nor waits behind them.
     */
    readPool: Pool;
    /**
     * The search indexer's one connection (features/search/search-indexer.ts): its rounds hold a
     * named lock on it, and never take a connection from the send or connect paths.
     */
    searchIndexPool: Pool;
    /**
     * Message search's own connections (features/search/search.routes.ts): a search of a large
     * site can take a second, and searches waiting for these never hold up anything else.
     */
    searchQueryPool: Pool;
  }
}

export interface StorePoolOptions {
  databaseUrl: string;
  /** Connections: one per batch being written. */
  connections: number;
  pool: Pick<DatabasePoolConfig, 'poolTimeoutMs' | 'lockWaitTimeoutSeconds'>;
}

export interface StorePoolsOptions extends Omit<StorePoolOptions, 'connections'> {
  /** Connections of the send path's pool (`storePool`). */
  storeConnections: number;
  /** Connections of the connect path's pool (`readPool`). */
  readConnections: number;
}

/**
 * A mariadb pool for raw SQL (the message store's, and the connect path's reads). Its waits are bounded like Prisma's
 * (plugins/prisma.ts), so an outage is answered as retryable before the client gives up. Sessions
 * read committed rows (messages.repository.ts explains why a write that waited for a lock needs
 * that). A round trip of the store is one command of several statements (`multipleStatements`),
 * so a batch costs the driver three commands rather than one per statement; values are always
 * passed as parameters, which the driver escapes, never spliced into the SQL.
 */
export function createStorePool({ databaseUrl, connections, pool }: StorePoolOptions): Pool {
  return createPool({
    ...parseDatabaseUrl(databaseUrl),
    connectionLimit: connections,
    acquireTimeout: pool.poolTimeoutMs,
    connectTimeout: 2_000,
    pipelining: true,
    multipleStatements: true,
    // The driver would otherwise send a ROLLBACK on release whenever it cannot tell the connection
    // is idle, which after a multi-statement command ending in COMMIT it sometimes cannot: a round
    // trip for nothing. The stores end every transaction themselves, and a connection whose
    // ROLLBACK failed is destroyed rather than released (message-batch-store.ts).
    noControlAfterUse: true,
    prepareCacheLength: 256,
    initSql: 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
    sessionVariables: { innodb_lock_wait_timeout: pool.lockWaitTimeoutSeconds },
  });
}

export default fp<StorePoolsOptions>(
  async (fastify, { storeConnections, readConnections, ...options }) => {
    const storePool = createStorePool({ ...options, connections: storeConnections });
    const readPool = createStorePool({ ...options, connections: readConnections });
    const searchIndexPool = createStorePool({ ...options, connections: 1 });
    const searchQueryPool = createStorePool({ ...options, connections: SEARCH_QUERY_CONNECTIONS });
    fastify.decorate('storePool', storePool);
    fastify.decorate('readPool', readPool);
    fastify.decorate('searchIndexPool', searchIndexPool);
    fastify.decorate('searchQueryPool', searchQueryPool);
    fastify.addHook('onClose', async () => {
      await Promise.all([storePool.end(), readPool.end(), searchIndexPool.end(), searchQueryPool.end()]);
    });
  },
  { name: 'store-pool' },
);
