import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import fp from 'fastify-plugin';
import type { DatabasePoolConfig } from '../config.js';
import { PrismaClient } from '../generated/prisma/client.js';

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient;
  }
}

export interface PrismaPluginOptions {
  databaseUrl: string;
  pool?: Partial<DatabasePoolConfig>;
}

/**
 * Options for an interactive transaction that locks rows before it reads: READ COMMITTED, so reads
 * after a lock wait see what the previous holder committed (under MariaDB's default REPEATABLE READ
 * they would still see the snapshot from before the wait), and a locking read takes no gap locks and
 * keeps only the rows it returns locked, not every row it scanned.
 */
export const LOCK_THEN_READ_COMMITTED = { isolationLevel: 'ReadCommitted' } as const;

export const DEFAULT_POOL: DatabasePoolConfig = {
  poolSize: 10,
  poolTimeoutMs: 3_000,
  lockWaitTimeoutSeconds: 5,
};

const TRANSACTION_WAIT_MARGIN_MS = 1_000;
/** What an interactive transaction may take beyond one statement's longest lock wait (ms). */
const TRANSACTION_RUN_MARGIN_MS = 2_000;

/**
 * A Prisma client over a MariaDB pool. Every wait is bounded so that overload and outages are
 * answered (as retryable, lib/db-failures.ts) well before the client's own ack timeout (10 s).
 */
export function createPrismaClient(
  databaseUrl: string,
  pool: Partial<DatabasePoolConfig> = {},
): PrismaClient {
  const { poolSize, poolTimeoutMs, lockWaitTimeoutSeconds } = { ...DEFAULT_POOL, ...pool };
  const url = new URL(databaseUrl);
  const adapter = new PrismaMariaDb({
    host: url.hostname,
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1),
    connectionLimit: poolSize,
    // Fail fast when the database is down, so a send is refused quickly and stays in the outbox.
    // The pool keeps retrying refused connections until acquireTimeout, so that is what a refusal
    // costs: it must stay well under the client's send timeout (10 s in the web app).
    acquireTimeout: poolTimeoutMs,
    connectTimeout: 2_000,
    // Prisma's adapter runs queries as prepared statements (the binary protocol); the driver keeps
    // each connection's most recent ones, so a repeated query shape is prepared once.
    prepareCacheLength: 256,
    // MariaDB waits 50 s for a row lock by default, far past any client's patience.
    sessionVariables: { innodb_lock_wait_timeout: lockWaitTimeoutSeconds },
  });
  // A transaction waits for its connection as long as a query does (Prisma's own default is 2 s),
  // and a little longer, so that the pool answers first: its error tells a full pool (busy) from a
  // database that cannot be reached (unavailable), where Prisma's P2028 would not.
  // It may run as long as one of its statements may wait for a row lock, and a little longer
  // (Prisma's own default is 5 s whatever the lock wait): a transaction waiting for a lock then
  // gets MariaDB's lock wait timeout, or the lock, rather than being cut off by Prisma while it waits.
  return new PrismaClient({
    adapter,
    transactionOptions: {
      maxWait: poolTimeoutMs + TRANSACTION_WAIT_MARGIN_MS,
      timeout: lockWaitTimeoutSeconds * 1_000 + TRANSACTION_RUN_MARGIN_MS,
    },
  });
}

export default fp<PrismaPluginOptions>(
  async (fastify, options) => {
    const prisma = createPrismaClient(options.databaseUrl, options.pool);
    fastify.decorate('prisma', prisma);
    fastify.addHook('onClose', async () => {
      await prisma.$disconnect();
    });
  },
  { name: 'prisma' },
);
