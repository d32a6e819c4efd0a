/**
 * Store micro-benchmark: messages stored per second at 1, 10 and 50 concurrent senders, five ways,
 * against a fresh database on the server the tests use, durability settings as that server has them
 * (printed first). Each sender stores one message at a time and waits for it, as a client waits for
 * its ack. See docs/benchmarks.md.
 *
 *   pnpm --filter @parley/server bench:store
 *
 * BENCH_SECONDS (default 3) per measurement; BENCH_BATCH_WAITS (e.g. "0,1,2,5") also measures the
 * batcher at several BATCH_WAIT_MS values.
 */
import { randomUUID } from 'node:crypto';
import mariadb from 'mariadb';
import { parseDatabaseUrl } from '../src/db/migrate.js';
import { messageInclude } from '../src/features/messages/message-dto.js';
import { createMessagesRepository } from '../src/features/messages/messages.repository.js';
import { createSendBatcher } from '../src/features/messages/send-batcher.js';
import { createPrismaClient, DEFAULT_POOL } from '../src/plugins/prisma.js';
import { createStorePool } from '../src/plugins/store-pool.js';
import { createTestDatabase } from '../test/helpers/database.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = [1, 10, 50];
const SENDERS = 50;
const CONVERSATIONS = 10;
const MULTI_ROW = 64;
const BATCH = { waitMs: 1, maxBatch: 64, connections: 2 };
const BATCH_WAITS = (process.env.BENCH_BATCH_WAITS ?? '').split(',').filter(Boolean).map(Number);

const write = (line = '') => process.stdout.write(`${line}\n`);

const database = await createTestDatabase();
const connection = await mariadb.createConnection(parseDatabaseUrl(database.url));
const pool = mariadb.createPool({
  ...parseDatabaseUrl(database.url),
  connectionLimit: DEFAULT_POOL.poolSize,
});
// A long pool wait: at 50 senders on 10 connections Prisma's queue is measured, not refused.
const prisma = createPrismaClient(database.url, { poolTimeoutMs: 60_000 });
const storePool = createStorePool({
  databaseUrl: database.url,
  connections: BATCH.connections,
  pool: DEFAULT_POOL,
});

/** Next seq per conversation for the contenders that do not take the conversation's lock. */
const nextSeq = new Map<number, number>();
const seqFor = (conversationId: number) => {
  const seq = (nextSeq.get(conversationId) ?? 1_000_000) + 1;
  nextSeq.set(conversationId, seq);
  return seq;
};

type Store = (senderId: number, conversationId: number) => Promise<unknown>;

/** Messages per second with `concurrency` senders storing one message at a time for SECONDS. */
async function measure(store: Store, concurrency: number, rowsPerCall = 1): Promise<number> {
  const deadline = Date.now() + SECONDS * 1_000;
  let stored = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      const senderId = (worker % SENDERS) + 1;
      const conversationId = (worker % CONVERSATIONS) + 1;
      while (Date.now() < deadline) {
        await store(senderId, conversationId);
        stored += rowsPerCall;
      }
    }),
  );
  return stored / ((Date.now() - started) / 1_000);
}

async function seed(): Promise<void> {
  for (let id = 1; id <= SENDERS; id += 1) {
    await connection.query(
      "INSERT INTO users (id, username, displayName, passwordHash) VALUES (?, ?, ?, 'x')",
      [id, `bench${id}`, `Bench ${id}`],
    );
  }
  for (let id = 1; id <= CONVERSATIONS; id += 1) {
    await connection.query(
      "INSERT INTO conversations (id, kind, name, createdById) VALUES (?, 'group', 'Bench', 1)",
      [id],
    );
    for (let userId = 1; userId <= SENDERS; userId += 1) {
      await connection.query('INSERT INTO memberships (conversationId, userId) VALUES (?, ?)', [id, userId]);
    }
  }
}

const rawSingleRow: Store = (senderId, conversationId) => {
  const seq = seqFor(conversationId);
  return pool.query(
    `INSERT INTO messages (conversationId, seq, senderId, clientMsgId, text, changeSeq)
     VALUES (?, ?, ?, ?, 'benchmark message', ?)`,
    [conversationId, seq, senderId, randomUUID(), seq],
  );
};

const rawMultiRow: Store = (senderId, conversationId) => {
  const values: unknown[] = [];
  for (let i = 0; i < MULTI_ROW; i += 1) {
    const seq = seqFor(conversationId);
    values.push(conversationId, seq, senderId, randomUUID(), seq);
  }
  return pool.query(
    `INSERT INTO messages (conversationId, seq, senderId, clientMsgId, text, changeSeq) VALUES
     ${Array.from({ length: MULTI_ROW }, () => "(?, ?, ?, ?, 'benchmark message', ?)").join(', ')}`,
    values,
  );
};

const prismaCreate: Store = (senderId, conversationId) => {
  const seq = seqFor(conversationId);
  return prisma.message.create({
    data: {
      conversationId,
      seq,
      senderId,
      clientMsgId: randomUUID(),
      text: 'benchmark message',
      changeSeq: seq,
    },
  });
};

/**
 * The send path before group commit, for comparison only: the service's membership check and
 * clientMsgId lookup, then one Prisma interactive transaction per message (lock and bump the
 * conversation, create the message and read it back with its relations, move the sender's positions).
 */
const repository = createMessagesRepository(prisma);
const oldPath: Store = async (senderId, conversationId) => {
  const clientMsgId = randomUUID();
  await prisma.membership.findUnique({
    where: { conversationId_userId: { conversationId, userId: senderId } },
  });
  await repository.findByClientMsgId(senderId, clientMsgId);
  const now = new Date();
  return prisma.$transaction(
    async (tx) => {
      const { lastSeq, lastChangeSeq } = await tx.conversation.update({
        where: { id: conversationId },
        data: { lastChangeSeq: { increment: 1 }, lastSeq: { increment: 1 }, lastActivityAt: now },
        select: { lastSeq: true, lastChangeSeq: true },
      });
      const row = await tx.message.create({
        data: {
          conversationId,
          senderId,
          clientMsgId,
          text: 'benchmark message',
          seq: lastSeq,
          changeSeq: lastChangeSeq,
          createdAt: now,
        },
        include: messageInclude,
      });
      await tx.membership.update({
        where: { conversationId_userId: { conversationId, userId: senderId } },
        data: { lastReadSeq: lastSeq, lastDeliveredSeq: lastSeq },
      });
      return row;
    },
    { isolationLevel: 'ReadCommitted' },
  );
};

function batcherWith(waitMs: number): Store {
  const batcher = createSendBatcher(
    { pool: storePool, readMessages: repository.findMessagesByIds },
    { ...BATCH, waitMs, admissionTimeoutMs: DEFAULT_POOL.poolTimeoutMs },
  );
  return (senderId, conversationId) =>
    batcher.submit({
      senderId,
      conversationId,
      clientMsgId: randomUUID(),
      text: 'benchmark message',
      replyToId: null,
      attachmentId: null,
    });
}

try {
  await seed();
  const [settings] = await connection.query<Array<Record<string, string>>>(
    'SELECT VERSION() AS version, @@innodb_flush_log_at_trx_commit AS innodb_flush_log_at_trx_commit, @@sync_binlog AS sync_binlog, @@log_bin AS log_bin',
  );
  write(`MariaDB ${settings!.version}`);
  write(
    `innodb_flush_log_at_trx_commit=${settings!.innodb_flush_log_at_trx_commit} sync_binlog=${settings!.sync_binlog} log_bin=${settings!.log_bin}`,
  );
  write(`${SECONDS} s per cell; pool ${DEFAULT_POOL.poolSize} connections; batcher ${JSON.stringify(BATCH)}`);
  write();

  const contenders: Array<[string, Store, number]> = [
    ['raw mariadb, single-row INSERT (autocommit)', rawSingleRow, 1],
    [`raw mariadb, ${MULTI_ROW}-row INSERT (autocommit)`, rawMultiRow, MULTI_ROW],
    ['Prisma create (autocommit)', prismaCreate, 1],
    ['old send path (Prisma transaction per message)', oldPath, 1],
    ['send batcher (group commit)', batcherWith(BATCH.waitMs), 1],
  ];
  // Warm-up: connections opened, statements prepared, Prisma's query plans compiled.
  for (const [, store] of contenders) await store(1, 1);

  write(`| contender | ${CONCURRENCY.map((c) => `c=${c} msg/s`).join(' | ')} |`);
  write(`| --- | ${CONCURRENCY.map(() => '---:').join(' | ')} |`);
  for (const [name, store, rows] of contenders) {
    const rates: string[] = [];
    for (const concurrency of CONCURRENCY)
      rates.push(Math.round(await measure(store, concurrency, rows)).toString());
    write(`| ${name} | ${rates.join(' | ')} |`);
  }

  if (BATCH_WAITS.length > 0) {
    write();
    write(`| BATCH_WAIT_MS | ${CONCURRENCY.map((c) => `c=${c} msg/s`).join(' | ')} |`);
    write(`| ---: | ${CONCURRENCY.map(() => '---:').join(' | ')} |`);
    for (const waitMs of BATCH_WAITS) {
      const store = batcherWith(waitMs);
      const rates: string[] = [];
      for (const concurrency of CONCURRENCY)
        rates.push(Math.round(await measure(store, concurrency)).toString());
      write(`| ${waitMs} | ${rates.join(' | ')} |`);
    }
  }
} finally {
  await connection.end();
  await pool.end();
  await storePool.end();
  await prisma.$disconnect();
  await database.drop();
}
