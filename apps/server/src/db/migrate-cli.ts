// `pnpm migrate`: creates the database if needed and applies pending migrations. A one-shot CLI, so it
// reports to stdout/stderr rather than through the server's logger.
import { ensureDatabase, migrateDatabase, parseDatabaseUrl } from './migrate.js';

const databaseUrl = process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/parley';
const print = (line: string) => process.stdout.write(`${line}\n`);

try {
  const { host, port, database } = parseDatabaseUrl(databaseUrl);
  print(`Migrating ${database} on ${host}:${port}`);
  await ensureDatabase(databaseUrl);
  const { applied } = await migrateDatabase(databaseUrl);
  if (applied.length === 0) {
    print('Already up to date: no pending migrations.');
  } else {
    print(`Applied ${applied.length} migration${applied.length === 1 ? '' : 's'}:`);
    for (const name of applied) print(`  ${name}`);
  }
} catch (error) {
  console.error(`Migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
