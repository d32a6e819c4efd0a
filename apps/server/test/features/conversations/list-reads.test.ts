// What the conversation list makes MariaDB read, counted on the one connection of its Prisma client:
// unread counts must read the unread messages, not each conversation's whole history.
import { CONVERSATION_PAGE_MAX } from '@parley/shared';
import * as mariadb from 'mariadb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../../src/db/migrate.js';
import {
  createConversationsRepository,
  type ConversationsRepository,
} from '../../../src/features/conversations/conversations.repository.js';
import type { PrismaClient } from '../../../src/generated/prisma/client.js';
import { createPrismaClient, DEFAULT_POOL } from '../../../src/plugins/prisma.js';
import { createStorePool } from '../../../src/plugins/store-pool.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';

const HISTORY = 5_000;

describe('the conversation list’s reads', () => {
  let database: TestDatabase;
  let prisma: PrismaClient;
  let pool: mariadb.Pool;
  let repository: ConversationsRepository;

  beforeAll(async () => {
    database = await createTestDatabase();
    const seeding = await mariadb.createConnection(parseDatabaseUrl(database.url));
    try {
      await seeding.query(
        "INSERT INTO users (id, username, displayName, passwordHash) VALUES (1, 'reader', 'Reader', 'x'), (2, 'writer', 'Writer', 'x')",
      );
      // Two groups the reader is behind in: a long history (10 unread) and a short one (5 unread).
      for (const [id, lastSeq, lastReadSeq] of [
        [1, HISTORY, HISTORY - 10],
        [2, 50, 45],
      ] as const) {
        await seeding.query(
          "INSERT INTO conversations (id, kind, name, createdById, lastSeq, lastChangeSeq) VALUES (?, 'group', 'Group', 2, ?, ?)",
          [id, lastSeq, lastSeq],
        );
        await seeding.query(
          'INSERT INTO memberships (conversationId, userId, lastReadSeq) VALUES (?, 1, ?), (?, 2, ?)',
          [id, lastReadSeq, id, lastSeq],
        );
        // MariaDB's sequence engine: seq_1_to_<n> is a table of the numbers 1 to n.
        await seeding.query(
          `INSERT INTO messages (conversationId, seq, senderId, clientMsgId, text, createdAt, changeSeq)
           SELECT ?, seq, 2, UUID(), 'hello', NOW(), seq FROM seq_1_to_${lastSeq}`,
          [id],
        );
      }
    } finally {
      await seeding.end();
    }
    // One connection: the session's handler counters then count every statement of the list.
    prisma = createPrismaClient(database.url, { poolSize: 1 });
    pool = createStorePool({ databaseUrl: database.url, connections: 1, pool: DEFAULT_POOL });
    repository = createConversationsRepository(prisma, pool);
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await pool?.end();
    await database?.drop();
  });

  /** The session's counters of index entries read, on `query`'s connection. */
  async function entriesRead(query: (sql: string) => Promise<unknown>): Promise<Map<string, number>> {
    const status = (await query(
      "SHOW SESSION STATUS WHERE Variable_name IN ('Handler_read_next', 'Handler_icp_attempts')",
    )) as Array<{ Variable_name: string; Value: string }>;
    expect(status).toHaveLength(2);
    return new Map(status.map((row) => [row.Variable_name, Number(row.Value)]));
  }

  it('the list counts unread messages by reading about as many index entries as there are unread', async () => {
    await prisma.$executeRawUnsafe('FLUSH STATUS');
    const { conversations: list } = await repository.listForUser(1, { limit: CONVERSATION_PAGE_MAX });
    const read = await entriesRead((sql) => prisma.$queryRawUnsafe(sql));

    const unread = new Map(list.map((conversation) => [conversation.id, conversation.unreadCount]));
    expect([unread.get(1), unread.get(2)]).toEqual([10, 5]);
    // A join from a table of the conversations' keys read the long history whole (5,000 entries and
    // more); one statement per conversation reads its 10. Memberships and the rest add a few dozen.
    for (const [name, entries] of read) expect(entries, name).toBeLessThan(HISTORY / 10);
  });
});
