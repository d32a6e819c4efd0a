// The scene of the tests of what a deactivation does to an account's writes still in flight (sends,
// edits, deletes, reactions): a server, a site admin, two members of a group with their sockets, and
// a connection of the test's own to hold locks and read what was written.
import * as mariadb from 'mariadb';
import { expect } from 'vitest';
import { parseDatabaseUrl } from '../../src/db/migrate.js';
import type { FailpointHold } from '../../src/lib/failpoints.js';
import { httpCode } from './groups.js';
import {
  createGroup,
  startTestServer,
  type ClientSocket,
  type HttpResponse,
  type TestServer,
  type TestUser,
} from './server.js';
import { WAIT_CAP_MS } from './waits.js';

export interface DeactivationScene {
  t: TestServer;
  /** The site admin (the first account), who deactivates the others through the admin API. */
  admin: TestUser;
  /** A member of the group, the one deactivated. */
  alice: TestUser;
  /** The group's owner, who stays active. */
  bob: TestUser;
  aliceSocket: ClientSocket;
  bobSocket: ClientSocket;
  conversationId: number;
  /** The test's own connection to the server's database. */
  raw: mariadb.Connection;
}

/**
 * Starts the scene. `env` adds to a lock wait timeout and pool timeout long enough (30 s, 20 s) for a
 * write to wait for a lock the test holds on a loaded machine.
 */
export async function startDeactivationScene(env: Record<string, string> = {}): Promise<DeactivationScene> {
  const t = await startTestServer({
    env: { DATABASE_LOCK_WAIT_TIMEOUT_S: '30', DATABASE_POOL_TIMEOUT_MS: '20000', ...env },
  });
  const admin = await t.signUp();
  const [alice, bob] = [await t.signUp(), await t.signUp()];
  const conversationId = (await createGroup(t, bob, [alice])).id;
  const [aliceSocket, bobSocket] = [await t.connectSocket(alice.cookie), await t.connectSocket(bob.cookie)];
  const raw = await mariadb.createConnection(parseDatabaseUrl(t.config.databaseUrl));
  return { t, admin, alice, bob, aliceSocket, bobSocket, conversationId, raw };
}

/** Closes what `startDeactivationScene` opened, whatever of it was opened. */
export async function closeDeactivationScene(scene: DeactivationScene | undefined): Promise<void> {
  await scene?.raw.end();
  await scene?.t.close();
}

/** A new account, member of a new group of bob's, with a socket: one to deactivate in one test. */
export async function newMember({
  t,
  bob,
}: DeactivationScene): Promise<{ user: TestUser; socket: ClientSocket; conversationId: number }> {
  const user = await t.signUp();
  const conversationId = (await createGroup(t, bob, [user])).id;
  return { user, socket: await t.connectSocket(user.cookie), conversationId };
}

/** Deactivates `userId` as the site console does (`POST /api/admin/users/:id/deactivate`); throws unless 2xx. */
export async function deactivateThroughAdmin({ t, admin }: DeactivationScene, userId: number): Promise<void> {
  const answer: HttpResponse = await t.http('POST', `/api/admin/users/${userId}/deactivate`, {
    cookie: admin.cookie,
  });
  if (httpCode(answer) !== 'ok')
    throw new Error(`deactivation: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/**
 * Resolves once `settling` has settled or a transaction other than `raw`'s waits for a lock on a row
 * of `users`, whichever comes first: a deactivation either went through or waits for a write that
 * holds the account's row. Read every 100 ms, at most WAIT_CAP_MS.
 */
async function settledOrWaitingOnUsers(raw: mariadb.Connection, settling: Promise<unknown>): Promise<void> {
  let settled = false;
  const done = settling.then(
    () => (settled = true),
    () => (settled = true),
  );
  const deadline = Date.now() + WAIT_CAP_MS;
  while (!settled) {
    const [row] = await raw.query<Array<{ waiting: bigint }>>(
      `SELECT COUNT(*) AS waiting FROM information_schema.INNODB_LOCK_WAITS w
         JOIN information_schema.INNODB_LOCKS l ON l.lock_id = w.requested_lock_id
        WHERE l.lock_table LIKE '%\`users\`'`,
    );
    if (Number(row!.waiting) > 0) return;
    if (Date.now() > deadline) throw new Error('neither settled nor waiting for a lock on users');
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 100))]);
  }
}

/**
 * Deactivates `userId` through the admin API while `hold` keeps one of their writes at a failpoint
 * between its read of the account and its commit; once the deactivation either returned or waits
 * for a lock on the account's row, lets the write go. Resolves, when the deactivation has returned,
 * with what the user had written at that moment (writesOf).
 */
export async function deactivateDuringHold(
  scene: DeactivationScene,
  hold: FailpointHold,
  userId: number,
): Promise<unknown> {
  let writtenWhenDeactivated: unknown = null;
  const deactivated = deactivateThroughAdmin(scene, userId).then(async () => {
    writtenWhenDeactivated = await writesOf(scene.raw, userId);
  });
  try {
    await settledOrWaitingOnUsers(scene.raw, deactivated);
  } finally {
    hold.release();
  }
  await deactivated;
  return writtenWhenDeactivated;
}

/**
 * The connections (ids) other than `raw` with a transaction open: a write the test holds, say. Read
 * until there is at least one, since the test knows one is open: InnoDB refreshes what
 * information_schema.INNODB_TRX shows at most every 0.1 s, so a read right after the hold was reached
 * can come back empty (seen in CI on a loaded machine, which then waited on an empty list).
 */
export async function openTransactions(raw: mariadb.Connection): Promise<number[]> {
  let ids: number[] = [];
  await expect
    .poll(
      async () => {
        const rows = await raw.query<Array<{ id: bigint }>>(
          `SELECT trx_mysql_thread_id AS id FROM information_schema.INNODB_TRX
            WHERE trx_mysql_thread_id <> CONNECTION_ID()`,
        );
        ids = rows.map((row) => Number(row.id));
        return ids.length;
      },
      { timeout: WAIT_CAP_MS, interval: 100, message: 'no transaction is open besides this connection' },
    )
    .toBeGreaterThan(0);
  return ids;
}

/**
 * Resolves once none of the connections `ids` has an open transaction: each write has ended, by
 * commit or rollback. Read every 500 ms: read every 50 ms (expect.poll's default), the server's
 * transaction holding the lock did not reach its next statement within 2 s on a loaded 2-core machine.
 */
export async function waitForTransactionsToEnd(raw: mariadb.Connection, ids: number[]): Promise<void> {
  // `IN ()` is not SQL: an empty list would fail every read until the timeout, naming nothing.
  if (ids.length === 0)
    throw new Error('waitForTransactionsToEnd needs the ids of the connections to wait for');
  await expect
    .poll(
      async () => {
        const [row] = await raw.query<Array<{ open: bigint }>>(
          `SELECT COUNT(*) AS open FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id IN (?)`,
          [ids],
        );
        return Number(row!.open);
      },
      { timeout: 15_000, interval: 500 },
    )
    .toBe(0);
}

/**
 * What `userId` has written, as one comparable value: their messages (text, edited, deleted) and
 * their reactions. Read at two moments, it tells whether anything of theirs was written in between.
 */
export async function writesOf(raw: mariadb.Connection, userId: number): Promise<unknown> {
  const messages = await raw.query(
    'SELECT id, text, editedAt, deletedAt FROM messages WHERE senderId = ? ORDER BY id',
    [userId],
  );
  const reactions = await raw.query(
    'SELECT messageId, emoji FROM reactions WHERE userId = ? ORDER BY messageId, emoji',
    [userId],
  );
  return { messages: [...messages], reactions: [...reactions] };
}
