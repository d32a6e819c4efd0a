// What a send batch makes MariaDB read, counted on the one connection of its pool: a batch into a
// long history reads about what it writes, never the history (a correlated MAX over a conversation's
// seqs once read all of it, 100,000 index entries for a batch of 40, and the load run collapsed).
import { randomUUID } from 'node:crypto';
import * as mariadb from 'mariadb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../../src/db/migrate.js';
import { storeBatch, type PendingMessage } from '../../../src/features/messages/message-batch-store.js';
import { DEFAULT_POOL } from '../../../src/plugins/prisma.js';
import { createStorePool } from '../../../src/plugins/store-pool.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';

const HISTORY = 5_000;
const SENDERS = 10;

describe('a send batch’s reads', () => {
  let database: TestDatabase;
  let pool: mariadb.Pool;

  beforeAll(async () => {
    database = await createTestDatabase();
    const seeding = await mariadb.createConnection(parseDatabaseUrl(database.url));
    try {
      // MariaDB's sequence engine: seq_1_to_<n> is a table of the numbers 1 to n.
      await seeding.query(
        `INSERT INTO users (id, username, displayName, passwordHash)
         SELECT seq, CONCAT('user', seq), 'User', 'x' FROM seq_1_to_${SENDERS}`,
      );
      await seeding.query(
        "INSERT INTO conversations (id, kind, name, createdById, lastSeq, lastChangeSeq) VALUES (1, 'group', 'Group', 1, ?, ?)",
        [HISTORY, HISTORY],
      );
      await seeding.query(
        `INSERT INTO memberships (conversationId, userId, role) SELECT 1, seq, 'member' FROM seq_1_to_${SENDERS}`,
      );
      await seeding.query(
        `INSERT INTO messages (conversationId, seq, senderId, clientMsgId, text, createdAt, changeSeq)
         SELECT 1, seq, 1 + seq MOD ${SENDERS}, UUID(), 'hello', NOW(), seq FROM seq_1_to_${HISTORY}`,
      );
    } finally {
      await seeding.end();
    }
    // One connection: the session's handler counters then count every statement of the batch.
    pool = createStorePool({ databaseUrl: database.url, connections: 1, pool: DEFAULT_POOL });
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it(`stores ${SENDERS} messages into a history of ${HISTORY} reading a few index entries per message`, async () => {
    const batch: PendingMessage[] = Array.from({ length: SENDERS }, (_, index) => ({
      conversationId: 1,
      senderId: index + 1,
      clientMsgId: randomUUID(),
      text: 'one more',
      replyToId: null,
      attachmentId: null,
    }));
    await pool.query('FLUSH STATUS');

    const outcomes = await storeBatch(pool, batch, new Date());

    expect(outcomes.map((outcome) => outcome.kind)).toEqual(batch.map(() => 'stored'));
    const status = await pool.query<Array<{ Variable_name: string; Value: string }>>(
      "SHOW SESSION STATUS WHERE Variable_name IN ('Handler_read_next', 'Handler_read_prev', 'Handler_read_rnd_next')",
    );
    const read = status.reduce((sum, row) => sum + Number(row.Value), 0);
    expect(status).toHaveLength(3);
    // The batch's own rows, its keys' tables and a few lookups each; the history is 5,000.
    expect(read, `${read} index entries and rows read`).toBeLessThan(SENDERS * 20);
    const [conversation] = await pool.query<Array<{ lastSeq: number; lastChangeSeq: number }>>(
      'SELECT lastSeq, lastChangeSeq FROM conversations WHERE id = 1',
    );
    expect(conversation).toEqual({ lastSeq: HISTORY + SENDERS, lastChangeSeq: HISTORY + SENDERS });
  });
});
