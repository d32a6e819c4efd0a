// Parley as a server under test: the built server (apps/server/dist) in its own process on a fresh
// database, seeded directly in SQL, with every bench user logged in through the real login route.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import mariadb, { type Connection, type ConnectionConfig } from 'mariadb';
import { freePort } from './net.js';
import { deleteKeysUnder } from './redis-keys.js';
import { onInterrupt, ServerProcess } from './server-process.js';
import type { Workload } from './workload.js';

const SERVER_DIR = fileURLToPath(new URL('../../apps/server', import.meta.url));
const PASSWORD = 'bench horse battery staple';
const LOGIN_CONCURRENCY = 4;

export interface ParleyUnderTest {
  /** The first process (the only one unless `processes` > 1). */
  server: ServerProcess;
  url: string;
  /** Every process, and where each listens, on one database and one Redis. */
  servers: ServerProcess[];
  urls: string[];
  /** Session cookie header of user i. */
  cookies: string[];
  /** Conversation id of room i. */
  roomIds: number[];
  /** The newest message id, to count messages persisted over a window. */
  newestMessageId(): Promise<number>;
  /** MariaDB's server-wide InnoDB counters now (SHOW GLOBAL STATUS), for a window's deltas. */
  innodbCounters(): Promise<InnodbCounters>;
  stop(): Promise<void>;
}

/**
 * The MariaDB status counters that say whether a commit waited on the database itself: commits,
 * row-lock waits and their summed time (ms), pages written by the page cleaners (a burst means the
 * redo log's checkpoint was pressing), waits for log-buffer space; and the checkpoint age (bytes of
 * redo not yet checkpointed; near `Innodb_checkpoint_max_age`, InnoDB flushes furiously). Server-wide:
 * whatever else uses the same MariaDB counts too. And, of Parley's own database, the changes not yet
 * in the search index (the search indexer's backlog, read when the counters are: it keeps up when
 * it stays under about a second's worth of messages).
 */
export interface InnodbCounters {
  commits: number;
  rowLockWaits: number;
  rowLockMs: number;
  pagesFlushed: number;
  logWaits: number;
  checkpointAgeBytes: number;
  searchBacklog: number;
}

const INNODB_STATUS: Record<string, keyof InnodbCounters> = {
  Com_commit: 'commits',
  Innodb_row_lock_waits: 'rowLockWaits',
  Innodb_row_lock_time: 'rowLockMs',
  Innodb_buffer_pool_pages_flushed: 'pagesFlushed',
  Innodb_log_waits: 'logWaits',
  Innodb_checkpoint_age: 'checkpointAgeBytes',
};

export interface ParleyOptions {
  workload: Workload;
  cpus: string | null;
  /** Run src/server.ts through tsx (the smoke test, which must not depend on a build) instead of dist. */
  fromSource: boolean;
  databaseServerUrl: string;
  redisUrl: string;
  /** Parley processes on different ports sharing the database and Redis (default 1; more need redisUrl). */
  processes?: number;
  /**
   * The apps/server folder to run (default this checkout's): another checkout's, built, for an A/B
   * of two builds in one run (`--baseline`, bench.ts).
   */
  serverDir?: string;
  /** The process label in logs and readings (default `parley`). */
  label?: string;
  log(line: string): void;
}

/**
 * Server settings a tuning run changes: every `BENCH_PARLEY_SET_<NAME>=<value>` in the bench's
 * environment reaches Parley as `<NAME>=<value>` (e.g. `BENCH_PARLEY_SET_BATCH_CONNECTIONS=4`), so
 * the settings of apps/server/src/config.ts can be compared without editing the harness. Reported in
 * the run's heading (report.ts) so a result says what it ran with. `BENCH_BASELINE_SET_<NAME>` does the
 * same for the `--baseline` build only (on top of the BENCH_PARLEY_SET_ ones), so two settings can be
 * compared in one run with the baseline pointing at this checkout.
 */
export function parleySettingOverrides(
  env: NodeJS.ProcessEnv = process.env,
  prefix = 'BENCH_PARLEY_SET_',
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env)
      .filter((entry): entry is [string, string] => entry[0].startsWith(prefix) && entry[1] !== undefined)
      .map(([name, value]) => [name.slice(prefix.length), value]),
  );
}

/**
 * A fresh name for a run's database, which is also its Redis key prefix (with a colon): `parley_bench_`,
 * then `BENCH_NAME_TAG` if set (lower-case letters, digits and `_`, at most 24; the smoke test's,
 * to find what its run left), then the time and a random suffix.
 */
export function benchDatabaseName(env: NodeJS.ProcessEnv = process.env): string {
  const tag = env.BENCH_NAME_TAG ?? '';
  if (!/^[a-z0-9_]{0,24}$/.test(tag)) {
    throw new Error(`BENCH_NAME_TAG must be at most 24 of a-z, 0-9 and _: ${JSON.stringify(tag)}`);
  }
  return `parley_bench_${tag}${Date.now()}_${randomBytes(3).toString('hex')}`;
}

export async function startParley(options: ParleyOptions): Promise<ParleyUnderTest> {
  const serverDir = options.serverDir ?? SERVER_DIR;
  const label = options.label ?? 'parley';
  if (!options.fromSource && !existsSync(`${serverDir}/dist/server.js`)) {
    throw new Error(`${serverDir}/dist/server.js is missing: run \`pnpm build\` there first`);
  }
  const databaseName = benchDatabaseName();
  // Its own keys, apart from any other Parley using the same Redis; all deleted when it stops.
  const redisKeyPrefix = `${databaseName}:`;
  const serverUrl = new URL(options.databaseServerUrl);
  const databaseUrl = new URL(options.databaseServerUrl);
  databaseUrl.pathname = `/${databaseName}`;
  const processes = options.processes ?? 1;
  if (processes > 1 && !options.redisUrl) throw new Error('more than one Parley process needs a Redis URL');
  const sessionSecret = randomBytes(32).toString('hex');
  const startOne = async (index: number) => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const { server } = await ServerProcess.start(
      {
        label: index === 0 ? label : `${label}-${index + 1}`,
        nodeArgs: [
          ...(options.fromSource ? ['--import', 'tsx', '--conditions=@parley/source'] : []),
          // BENCH_PARLEY_CPU_PROF=<dir>: a V8 CPU profile of Parley's whole run, written when it stops.
          ...(process.env.BENCH_PARLEY_CPU_PROF
            ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PARLEY_CPU_PROF}`]
            : []),
        ],
        entry: options.fromSource ? 'src/server.ts' : 'dist/server.js',
        cwd: serverDir,
        cpus: options.cpus,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NODE_ENV: 'production',
          HOST: '127.0.0.1',
          PORT: String(port),
          DATABASE_URL: databaseUrl.toString(),
          REDIS_URL: options.redisUrl,
          REDIS_KEY_PREFIX: redisKeyPrefix,
          // One process, so the instrument preloaded into it sees the whole server.
          PARLEY_PROCESSES: '1',
          SESSION_SECRET: sessionSecret,
          LOG_LEVEL: 'warn',
          // One generator logs every user in from 127.0.0.1 and sends far beyond one person's budget.
          AUTH_RATE_LIMIT_PER_IP: '1000000',
          AUTH_RATE_LIMIT_PER_ACCOUNT: '1000000',
          AUTH_RATE_LIMIT_PER_ACCOUNT_NEW_DEVICES: '1000000',
          SOCKET_RATE_LIMIT: '1000000',
          SOCKET_SIGNAL_RATE_LIMIT: '1000000',
          BENCH_DATABASE_PORT: serverUrl.port || '3306',
          ...parleySettingOverrides(),
          ...(label === 'baseline' ? parleySettingOverrides(process.env, 'BENCH_BASELINE_SET_') : {}),
        },
      },
      () => waitUntilReady(url),
    );
    return { server, url };
  };
  const connection: ConnectionConfig = {
    host: serverUrl.hostname,
    port: Number(serverUrl.port || 3306),
    user: decodeURIComponent(serverUrl.username) || 'root',
    password: decodeURIComponent(serverUrl.password) || undefined,
  };
  const started: { server: ServerProcess; url: string }[] = [];
  let db: Connection | null = null;
  let stopped: Promise<void> | null = null;
  // Whichever way the run ends (done, failed while starting or seeding, interrupted), once: the
  // servers first, so nothing writes again, then the database and every key under the prefix.
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      forgetInterrupt();
      await Promise.all(started.map((one) => one.server.stop()));
      await dropDatabase(db, connection, databaseName);
      if (options.redisUrl) {
        await deleteKeysUnder(options.redisUrl, redisKeyPrefix).catch((error: unknown) =>
          options.log(`${label}: Redis keys under ${redisKeyPrefix} were left: ${String(error)}`),
        );
      }
    })());
  const forgetInterrupt = onInterrupt(stop);
  try {
    // One after another: the first creates and migrates the database.
    for (let index = 0; index < processes; index += 1) started.push(await startOne(index));
    const servers = started.map((one) => one.server);
    const urls = started.map((one) => one.url);
    const [{ server, url }] = started as [{ server: ServerProcess; url: string }];
    const database = await mariadb.createConnection({ ...connection, database: databaseName });
    db = database;
    const seedStarted = Date.now();
    const userIds = await seedUsers(database, url, options.workload.connections);
    const roomIds = await seedRooms(database, options.workload, userIds);
    options.log(
      `${label}: seeded ${userIds.length} users, ${roomIds.length} rooms in ${Date.now() - seedStarted} ms`,
    );
    const loginStarted = Date.now();
    const cookies = await logInAll(url, options.workload.connections);
    options.log(`${label}: ${cookies.length} logins in ${Date.now() - loginStarted} ms`);
    return {
      server,
      url,
      servers,
      urls,
      cookies,
      roomIds,
      async newestMessageId() {
        const rows = (await database.query('SELECT COALESCE(MAX(id), 0) AS id FROM messages')) as {
          id: number | bigint;
        }[];
        return Number(rows[0]!.id);
      },
      async innodbCounters() {
        const rows = (await database.query(
          `SHOW GLOBAL STATUS WHERE Variable_name IN (${Object.keys(INNODB_STATUS)
            .map(() => '?')
            .join(', ')})`,
          Object.keys(INNODB_STATUS),
        )) as { Variable_name: string; Value: string }[];
        const counters: InnodbCounters = {
          commits: 0,
          rowLockWaits: 0,
          rowLockMs: 0,
          pagesFlushed: 0,
          logWaits: 0,
          checkpointAgeBytes: 0,
          searchBacklog: 0,
        };
        for (const row of rows) {
          const name = INNODB_STATUS[row.Variable_name];
          if (name) counters[name] = Number(row.Value);
        }
        const [backlog] = (await database.query(
          `SELECT COALESCE(SUM(c.lastChangeSeq - COALESCE(p.indexedChangeSeq, 0)), 0) AS changes
             FROM conversations c LEFT JOIN message_search_positions p ON p.conversationId = c.id
            WHERE c.lastChangeSeq > COALESCE(p.indexedChangeSeq, 0)`,
        )) as { changes: number | bigint | string }[];
        counters.searchBacklog = Number(backlog!.changes);
        return counters;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Drops a run's database over `db`, or over a new connection when the run failed before it had one. */
async function dropDatabase(
  db: Connection | null,
  connection: ConnectionConfig,
  name: string,
): Promise<void> {
  const admin = db ?? (await mariadb.createConnection(connection).catch(() => null));
  await admin?.query(`DROP DATABASE IF EXISTS \`${name}\``).catch(() => undefined);
  await admin?.end().catch(() => undefined);
}

function username(index: number): string {
  return `bench${index}`;
}

/**
 * One account is registered through the API; the others are inserted with its password hash, so
 * seeding costs one argon2 hash instead of N. Logins (below) still verify the password each time.
 */
async function seedUsers(db: Connection, url: string, count: number): Promise<number[]> {
  const response = await post(url, '/api/auth/register', {
    username: username(0),
    displayName: 'Bench 0',
    password: PASSWORD,
  });
  if (response.status !== 201)
    throw new Error(`registration failed: ${response.status} ${await response.text()}`);
  const [template] = (await db.query('SELECT passwordHash FROM users WHERE username = ?', [username(0)])) as {
    passwordHash: string;
  }[];
  for (let start = 1; start < count; start += 500) {
    const batch: [string, string, string][] = [];
    for (let i = start; i < Math.min(start + 500, count); i += 1) {
      batch.push([username(i), `Bench ${i}`, template!.passwordHash]);
    }
    await db.batch('INSERT INTO users (username, displayName, passwordHash) VALUES (?, ?, ?)', batch);
  }
  const rows = (await db.query("SELECT id, username FROM users WHERE username LIKE 'bench%'")) as {
    id: number;
    username: string;
  }[];
  const ids: number[] = [];
  for (const row of rows) ids[Number(row.username.slice(5))] = row.id;
  return ids;
}

/**
 * Groups are inserted directly: the API creates a group with at most 257 members and cannot add
 * anyone later, and the workload needs a group of 1,000. A fresh group row is what
 * ConversationsRepository makes: lastSeq and lastChangeSeq 0, the first member its owner.
 */
async function seedRooms(db: Connection, workload: Workload, userIds: number[]): Promise<number[]> {
  const roomIds: number[] = [];
  for (const [index, room] of workload.rooms.entries()) {
    const owner = userIds[room.members[0]!]!;
    const result = (await db.query(
      "INSERT INTO conversations (kind, name, createdById, lastSeq, lastChangeSeq) VALUES ('group', ?, ?, 0, 0)",
      [`Bench room ${index}`, owner],
    )) as { insertId: number | bigint };
    const conversationId = Number(result.insertId);
    roomIds.push(conversationId);
    await db.batch(
      'INSERT INTO memberships (conversationId, userId, role) VALUES (?, ?, ?)',
      room.members.map((member, position) => [
        conversationId,
        userIds[member]!,
        position === 0 ? 'owner' : 'member',
      ]),
    );
  }
  return roomIds;
}

async function logInAll(url: string, count: number): Promise<string[]> {
  const cookies: string[] = new Array<string>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const response = await post(url, '/api/auth/login', { username: username(index), password: PASSWORD });
      const cookie = response.headers
        .getSetCookie()
        .filter((value) => value.startsWith('parley.sid='))
        .at(-1);
      if (response.status !== 200 || !cookie) {
        throw new Error(`login of ${username(index)} failed: ${response.status} ${await response.text()}`);
      }
      cookies[index] = cookie.split(';')[0]!;
    }
  };
  await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, worker));
  return cookies;
}

function post(url: string, path: string, body: unknown): Promise<Response> {
  // No Origin header: a non-browser client, which Parley's Origin check allows.
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function waitUntilReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('Parley was not ready within 60 s');
}
