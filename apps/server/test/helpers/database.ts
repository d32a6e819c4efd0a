import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase, migrateDatabase } from '../../src/db/migrate.js';

export const TEST_DATABASE_SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Apply the migrations (default true); false leaves the database empty. */
  migrate?: boolean;
  /** Migrations to apply instead of the repository's prisma/migrations. */
  migrationsDir?: string;
}

/** A new, uniquely named database on the test server, migrated unless asked otherwise. Drop it in afterAll. */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const name = `parley_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const url = new URL(TEST_DATABASE_SERVER_URL);
  url.pathname = `/${name}`;
  const database: TestDatabase = { url: url.toString(), name, drop: () => dropDatabase(url.toString()) };

  await ensureDatabase(database.url);
  if (options.migrate ?? true) {
    try {
      await migrateDatabase(
        database.url,
        options.migrationsDir ? { migrationsDir: options.migrationsDir } : {},
      );
    } catch (error) {
      await database.drop();
      throw error;
    }
  }
  return database;
}
