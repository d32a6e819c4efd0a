// What the lock-order tests start from: a server that lets a write wait for a lock as long as a test
// needs, its site admin, and a connection of the test's own to hold locks and watch the waits.
import * as mariadb from 'mariadb';
import { parseDatabaseUrl } from '../../src/db/migrate.js';
import { startTestServer, type TestServer, type TestUser } from './server.js';

export interface LockScene {
  t: TestServer;
  /** The first account: the site admin. */
  admin: TestUser;
  /** The test's own connection to the server's database. */
  raw: mariadb.Connection;
}

/**
 * Starts the scene, with lock waits (30 s) and a pool timeout (20 s) long enough that a wait the test
 * sets up is never cut short on a loaded machine.
 */
export async function startLockScene(): Promise<LockScene> {
  const t = await startTestServer({
    env: { DATABASE_LOCK_WAIT_TIMEOUT_S: '30', DATABASE_POOL_TIMEOUT_MS: '20000' },
  });
  const admin = await t.signUp();
  const raw = await mariadb.createConnection(parseDatabaseUrl(t.config.databaseUrl));
  return { t, admin, raw };
}

/** Closes what `startLockScene` opened, whatever of it was opened. */
export async function closeLockScene(scene: LockScene | undefined): Promise<void> {
  await scene?.raw.end();
  await scene?.t.close();
}
