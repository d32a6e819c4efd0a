/**
 * What one send batch costs MariaDB and the server in CPU, by batch size: the send path's store
 * (features/messages/message-batch-store.ts `storeBatch`) run one batch at a time on one connection,
 * against a fresh database on the server the tests use. Each line gives, per batch and per message,
 * the database server's CPU (user + system of the whole `mariadbd` process, from /proc/<pid>/stat,
 * 10 ms ticks), this process's CPU, and the wall time; a `SELECT 1` round trip and an empty
 * transaction are the floor. Linux only, and only with the database on this machine; run it with
 * nothing else using that database server. See docs/benchmarks.md.
 *
 *   pnpm --filter @parley/server bench:store-cpu
 *
 * BENCH_OPS (default 2000): batches (or round trips) per line; BENCH_BATCH_SIZES (default 1,10,64): the
 * batch sizes measured. Senders and conversations rotate over
 * 100 groups of 10 so that a batch of n touches n conversations, as under load.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mariadb from 'mariadb';
import { parseDatabaseUrl } from '../src/db/migrate.js';
import { storeBatch, type PendingMessage } from '../src/features/messages/message-batch-store.js';
import { DEFAULT_POOL } from '../src/plugins/prisma.js';
import { createStorePool } from '../src/plugins/store-pool.js';
import { createTestDatabase } from '../test/helpers/database.js';

const OPS = Number(process.env.BENCH_OPS ?? 2_000);
const GROUPS = 100;
const GROUP_SIZE = 10;
const BATCH_SIZES = (process.env.BENCH_BATCH_SIZES ?? '1,10,64').split(',').map(Number);
const TEXT = 'x'.repeat(150);

/** The database server's process id: `mariadbd`, or `mysqld` on older installs. */
function databasePid(): number {
  for (const name of ['mariadbd', 'mysqld']) {
    try {
      return Number(execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).split('\n')[0]);
    } catch {
      // not running under this name
    }
  }
  throw new Error('no mariadbd or mysqld process on this machine');
}

const pid = databasePid();
/** CPU ticks (user + system, 1/100 s) the database server has used. */
const databaseTicks = (): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
};

const write = (line = '') => process.stdout.write(`${line}\n`);

/** Sender and conversation of the i-th message: users rotate within the groups. */
function pending(i: number): PendingMessage {
  const conversationId = (i % GROUPS) + 1;
  const senderId = ((conversationId + (Math.floor(i / GROUPS) % GROUP_SIZE)) % GROUPS) + 1;
  return {
    conversationId,
    senderId,
    clientMsgId: randomUUID(),
    text: TEXT,
    replyToId: null,
    attachmentId: null,
  };
}

/** Runs `operation` OPS times after a short warm-up and prints CPU and wall time per operation and per message. */
async function measure(name: string, messages: number, operation: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 50; i += 1) await operation(i);
  const ticks = databaseTicks();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 50; i < OPS + 50; i += 1) await operation(i);
  const databaseUs = ((databaseTicks() - ticks) * 10_000) / OPS;
  const used = process.cpuUsage(cpu);
  const clientUs = (used.user + used.system) / OPS;
  const wallUs = ((performance.now() - started) * 1_000) / OPS;
  const perMessage = (us: number) => (messages > 0 ? (us / messages).toFixed(0) : '–');
  write(
    `| ${name} | ${databaseUs.toFixed(0)} | ${perMessage(databaseUs)} | ${clientUs.toFixed(0)} | ` +
      `${perMessage(clientUs)} | ${wallUs.toFixed(0)} |`,
  );
}

const database = await createTestDatabase();
const seeding = await mariadb.createConnection(parseDatabaseUrl(database.url));
const store = createStorePool({ databaseUrl: database.url, connections: 1, pool: DEFAULT_POOL });
try {
  for (let id = 1; id <= GROUPS; id += 1) {
    await seeding.query("INSERT INTO users (id, username, displayName, passwordHash) VALUES (?, ?, ?, 'x')", [
      id,
      `bench${id}`,
      `Bench ${id}`,
    ]);
  }
  for (let id = 1; id <= GROUPS; id += 1) {
    await seeding.query(
      "INSERT INTO conversations (id, kind, name, createdById) VALUES (?, 'group', 'Bench', 1)",
      [id],
    );
    for (let member = 0; member < GROUP_SIZE; member += 1) {
      await seeding.query('INSERT INTO memberships (conversationId, userId) VALUES (?, ?)', [
        id,
        ((id + member) % GROUPS) + 1,
      ]);
    }
  }
  const [settings] = await seeding.query<Array<Record<string, string>>>(
    'SELECT VERSION() AS version, @@innodb_flush_log_at_trx_commit AS flush, @@sync_binlog AS sync_binlog, @@log_bin AS log_bin',
  );
  write(
    `MariaDB ${settings!.version}, innodb_flush_log_at_trx_commit=${settings!.flush}, ` +
      `sync_binlog=${settings!.sync_binlog}, log_bin=${settings!.log_bin}; ${OPS} operations per line`,
  );
  write();
  write(
    '| operation | database µs / op | database µs / msg | client µs / op | client µs / msg | wall µs / op |',
  );
  write('| --- | ---: | ---: | ---: | ---: | ---: |');

  const connection = await store.getConnection();
  await measure('`SELECT 1` (a round trip)', 0, () => connection.query('SELECT 1'));
  await measure('`START TRANSACTION; COMMIT` (one command)', 0, () =>
    connection.query('START TRANSACTION; COMMIT'),
  );
  await connection.release();
  for (const size of BATCH_SIZES) {
    await measure(`storeBatch, ${size} message${size === 1 ? '' : 's'}`, size, async (i) => {
      const batch = Array.from({ length: size }, (_, k) => pending(i * size + k));
      const outcomes = await storeBatch(store, batch, new Date());
      // Refusals cost less than stores: a line is only what it says if every message was stored.
      if (outcomes.some((outcome) => outcome.kind !== 'stored')) throw new Error('a message was not stored');
    });
  }
} finally {
  await store.end();
  await seeding.end();
  await database.drop();
}
