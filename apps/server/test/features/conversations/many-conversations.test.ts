// A member of more conversations than one prepared statement has placeholders for (65,535, see
// lib/sql-lists.ts inSlices): the list comes a page at a time (CONVERSATION_PAGE_MAX), and the reads
// that grow with a user's conversations (presence audiences) run in slices.
import { CONVERSATION_PAGE_MAX, type Conversation, type ConversationListResponse } from '@parley/shared';
import * as mariadb from 'mariadb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../../src/db/migrate.js';
import { createConversationsRepository } from '../../../src/features/conversations/conversations.repository.js';
import { createPrismaClient, DEFAULT_POOL } from '../../../src/plugins/prisma.js';
import { createStorePool } from '../../../src/plugins/store-pool.js';
import { createTestDatabase } from '../../helpers/database.js';
import { queryDatabase, startTestServer, type HttpResponse, type TestServer } from '../../helpers/server.js';

/**
 * Past 65,535 / 4, the placeholders of one unread count per conversation, which a list in one answer
 * ran into; not a multiple of a page, so the last page is a short one.
 */
const CONVERSATIONS = 17_001;

describe('a member of 17,001 conversations', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('pages through them all, each with its last message and unread count', async () => {
    const [reader, writer] = [await t.signUp(), await t.signUp()];
    // MariaDB's sequence engine: seq_0_to_<n> is a table of the numbers 0 to n. Ids past the ones
    // this database has used; each group holds one message from the writer, which the reader has
    // read in every third group (so the unread counts are read for a list of their own).
    const [row] = await queryDatabase<{ next: number | bigint }>(
      t,
      'SELECT COALESCE(MAX(id), 0) + 1 AS next FROM conversations',
    );
    const next = Number(row!.next);
    await queryDatabase(
      t,
      `INSERT INTO conversations (id, kind, name, createdById, lastSeq, lastChangeSeq)
       SELECT ? + seq, 'group', CONCAT('Group ', seq), ?, 1, 1 FROM seq_0_to_${CONVERSATIONS - 1}`,
      [next, writer.id],
    );
    await queryDatabase(
      t,
      `INSERT INTO memberships (conversationId, userId, lastReadSeq)
       SELECT ? + seq, ?, seq % 3 = 0 FROM seq_0_to_${CONVERSATIONS - 1}
       UNION ALL SELECT ? + seq, ?, 1 FROM seq_0_to_${CONVERSATIONS - 1}`,
      [next, reader.id, next, writer.id],
    );
    await queryDatabase(
      t,
      `INSERT INTO messages (conversationId, seq, senderId, clientMsgId, text, createdAt, changeSeq)
       SELECT ? + seq, 1, ?, UUID(), CONCAT('hello ', seq), NOW(), 1 FROM seq_0_to_${CONVERSATIONS - 1}`,
      [next, writer.id],
    );

    const conversations: Conversation[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=${CONVERSATION_PAGE_MAX}${cursor ? `&cursor=${cursor}` : ''}`;
      const response: HttpResponse<ConversationListResponse> = await t.http<ConversationListResponse>(
        'GET',
        `/api/conversations${query}`,
        {
          cookie: reader.cookie,
        },
      );
      expect(response.status).toBe(200);
      conversations.push(...response.body.conversations);
      cursor = response.body.nextCursor;
    } while (cursor !== null);
    expect(conversations).toHaveLength(CONVERSATIONS);
    expect(new Set(conversations.map((conversation) => conversation.id)).size).toBe(CONVERSATIONS);
    const wrong = conversations.filter(
      (conversation) =>
        conversation.unreadCount !== ((conversation.id - next) % 3 === 0 ? 0 : 1) ||
        conversation.lastMessage?.text !== `hello ${conversation.id - next}` ||
        conversation.lastMessage.sender.id !== writer.id,
    );
    expect(wrong.map((conversation) => conversation.id)).toEqual([]);
  });
});

describe('presence audiences of members of 70,000 conversations', () => {
  it('are read in slices: every conversation in its place', async () => {
    const database = await createTestDatabase();
    const size = 70_000;
    const seeding = await mariadb.createConnection(parseDatabaseUrl(database.url));
    try {
      await seeding.query(
        "INSERT INTO users (id, username, displayName, passwordHash) VALUES (1, 'many', 'Many', 'x'), (2, 'few', 'Few', 'x')",
      );
      await seeding.query(
        `INSERT INTO conversations (id, kind, name, createdById) SELECT seq, 'group', 'G', 1 FROM seq_1_to_${size}`,
      );
      // User 1 is in every group, user 2 in the first two, which have two members each.
      await seeding.query(
        `INSERT INTO memberships (conversationId, userId) SELECT seq, 1 FROM seq_1_to_${size}
         UNION ALL SELECT seq, 2 FROM seq_1_to_2`,
      );
    } finally {
      await seeding.end();
    }
    const prisma = createPrismaClient(database.url, { poolSize: 1 });
    const pool = createStorePool({ databaseUrl: database.url, connections: 1, pool: DEFAULT_POOL });
    try {
      const repository = createConversationsRepository(prisma, pool);
      // Groups of more than one member are large here: only groups 1 and 2.
      const audiences = await repository.presenceAudiencesOf([1, 2], 1);
      const many = audiences.get(1)!;
      expect(many.watchedIds.sort((a, b) => a - b)).toEqual([1, 2]);
      expect(many.conversationIds).toHaveLength(size - 2);
      expect(new Set(many.conversationIds).size).toBe(size - 2);
      expect(audiences.get(2)).toEqual({ conversationIds: [], watchedIds: expect.arrayContaining([1, 2]) });
    } finally {
      await prisma.$disconnect();
      await pool.end();
      await database.drop();
    }
  });
});
