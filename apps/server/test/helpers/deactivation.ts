// The scene of the tests of what a deactivation does to an account's writes still in flight (sends,
// edits, deletes, reactions): a server, a site admin, two members of a group with their sockets, and
// a connection of the test's own to hold locks and read what was written.
import * as mariadb from 'mariadb';
import { expect } from 'vitest';
import { parseDatabaseUrl } from '../../src/db/migrate.js';
import { createGroup, startTestServer, type ClientSocket, type TestServer, type TestUser } from './server.js';

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

/**
 * Resolves once none of the connections `ids` has an open transaction: each write has ended, by
 * commit or rollback. Read every 500 ms: read every 50 ms (expect.poll's default), the server's
 * transaction holding the lock did not reach its next statement within 2 s on a loaded 2-core machine.
 */
export async function waitForTransactionsToEnd(raw: mariadb.Connection, ids: number[]): Promise<void> {
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
