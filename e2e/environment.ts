// Where the end-to-end run's own Parley server lives: a dedicated port and a database of its own,
// shared by playwright.config.ts (which starts the server) and global-teardown.ts (which drops it).
import { randomBytes } from 'node:crypto';

export const E2E_PORT = Number(process.env.PARLEY_E2E_PORT ?? 3100);
export const E2E_BASE_URL = `http://127.0.0.1:${E2E_PORT}`;
/** The browser may be pointed at either name; both are allowed to open a socket. */
export const E2E_ORIGINS = [E2E_BASE_URL, `http://localhost:${E2E_PORT}`];

/** The same variable the server's Vitest helpers read, so one setting moves every test database. */
const DATABASE_SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306';

/**
 * The run's database URL. Playwright evaluates the config in the runner and again in every worker;
 * the name is made once, in the runner, and reaches the workers and the teardown through the
 * environment, which they inherit.
 */
export function e2eDatabaseUrl(): string {
  if (!process.env.PARLEY_E2E_DATABASE_URL) {
    const url = new URL(DATABASE_SERVER_URL);
    url.pathname = `/parley_e2e_${Date.now()}_${randomBytes(3).toString('hex')}`;
    process.env.PARLEY_E2E_DATABASE_URL = url.toString();
  }
  return process.env.PARLEY_E2E_DATABASE_URL;
}
