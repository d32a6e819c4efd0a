import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as mariadb from 'mariadb';
import { afterAll, describe, expect, test } from 'vitest';
import {
  ensureDatabase,
  migrateDatabase,
  migrationChecksum,
  parseDatabaseUrl,
  scriptMatchesChecksum,
} from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../../../prisma/migrations', import.meta.url));

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
});

async function emptyDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase({ migrate: false });
  cleanups.push(database.drop);
  return database;
}

/** A scratch copy of prisma/migrations that a test may edit freely. */
async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'parley-migrations-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

async function migrationNames(dir = MIGRATIONS_DIR): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

async function query<T>(url: string, sql: string, values?: unknown[]): Promise<T> {
  const conn = await mariadb.createConnection(parseDatabaseUrl(url));
  try {
    return (await conn.query(sql, values)) as T;
  } finally {
    await conn.end();
  }
}

const migrationRows = (url: string) =>
  query<MigrationRow[]>(url, 'SELECT * FROM _prisma_migrations ORDER BY migration_name, started_at');

describe('migrateDatabase', () => {
  test('a fresh database gets every migration applied and recorded with its checksum', async () => {
    const database = await emptyDatabase();
    const expected = await migrationNames();

    const { applied } = await migrateDatabase(database.url);

    expect(applied).toEqual(expected);
    const rows = await migrationRows(database.url);
    expect(rows.map((row) => row.migration_name)).toEqual(expected);
    for (const row of rows) {
      const file = await readFile(path.join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(file).digest('hex'));
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      expect(row.applied_steps_count).toBe(1);
      expect(row.logs).toBeNull();
      expect(row.rolled_back_at).toBeNull();
    }
  });

  test('the history table has the columns prisma migrate deploy creates on MySQL', async () => {
    const database = await emptyDatabase();
    await migrateDatabase(database.url);

    const columns = await query<Array<Record<string, string>>>(
      database.url,
      `SELECT COLUMN_NAME AS name, DATA_TYPE AS type, COLUMN_TYPE AS columnType, IS_NULLABLE AS nullable,
              CHARACTER_MAXIMUM_LENGTH AS length, COLUMN_KEY AS columnKey
         FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '_prisma_migrations' ORDER BY ORDINAL_POSITION`,
    );
    expect(columns.map(({ name, type, nullable, columnKey }) => [name, type, nullable, columnKey])).toEqual([
      ['id', 'varchar', 'NO', 'PRI'],
      ['checksum', 'varchar', 'NO', ''],
      ['finished_at', 'datetime', 'YES', ''],
      ['migration_name', 'varchar', 'NO', ''],
      ['logs', 'text', 'YES', ''],
      ['rolled_back_at', 'datetime', 'YES', ''],
      ['started_at', 'datetime', 'NO', ''],
      ['applied_steps_count', 'int', 'NO', ''],
    ]);
    expect(columns.find((column) => column.name === 'applied_steps_count')?.columnType).toMatch(/unsigned/);
    expect(
      columns.filter((column) => column.type === 'varchar').map((column) => Number(column.length)),
    ).toEqual([36, 64, 255]);
  });

  test('running again applies nothing', async () => {
    const database = await emptyDatabase();
    await migrateDatabase(database.url);
    const before = await migrationRows(database.url);

    await expect(migrateDatabase(database.url)).resolves.toEqual({ applied: [] });
    expect(await migrationRows(database.url)).toEqual(before);
  });

  test('an applied migration whose file was edited makes the runner refuse, naming it', async () => {
    const dir = await copyOfMigrations();
    const [first] = await migrationNames(dir);
    const database = await emptyDatabase();
    await migrateDatabase(database.url, { migrationsDir: dir });

    const file = path.join(dir, first!, 'migration.sql');
    await writeFile(file, `${await readFile(file, 'utf8')}\n-- an innocent-looking edit\n`);

    await expect(migrateDatabase(database.url, { migrationsDir: dir })).rejects.toThrow(
      new RegExp(`Migration \`${first}\` was modified after being applied`),
    );
  });

  test('converting an applied migration to CRLF line endings is not an edit', async () => {
    const dir = await copyOfMigrations();
    const database = await emptyDatabase();
    await migrateDatabase(database.url, { migrationsDir: dir });

    for (const name of await migrationNames(dir)) {
      const file = path.join(dir, name, 'migration.sql');
      await writeFile(file, (await readFile(file, 'utf8')).replaceAll('\n', '\r\n'));
    }

    await expect(migrateDatabase(database.url, { migrationsDir: dir })).resolves.toEqual({ applied: [] });
  });

  test('a migration recorded in the database but missing from the folder makes the runner refuse', async () => {
    const dir = await copyOfMigrations();
    const database = await emptyDatabase();
    const extra = '29990101000000_later';
    await mkdir(path.join(dir, extra));
    await writeFile(
      path.join(dir, extra, 'migration.sql'),
      'CREATE TABLE later_table (id INTEGER NOT NULL PRIMARY KEY);\n',
    );
    await migrateDatabase(database.url, { migrationsDir: dir });

    await rm(path.join(dir, extra), { recursive: true });

    await expect(migrateDatabase(database.url, { migrationsDir: dir })).rejects.toThrow(
      new RegExp(
        `Migration \`${extra}\` was recorded as applied in the database but missing from the migrations directory`,
      ),
    );
  });

  test('a failing migration records its error, throws, and blocks later runs until rolled back', async () => {
    const dir = await copyOfMigrations();
    const database = await emptyDatabase();
    const broken = '29990101000000_broken';
    await mkdir(path.join(dir, broken));
    const file = path.join(dir, broken, 'migration.sql');
    await writeFile(file, 'CREATE TABLE half_done (id INTEGER NOT NULL PRIMARY KEY);\nTHIS IS NOT SQL;\n');

    await expect(migrateDatabase(database.url, { migrationsDir: dir })).rejects.toThrow(
      new RegExp(`Migration \`${broken}\` failed to apply[\\s\\S]*Database error code: 1064`),
    );
    const failed = (await migrationRows(database.url)).find((row) => row.migration_name === broken);
    expect(failed).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });
    expect(failed?.logs).toMatch(/1064[\s\S]*SQL syntax/);

    await expect(migrateDatabase(database.url, { migrationsDir: dir })).rejects.toThrow(
      new RegExp(`Found failed migrations[\\s\\S]*\`${broken}\` migration started at`),
    );

    // The documented way out: repair by hand, fix the file, mark the failed attempt rolled back.
    await writeFile(file, 'CREATE TABLE IF NOT EXISTS half_done (id INTEGER NOT NULL PRIMARY KEY);\n');
    await query(
      database.url,
      'UPDATE _prisma_migrations SET rolled_back_at = UTC_TIMESTAMP(3) WHERE id = ?',
      [failed!.id],
    );
    await expect(migrateDatabase(database.url, { migrationsDir: dir })).resolves.toEqual({
      applied: [broken],
    });
  });

  test('a pending migration naming a storage engine the server lacks is refused before anything runs', async () => {
    const dir = await copyOfMigrations();
    const database = await emptyDatabase();
    const needy = '29990101000000_needs_an_engine';
    await mkdir(path.join(dir, needy));
    await writeFile(
      path.join(dir, needy, 'migration.sql'),
      'CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY) ENGINE = Parleyfs;\n',
    );

    await expect(migrateDatabase(database.url, { migrationsDir: dir })).rejects.toThrow(
      `The database server has no parleyfs storage engine, which \`${needy}\` needs.`,
    );
    // Nothing ran and nothing is recorded failed: installing the engine is the whole fix.
    expect(await migrationRows(database.url)).toEqual([]);
    await rm(path.join(dir, needy), { recursive: true });
    await expect(migrateDatabase(database.url, { migrationsDir: dir })).resolves.toEqual({
      applied: await migrationNames(),
    });
  });

  test('an applied migration whose storage engine the server no longer has is refused at start', async () => {
    const dir = await copyOfMigrations();
    const database = await emptyDatabase();
    await migrateDatabase(database.url, { migrationsDir: dir });
    // As if it had been applied while the engine was loaded.
    const gone = '29990101000000_engine_gone';
    const script = 'CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY) ENGINE = Parleyfs;\n';
    await mkdir(path.join(dir, gone));
    await writeFile(path.join(dir, gone, 'migration.sql'), script);
    await query(
      database.url,
      `INSERT INTO _prisma_migrations (id, checksum, started_at, finished_at, migration_name, applied_steps_count)
       VALUES (UUID(), ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), ?, 1)`,
      [migrationChecksum(script), gone],
    );

    await expect(migrateDatabase(database.url, { migrationsDir: dir })).rejects.toThrow(
      `The database server has no parleyfs storage engine, which \`${gone}\` needs.`,
    );
  });

  test('two concurrent runs on a fresh database apply each migration once', async () => {
    const database = await emptyDatabase();
    const expected = await migrationNames();

    const results = await Promise.all([migrateDatabase(database.url), migrateDatabase(database.url)]);

    expect(results.map((result) => result.applied).sort((a, b) => a.length - b.length)).toEqual([
      [],
      expected,
    ]);
    const rows = await migrationRows(database.url);
    expect(rows.map((row) => row.migration_name)).toEqual(expected);
  });

  test('a database that already has tables but no migration history is refused', async () => {
    const database = await emptyDatabase();
    await query(database.url, 'CREATE TABLE stray (id INTEGER NOT NULL PRIMARY KEY)');

    await expect(migrateDatabase(database.url)).rejects.toThrow(/not empty \(tables: stray\)/);
  });

  test('the log function hears about each applied migration', async () => {
    const database = await emptyDatabase();
    const messages: Array<[string, Record<string, unknown> | undefined]> = [];

    await migrateDatabase(database.url, { log: (msg, details) => messages.push([msg, details]) });

    expect(messages.map(([, details]) => details?.migration)).toEqual(await migrationNames());
  });
});

describe('database URLs', () => {
  test('a mysql:// URL is parsed into decoded connection options', () => {
    expect(parseDatabaseUrl('mysql://app%40eu:p%40ss%3Aw%2Fd@db.example:3307/parley_prod')).toEqual({
      host: 'db.example',
      port: 3307,
      user: 'app@eu',
      password: 'p@ss:w/d',
      database: 'parley_prod',
    });
    expect(parseDatabaseUrl('mariadb://root@127.0.0.1/parley')).toEqual({
      host: '127.0.0.1',
      port: 3306,
      user: 'root',
      database: 'parley',
    });
  });

  test.each([
    ['postgres://root@127.0.0.1:5432/parley', /DATABASE_URL must start with mysql:\/\/ or mariadb:\/\//],
    ['localhost:3306/parley', /DATABASE_URL must start with mysql/],
    ['not a url', /DATABASE_URL is not a valid URL/],
    ['mysql://root@127.0.0.1:3306', /DATABASE_URL has no database name/],
    ['mysql://root@127.0.0.1:3306/', /DATABASE_URL has no database name/],
    ['mysql://127.0.0.1:3306/parley', /DATABASE_URL has no user name/],
  ])('a bad DATABASE_URL (%s) is rejected with a clear error', async (url, message) => {
    expect(() => parseDatabaseUrl(url)).toThrow(message);
    await expect(migrateDatabase(url)).rejects.toThrow(message);
  });

  test('a database name that would need quoting is refused before reaching the server', async () => {
    await expect(ensureDatabase('mysql://root@127.0.0.1:3306/parley%60%3B%20DROP')).rejects.toThrow(
      /may only contain letters, digits and underscores/,
    );
  });
});

// Test vectors from prisma-engines schema-connector/src/checksum.rs, so our checksums stay Prisma's.
describe('migration checksums', () => {
  test('are zero-padded SHA-256 hex', () => {
    expect(migrationChecksum('hello')).toBe(
      '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    );
    expect(migrationChecksum('abcd')).toHaveLength(64);
  });

  test('match regardless of LF or CRLF line endings', () => {
    const groups = [
      ['ab\ncd\nef\ngh\rab', 'ab\r\ncd\r\nef\r\ngh\rab'],
      ['ab\ncd\nef\ngh\rab\n', 'ab\r\ncd\r\nef\r\ngh\rab\r\n'],
    ];
    for (const group of groups) {
      for (const script of group) {
        for (const other of group) expect(scriptMatchesChecksum(script, migrationChecksum(other))).toBe(true);
      }
    }
  });

  test('do not match different content', () => {
    expect(scriptMatchesChecksum('abc', migrationChecksum('abcd'))).toBe(false);
    expect(scriptMatchesChecksum('abc\n', migrationChecksum('abc'))).toBe(false);
  });

  test('accept the unpadded hex an old schema engine recorded', () => {
    const digest = createHash('sha256').update('hello').digest();
    const unpadded = [...digest].map((byte) => byte.toString(16)).join('');
    expect(unpadded.length).toBeLessThan(64);
    expect(scriptMatchesChecksum('hello', unpadded)).toBe(true);
  });
});
