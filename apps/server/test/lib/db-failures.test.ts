// Each retryable class provoked for real against MariaDB, through the same Prisma client and
// adapter the server uses, so the classifier is checked against the errors they really throw.
import { ErrorCode } from '@parley/shared';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import * as mariadb from 'mariadb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../src/db/migrate.js';
import { PrismaClient } from '../../src/generated/prisma/client.js';
import { BUSY_RETRY_AFTER_MS, toAppError } from '../../src/lib/app-error.js';
import { classifyDatabaseFailure } from '../../src/lib/db-failures.js';
import { createPrismaClient } from '../../src/plugins/prisma.js';
import { createStorePool } from '../../src/plugins/store-pool.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/** Resolves with what `work` threw; fails the test if it succeeded. */
async function failureOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail');
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('classifying database failures', () => {
  let database: TestDatabase;
  let raw: mariadb.Connection;
  let userIds: [number, number];
  const clients: PrismaClient[] = [];

  const client = (pool: Parameters<typeof createPrismaClient>[1]) => {
    const prisma = createPrismaClient(database.url, pool);
    clients.push(prisma);
    return prisma;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    raw = await mariadb.createConnection(parseDatabaseUrl(database.url));
    for (const name of ['first', 'second']) {
      await raw.query('INSERT INTO users (username, displayName, passwordHash) VALUES (?, ?, ?)', [
        name,
        name,
        'x',
      ]);
    }
    const rows: Array<{ id: number }> = await raw.query('SELECT id FROM users ORDER BY id');
    userIds = [rows[0]!.id, rows[1]!.id];
  });

  afterEach(async () => {
    await raw.query('ROLLBACK');
    await Promise.all(clients.splice(0).map((prisma) => prisma.$disconnect()));
  });

  afterAll(async () => {
    await raw?.end();
    await database?.drop();
  });

  it('a pool with every connection in use is pool_timeout, answered server/busy with retryAfterMs', async () => {
    const prisma = client({ poolSize: 1, poolTimeoutMs: 300 });
    const [held, release] = [deferred(), deferred()];
    const holder = prisma.$transaction(async (tx) => {
      await tx.user.count();
      held.resolve();
      await release.promise;
    });
    await held.promise;

    const query = await failureOf(() => prisma.user.count());
    const transaction = await failureOf(() => prisma.$transaction(async (tx) => tx.user.count()));
    release.resolve();
    await holder;

    for (const error of [query, transaction]) {
      expect(classifyDatabaseFailure(error)).toEqual({ class: 'pool_timeout', answer: 'busy' });
      expect(toAppError(error).toJSON()).toMatchObject({
        code: ErrorCode.Busy,
        retryAfterMs: BUSY_RETRY_AFTER_MS,
      });
      expect(toAppError(error).statusCode).toBe(503);
    }
  });

  it('a transaction that cannot start within maxWait is transaction_start_timeout, answered server/busy', async () => {
    // Prisma's own wait shorter than the pool's, so the transaction manager gives up first (P2028).
    const { host, port, user, password, database: name } = parseDatabaseUrl(database.url);
    const prisma = new PrismaClient({
      adapter: new PrismaMariaDb({
        host,
        port,
        user,
        password,
        database: name,
        connectionLimit: 1,
        acquireTimeout: 5_000,
      }),
      transactionOptions: { maxWait: 200 },
    });
    clients.push(prisma);
    const [held, release] = [deferred(), deferred()];
    const holder = prisma.$transaction(async (tx) => {
      await tx.user.count();
      held.resolve();
      await release.promise;
    });
    await held.promise;

    const error = await failureOf(() => prisma.$transaction(async (tx) => tx.user.count()));
    release.resolve();
    await holder;

    expect(error).toMatchObject({ code: 'P2028' });
    expect(classifyDatabaseFailure(error)).toEqual({ class: 'transaction_start_timeout', answer: 'busy' });
    expect(toAppError(error).code).toBe(ErrorCode.Busy);
  });

  it('a row lock held past innodb_lock_wait_timeout is lock_wait_timeout, answered server/busy', async () => {
    const prisma = client({ lockWaitTimeoutSeconds: 1 });
    await raw.query('BEGIN');
    await raw.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [userIds[0]]);

    const error = await failureOf(() =>
      prisma.$transaction(async (tx) =>
        tx.user.update({ where: { id: userIds[0] }, data: { displayName: 'y' } }),
      ),
    );

    expect(classifyDatabaseFailure(error)).toEqual({ class: 'lock_wait_timeout', answer: 'busy' });
    expect(toAppError(error).code).toBe(ErrorCode.Busy);
  });

  it('a statement past its max_statement_time is statement_timeout, answered server/busy', async () => {
    const error = await failureOf(() =>
      raw.query('SET STATEMENT max_statement_time = 0.05 FOR SELECT SLEEP(2)'),
    );

    expect(error).toMatchObject({ errno: 1969 });
    expect(classifyDatabaseFailure(error)).toEqual({ class: 'statement_timeout', answer: 'busy' });
    expect(toAppError(error).code).toBe(ErrorCode.Busy);
  });

  it('a transaction waiting for a row lock within innodb_lock_wait_timeout gets it, past the 5 s Prisma default', async () => {
    // Prisma cut interactive transactions off at 5 s whatever the lock wait allowed: a deactivation
    // waiting 5+ s for a send holding the account's row was refused busy though the lock was coming.
    const prisma = client({ lockWaitTimeoutSeconds: 30 });
    await raw.query('BEGIN');
    await raw.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [userIds[0]]);
    const released = new Promise((resolve) => setTimeout(resolve, 5_500)).then(() => raw.query('COMMIT'));

    const updated = await prisma.$transaction(async (tx) =>
      tx.user.update({ where: { id: userIds[0] }, data: { displayName: 'waited' } }),
    );
    await released;

    expect(updated.displayName).toBe('waited');
  });

  it('two transactions locking rows in opposite order: the victim is deadlock, answered server/busy', async () => {
    const prisma = client({});
    await raw.query('BEGIN');
    await raw.query('UPDATE users SET displayName = ? WHERE id = ?', ['raw', userIds[0]]);
    const secondLocked = deferred();
    const victim = failureOf(() =>
      prisma.$transaction(async (tx) => {
        await tx.user.update({ where: { id: userIds[1] }, data: { displayName: 'prisma' } });
        secondLocked.resolve();
        // Waits for the raw connection's lock, which in turn waits for this one's: InnoDB picks a victim.
        await tx.user.update({ where: { id: userIds[0] }, data: { displayName: 'prisma' } });
      }),
    );
    await secondLocked.promise;
    // Whichever side InnoDB rolls back, both errors are the same class.
    const rawSide = raw.query('UPDATE users SET displayName = ? WHERE id = ?', ['raw', userIds[1]]).then(
      () => null,
      (error: unknown) => error,
    );
    const [prismaError, rawError] = await Promise.all([victim.catch((error: unknown) => error), rawSide]);
    const deadlocked = [prismaError, rawError].filter((error) => classifyDatabaseFailure(error) !== null);

    expect(deadlocked.length).toBeGreaterThan(0);
    for (const error of deadlocked) {
      expect(classifyDatabaseFailure(error)).toEqual({ class: 'deadlock', answer: 'busy' });
      expect(toAppError(error).code).toBe(ErrorCode.Busy);
    }
  });

  it('a connection killed mid-transaction is connection_lost, answered server/unavailable', async () => {
    const prisma = client({});
    const error = await failureOf(() =>
      prisma.$transaction(async (tx) => {
        const [{ id }] = await tx.$queryRawUnsafe<[{ id: bigint | number }]>('SELECT CONNECTION_ID() AS id');
        await raw.query(`KILL CONNECTION ${Number(id)}`);
        await tx.user.count();
      }),
    );

    expect(classifyDatabaseFailure(error)).toEqual({ class: 'connection_lost', answer: 'unavailable' });
    expect(toAppError(error).code).toBe(ErrorCode.Unavailable);
  });

  it('a connection killed while its statement runs is connection_lost, answered server/unavailable', async () => {
    const prisma = client({});
    const error = await failureOf(() =>
      prisma.$transaction(async (tx) => {
        const [{ id }] = await tx.$queryRawUnsafe<[{ id: bigint | number }]>('SELECT CONNECTION_ID() AS id');
        // Prisma's queries are lazy: then() sends it now. Its failure is caught at once and rethrown
        // below: the KILL can fail it before the KILL's own answer arrives, and a rejection nobody
        // handles yet is reported as unhandled.
        const sleeping = tx.$queryRawUnsafe('SELECT SLEEP(5)').then(
          () => null,
          (error: unknown) => ({ error }),
        );
        await expect
          .poll(
            async () =>
              (
                await raw.query(
                  'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ? AND INFO LIKE ?',
                  [Number(id), 'SELECT SLEEP%'],
                )
              )[0].n,
          )
          .toBe(1n);
        await raw.query(`KILL CONNECTION ${Number(id)}`);
        const failed = await sleeping;
        if (failed) throw failed.error;
      }),
    );

    expect(classifyDatabaseFailure(error)).toEqual({ class: 'connection_lost', answer: 'unavailable' });
    expect(toAppError(error).code).toBe(ErrorCode.Unavailable);
  });

  it('a database nobody listens for is database_unreachable, answered server/unavailable', async () => {
    const prisma = createPrismaClient('mysql://root@127.0.0.1:1/parley', { poolSize: 1, poolTimeoutMs: 300 });
    clients.push(prisma);

    const error = await failureOf(() => prisma.user.count());

    expect(classifyDatabaseFailure(error)).toEqual({ class: 'database_unreachable', answer: 'unavailable' });
    expect(toAppError(error).code).toBe(ErrorCode.Unavailable);
  });

  it('a pool closed (the server closing) is server_closing, answered server/unavailable', async () => {
    // The send path's own pool (plugins/store-pool.ts), as the sends a closing server still had
    // queued meet it: they were answered server/internal and each logged as an error.
    const pool = createStorePool({
      databaseUrl: database.url,
      connections: 1,
      pool: { poolTimeoutMs: 1_000, lockWaitTimeoutSeconds: 5 },
    });
    const held = await pool.getConnection();
    // Waiting for the one connection when the pool ends: aborted (ER_CLOSING_POOL).
    const aborted = failureOf(() => pool.getConnection());
    const ending = pool.end();
    const errors = [await aborted];
    await held.release();
    await ending;
    // Asked of the pool once it has ended (ER_POOL_ALREADY_CLOSED).
    errors.push(await failureOf(() => pool.getConnection()));

    expect(errors.map((error) => (error as { errno?: number }).errno)).toEqual([45037, 45027]);
    for (const error of errors) {
      expect(classifyDatabaseFailure(error)).toEqual({ class: 'server_closing', answer: 'unavailable' });
      expect(toAppError(error).code).toBe(ErrorCode.Unavailable);
    }
  });

  it('a failure a retry cannot fix (a unique key) is not retryable and stays server/internal', async () => {
    const prisma = client({});
    const error = await failureOf(() =>
      prisma.user.create({ data: { username: 'first', displayName: 'again', passwordHash: 'x' } }),
    );

    expect(classifyDatabaseFailure(error)).toBeNull();
    expect(toAppError(error).code).toBe(ErrorCode.Internal);
  });
});
