import { dropDatabase } from '../apps/server/src/db/migrate.js';
import { e2eDatabaseUrl } from './environment.js';

/**
 * Drops the run's database. Playwright calls this before it stops the web server; MariaDB and MySQL
 * drop a database whose idle connections hold no locks, and the server's last writes on shutdown
 * (presence "last seen") are best effort.
 */
export default async function globalTeardown(): Promise<void> {
  if (process.env.PARLEY_E2E_KEEP_DATABASE === '1') {
    console.log(`Keeping the e2e database: ${e2eDatabaseUrl()}`);
    return;
  }
  await dropDatabase(e2eDatabaseUrl());
}
