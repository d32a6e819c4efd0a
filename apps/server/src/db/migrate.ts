// Applies prisma/migrations/<timestamp>_<name>/migration.sql the way `prisma migrate deploy` does on
// MySQL/MariaDB (same _prisma_migrations table, same checksums), because the Prisma CLI's schema
// engine binary cannot be downloaded on our machines. A database migrated here can later be handed
// to the real Prisma CLI and vice versa.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as mariadb from 'mariadb';

export interface DatabaseConnectionOptions {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

export type MigrateLog = (msg: string, details?: Record<string, unknown>) => void;

export interface MigrateOptions {
  migrationsDir?: string;
  log?: MigrateLog;
}

// Server-wide MySQL named lock: a second process blocks here until the first one has finished.
const LOCK_NAME = 'parley_migrate';
const LOCK_TIMEOUT_SECONDS = 60;
const MIGRATIONS_TABLE = '_prisma_migrations';
const SAFE_DATABASE_NAME = /^[A-Za-z0-9_]+$/;

// Verbatim from prisma-engines (sql-schema-connector, flavour/mysql.rs, create_migrations_table).
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE ${MIGRATIONS_TABLE} (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             DATETIME(3),
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          DATETIME(3),
    started_at              DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    applied_steps_count     INTEGER UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;`;

export function parseDatabaseUrl(url: string): DatabaseConnectionOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('DATABASE_URL is not a valid URL; expected mysql://user:password@host:port/database');
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw new Error(
      `DATABASE_URL must start with mysql:// or mariadb:// (got ${parsed.protocol}//); expected mysql://user:password@host:port/database`,
    );
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) {
    throw new Error('DATABASE_URL has no database name; expected mysql://user:password@host:port/database');
  }
  const user = decodeURIComponent(parsed.username);
  if (user === '') {
    throw new Error('DATABASE_URL has no user name; expected mysql://user:password@host:port/database');
  }
  const password = decodeURIComponent(parsed.password);
  return {
    host: decodeURIComponent(parsed.hostname) || 'localhost',
    port: parsed.port === '' ? 3306 : Number(parsed.port),
    user,
    ...(password === '' ? {} : { password }),
    database,
  };
}

export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const { database, ...server } = parseDatabaseUrl(databaseUrl);
  assertSafeDatabaseName(database);
  const conn = await mariadb.createConnection(server);
  try {
    // A deploy user may lack the CREATE privilege, so only ask for it when the database is missing.
    const existing: unknown[] = await conn.query(
      'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [database],
    );
    if (existing.length === 0) {
      await conn.query(
        `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
      );
    }
  } finally {
    await conn.end();
  }
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const { database, ...server } = parseDatabaseUrl(databaseUrl);
  assertSafeDatabaseName(database);
  const conn = await mariadb.createConnection(server);
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await conn.end();
  }
}

/** SHA-256 hex of a migration script, as Prisma stores it in `_prisma_migrations.checksum`. */
export function migrationChecksum(script: string): string {
  return createHash('sha256').update(script, 'utf8').digest('hex');
}

/**
 * Mirrors prisma-engines `script_matches_checksum`: git may have rewritten line endings since the
 * migration was applied (CRLF on Windows checkouts), so LF and CRLF variants also count as a match,
 * and so do the unpadded hex strings an old schema engine wrote (prisma-engines#1887).
 */
export function scriptMatchesChecksum(script: string, checksum: string): boolean {
  const variants = [script, script.replaceAll('\r\n', '\n'), script.replaceAll('\n', '\r\n')];
  return variants.some((variant) => {
    const digest = createHash('sha256').update(variant, 'utf8').digest();
    const rendered =
      checksum.length !== 0 && checksum.length !== 64
        ? [...digest].map((byte) => byte.toString(16)).join('')
        : digest.toString('hex');
    return rendered === checksum;
  });
}

export async function migrateDatabase(
  databaseUrl: string,
  options: MigrateOptions = {},
): Promise<{ applied: string[] }> {
  const connection = parseDatabaseUrl(databaseUrl);
  const migrationsDir = options.migrationsDir ?? findMigrationsDir();
  const log = options.log ?? (() => {});
  const migrations = await readMigrations(migrationsDir);

  const conn = await mariadb.createConnection({
    ...connection,
    multipleStatements: true,
    // Timestamps are only echoed back in error messages; strings avoid time zone conversion.
    dateStrings: true,
  });
  try {
    await acquireLock(conn);
    return { applied: await applyPending(conn, migrations, log) };
  } finally {
    // Closing the session releases the named lock too; destroy() when a broken connection cannot end.
    await conn.end().catch(() => conn.destroy());
  }
}

interface MigrationFolder {
  name: string;
  script: string;
}

interface MigrationRecord {
  id: string;
  checksum: string;
  finished_at: string | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: string | null;
  started_at: string;
}

async function applyPending(
  conn: mariadb.Connection,
  migrations: MigrationFolder[],
  log: MigrateLog,
): Promise<string[]> {
  await ensureMigrationsTable(conn);
  const records: MigrationRecord[] = await conn.query(
    `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at
       FROM ${MIGRATIONS_TABLE} ORDER BY started_at, migration_name`,
  );
  const active = records.filter((record) => record.rolled_back_at === null);
  refuseInconsistentHistory(active, migrations);

  const appliedNames = new Set(active.map((record) => record.migration_name));
  const pending = migrations.filter((m) => !appliedNames.has(m.name));
  // Applied ones too: a plugin unloaded since (a server upgrade, a restore elsewhere) left every
  // search failing with a 500 while the server looked healthy.
  await refuseMissingEngines(conn, migrations);
  const applied: string[] = [];
  for (const migration of pending) {
    const startedAt = Date.now();
    await applyMigration(conn, migration);
    applied.push(migration.name);
    log('migration applied', { migration: migration.name, durationMs: Date.now() - startedAt });
  }
  return applied;
}

async function applyMigration(conn: mariadb.Connection, migration: MigrationFolder): Promise<void> {
  const id = randomUUID();
  // Prisma writes UTC timestamps; UTC_TIMESTAMP keeps that regardless of the session time zone.
  await conn.query(
    `INSERT INTO ${MIGRATIONS_TABLE} (id, checksum, started_at, migration_name) VALUES (?, ?, UTC_TIMESTAMP(3), ?)`,
    [id, migrationChecksum(migration.script), migration.name],
  );
  try {
    // The server rejects a whitespace-only query; Prisma treats such a migration as applied.
    if (migration.script.trim() !== '') await conn.query(migration.script);
  } catch (error) {
    const logs = describeDatabaseError(migration.name, error);
    await conn.query(`UPDATE ${MIGRATIONS_TABLE} SET logs = ? WHERE id = ?`, [logs, id]);
    throw new Error(`${logs}\n\n${howToRecover(migration.name, id)}`, { cause: error });
  }
  // Prisma counts the whole script as one step on MySQL.
  await conn.query(
    `UPDATE ${MIGRATIONS_TABLE}
        SET applied_steps_count = applied_steps_count + 1, finished_at = UTC_TIMESTAMP(3)
      WHERE id = ?`,
    [id],
  );
}

/**
 * Storage engines migrations may name that come as plugins, by engine (lower case): the library the
 * runner loads when the server lacks the engine (Debian's package installs the library but its
 * install script may fail to load it), and how to install it when that fails.
 */
const ENGINE_PLUGINS: Record<string, { soname: string; hint: string }> = {
  mroonga: {
    soname: 'ha_mroonga',
    hint:
      "message search needs MariaDB's Mroonga plugin: install it (Debian: apt-get install " +
      "mariadb-plugin-mroonga) and load it once as a database admin: INSTALL SONAME 'ha_mroonga';",
  },
};

/**
 * Makes sure the server offers every storage engine `migrations` name (`ENGINE=…`), loading a known
 * plugin that is missing (ENGINE_PLUGINS), and otherwise refuses before anything runs, saying how to
 * install it. Without it, a pending migration would fail halfway and be recorded as failed, to be
 * repaired by hand, and the tables of an applied one would fail every query.
 */
async function refuseMissingEngines(conn: mariadb.Connection, pending: MigrationFolder[]): Promise<void> {
  const needed = new Map<string, string[]>();
  for (const migration of pending) {
    for (const [, engine] of migration.script.matchAll(/\bENGINE\s*=\s*`?(\w+)/gi)) {
      const key = engine!.toLowerCase();
      needed.set(key, [...(needed.get(key) ?? []), migration.name]);
    }
  }
  if (needed.size === 0) return;
  const offered = async () => {
    const rows: Array<{ engine: string }> = await conn.query(
      "SELECT ENGINE AS engine FROM information_schema.ENGINES WHERE SUPPORT IN ('YES', 'DEFAULT')",
    );
    return new Set(rows.map((row) => row.engine.toLowerCase()));
  };
  let engines = await offered();
  const absent = [...needed.keys()].filter((engine) => !engines.has(engine));
  if (absent.length === 0) return;
  for (const engine of absent) {
    const plugin = ENGINE_PLUGINS[engine];
    // Needs the INSERT privilege on mysql.plugin; without it (or the library), the hint below says how.
    if (plugin) await conn.query(`INSTALL SONAME '${plugin.soname}'`).catch(() => undefined);
  }
  engines = await offered();
  const missing = [...needed].filter(([engine]) => !engines.has(engine));
  if (missing.length === 0) return;
  throw new Error(
    missing
      .map(
        ([engine, names]) =>
          `The database server has no ${engine} storage engine, which ${[...new Set(names)].map((n) => `\`${n}\``).join(', ')} needs` +
          (ENGINE_PLUGINS[engine] ? `: ${ENGINE_PLUGINS[engine].hint}` : '.'),
      )
      .join('\n'),
  );
}

function refuseInconsistentHistory(active: MigrationRecord[], migrations: MigrationFolder[]): void {
  const failed = active.filter((record) => record.finished_at === null);
  if (failed.length > 0) {
    const details = failed.map((record) => {
      const logs = record.logs?.trim() ? ` with the following logs:\n${record.logs.trim()}` : '';
      return `The \`${record.migration_name}\` migration started at ${record.started_at} failed${logs}\n${howToRecover(record.migration_name, record.id)}`;
    });
    throw new Error(
      `Found failed migrations in the target database; new migrations will not be applied.\n${details.join('\n')}`,
    );
  }

  const folders = new Map(migrations.map((migration) => [migration.name, migration]));
  const missing = active.filter((record) => !folders.has(record.migration_name));
  if (missing.length > 0) {
    throw new Error(
      `${listMigrations(missing)} recorded as applied in the database but missing from the migrations directory. Restore the folder from version control.`,
    );
  }

  const edited = active.filter((record) => {
    const folder = folders.get(record.migration_name);
    return folder !== undefined && !scriptMatchesChecksum(folder.script, record.checksum);
  });
  if (edited.length > 0) {
    throw new Error(
      `${listMigrations(edited)} modified after being applied (migration.sql no longer matches the recorded checksum). Never edit an applied migration: restore the file and add a new migration instead.`,
    );
  }
}

function listMigrations(records: MigrationRecord[]): string {
  const names = records.map((record) => `\`${record.migration_name}\``).join(', ');
  return records.length === 1 ? `Migration ${names} was` : `Migrations ${names} were`;
}

function howToRecover(name: string, id: string): string {
  return (
    `Repair the database by hand (undo what \`${name}\` partly did), fix its migration.sql, then mark the attempt ` +
    `rolled back so it is retried: UPDATE ${MIGRATIONS_TABLE} SET rolled_back_at = UTC_TIMESTAMP(3) WHERE id = '${id}';`
  );
}

function describeDatabaseError(name: string, error: unknown): string {
  if (error instanceof mariadb.SqlError) {
    return `Migration \`${name}\` failed to apply.\nDatabase error code: ${error.errno}\nDatabase error:\n${error.sqlMessage ?? error.message}`;
  }
  return `Migration \`${name}\` failed to apply.\n${error instanceof Error ? error.message : String(error)}`;
}

async function ensureMigrationsTable(conn: mariadb.Connection): Promise<void> {
  const tables: { name: string }[] = await conn.query(
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'`,
  );
  if (tables.some((table) => table.name === MIGRATIONS_TABLE)) return;
  // Same rule as Prisma (P3005): migrating an unversioned database that already has tables would
  // replay CREATE TABLEs over existing ones.
  if (tables.length > 0) {
    const names = tables.map((table) => table.name).join(', ');
    throw new Error(
      `The database is not empty (tables: ${names}) but has no ${MIGRATIONS_TABLE} table, so its migration history is unknown. Baseline it or migrate an empty database.`,
    );
  }
  await conn.query(CREATE_MIGRATIONS_TABLE);
}

async function acquireLock(conn: mariadb.Connection): Promise<void> {
  const [row]: { acquired: number | bigint | null }[] = await conn.query(
    'SELECT GET_LOCK(?, ?) AS acquired',
    [LOCK_NAME, LOCK_TIMEOUT_SECONDS],
  );
  if (row === undefined || Number(row.acquired) !== 1) {
    throw new Error(
      `Timed out after ${LOCK_TIMEOUT_SECONDS}s waiting for the '${LOCK_NAME}' lock: another process is migrating this database server.`,
    );
  }
}

async function readMigrations(migrationsDir: string): Promise<MigrationFolder[]> {
  await assertMysqlLockfile(migrationsDir);
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  // Plain code-unit order, so the order never depends on the machine's locale.
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(migrationsDir, name, 'migration.sql');
      try {
        return { name, script: await readFile(file, 'utf8') };
      } catch (error) {
        throw new Error(`Migration \`${name}\` has no readable migration.sql (${file})`, { cause: error });
      }
    }),
  );
}

async function assertMysqlLockfile(migrationsDir: string): Promise<void> {
  let lockfile: string;
  try {
    lockfile = await readFile(path.join(migrationsDir, 'migration_lock.toml'), 'utf8');
  } catch {
    return;
  }
  const provider = /^provider\s*=\s*"([^"]*)"/m.exec(lockfile)?.[1];
  if (provider !== undefined && provider !== 'mysql') {
    throw new Error(
      `${path.join(migrationsDir, 'migration_lock.toml')} says these migrations were written for "${provider}", not "mysql".`,
    );
  }
}

/** The repository's prisma/migrations, found from this file so it works from src/ (tsx) and dist/. */
function findMigrationsDir(): string {
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) {
      throw new Error(`No prisma/migrations folder found in ${start} or any folder above it`);
    }
  }
}

function assertSafeDatabaseName(name: string): void {
  if (!SAFE_DATABASE_NAME.test(name)) {
    throw new Error(
      `Database name "${name}" in DATABASE_URL may only contain letters, digits and underscores`,
    );
  }
}
