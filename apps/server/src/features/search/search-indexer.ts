import type { FastifyBaseLogger } from 'fastify';
import type { Pool, PoolConnection } from 'mariadb';
import { placeholders, unionAll } from '../../lib/sql-lists.js';
import { searchIndexText } from './search-text.js';

/**
 * Keeps `message_search` (the Mroonga full-text table, prisma/schema.prisma) in step with
 * `messages`, by the conversations' changeSeq, the same counter catch-up reads: every new message,
 * edit and delete moves its conversation's lastChangeSeq, and the indexer reads each conversation's
 * changes past the changeSeq it last indexed (`message_search_positions`). The send path does not
 * wait for it and does not write a row more: a message is found by search within about one
 * `intervalMs` of being stored. On the driver, on a connection of its own (`searchIndexPool`): mapped
 * through Prisma, a round of 2,000 messages held the event loop for tens of milliseconds, which every
 * send in flight waited out (docs/benchmarks.md, "What search costs the send path").
 *
 * Safe to run in every process at once, and to stop anywhere. One round at a time writes, in all
 * processes together: a round holds the database's named lock `<database>.parley_search_index`
 * (GET_LOCK), and a process that finds it held skips its round. Mroonga does not keep its indexes
 * whole under concurrent writes to the same rows (two connections writing the same rows at once
 * lost rows of a secondary index, and once a row itself). Within that, each row carries the
 * message's changeSeq and a copy never replaces a newer one, positions only move forward
 * (GREATEST), and what was written before a crash and not yet recorded is written again, unchanged.
 */
export interface SearchIndexer {
  /**
   * Indexes every change committed before it was called, in rounds of at most `maxChanges`, waiting
   * for a round of another process to end, and resolves with how many messages it wrote. Rejects
   * with the database's error, or when the lock was not free within `LOCK_WAIT_S`.
   */
  catchUp(): Promise<number>;
  /** Stops the periodic rounds and waits for one running to end. */
  stop(): Promise<void>;
}

export interface SearchIndexerOptions {
  /** Milliseconds between rounds when the last found nothing more to do. */
  intervalMs: number;
  /** Message changes read and written per round at most (a backlog takes several rounds). */
  maxChanges: number;
  /** Conversations per round at most. */
  maxConversations: number;
  log: FastifyBaseLogger;
}

interface Behind {
  conversationId: number;
  indexed: number;
  upTo: number;
}

interface ChangeRow {
  id: number;
  conversationId: number;
  changeSeq: number;
  type: 'text' | 'system';
  text: string;
  deleted: number | bigint;
  fileName: string | null;
}

/**
 * What search finds a message by: its text, and the name of a file it carries (images and voice
 * have made-up names). Empty for a deleted message, which search then never finds.
 */
function searchableText(row: ChangeRow): string {
  if (Number(row.deleted) === 1) return '';
  return row.fileName ? `${row.text}\n${row.fileName}` : row.text;
}

/**
 * Reads the conversations whose changes are not all indexed, oldest id first, and the range of
 * changeSeqs to index for each, together at most `maxChanges` (a conversation's changeSeqs number
 * its changes, so a range of n changeSeqs reads at most n messages).
 */
async function findBehind(
  connection: PoolConnection,
  { maxChanges, maxConversations }: Pick<SearchIndexerOptions, 'maxChanges' | 'maxConversations'>,
): Promise<Behind[]> {
  // A scan of conversations joined with positions: fine for tens of thousands of conversations a
  // second (docs/architecture.md, "Search", says what would replace it).
  const rows = await connection.query<Array<{ id: number; lastChangeSeq: number; indexed: number }>>(
    `SELECT c.id, c.lastChangeSeq, COALESCE(p.indexedChangeSeq, 0) AS indexed
       FROM conversations c LEFT JOIN message_search_positions p ON p.conversationId = c.id
      WHERE c.lastChangeSeq > COALESCE(p.indexedChangeSeq, 0)
      ORDER BY c.id LIMIT ?`,
    [maxConversations],
  );
  const behind: Behind[] = [];
  let budget = maxChanges;
  for (const row of rows) {
    if (budget <= 0) break;
    const indexed = Number(row.indexed);
    const upTo = Math.min(Number(row.lastChangeSeq), indexed + budget);
    behind.push({ conversationId: Number(row.id), indexed, upTo });
    budget -= upTo - indexed;
  }
  return behind;
}

/** What a round writes with: the connection holding the index lock, or (a test) the pool. */
type IndexWriter = Pick<PoolConnection, 'query'>;

/** One row of `message_search`: what the indexer read of a message at its changeSeq. */
export interface SearchRow {
  messageId: number;
  conversationId: number;
  changeSeq: number;
  text: string;
}

/**
 * Writes rows into `message_search`, newest copy winning: a row read at an older changeSeq than
 * the one stored (a round that read before a later one wrote) leaves the stored one alone. MariaDB
 * assigns left to right, so `text` is decided against the old changeSeq. The caller holds the index
 * lock (see SearchIndexer): Mroonga's indexes break under concurrent writes. Each text is written as
 * searchIndexText makes it: Groonga would leave a run of over 4,096 bytes out of the index and copy
 * it into its log (search-text.ts).
 */
export async function writeSearchRows(connection: IndexWriter, rows: readonly SearchRow[]): Promise<void> {
  if (rows.length === 0) return;
  await connection.query(
    `INSERT INTO message_search (messageId, conversationId, changeSeq, text)
     VALUES ${placeholders(rows.length, '(?, ?, ?, ?)')}
     ON DUPLICATE KEY UPDATE
       text = IF(VALUES(changeSeq) >= changeSeq, VALUES(text), text),
       changeSeq = GREATEST(changeSeq, VALUES(changeSeq))`,
    rows.flatMap((row) => [row.messageId, row.conversationId, row.changeSeq, searchIndexText(row.text)]),
  );
}

/** Seconds `catchUp` waits for another process's rounds to end (the periodic rounds do not wait). */
const LOCK_WAIT_S = 30;
/** The lock's name: named locks are the server's, not a database's, so it names the database. */
const LOCK_NAME = "CONCAT(DATABASE(), '.parley_search_index')";

/**
 * Runs `rounds` on a connection of `pool` holding this database's search index lock, waiting up to
 * `waitS` seconds for it (a named lock belongs to its session). Resolves with null, without running
 * `rounds`, when the lock stayed held.
 */
async function withIndexLock<T>(
  pool: Pool,
  waitS: number,
  rounds: (connection: PoolConnection) => Promise<T>,
): Promise<T | null> {
  const connection = await pool.getConnection();
  try {
    const [lock] = await connection.query<Array<{ got: number | bigint | null }>>(
      `SELECT GET_LOCK(${LOCK_NAME}, ?) AS got`,
      [waitS],
    );
    if (Number(lock?.got) !== 1) return null;
    try {
      return await rounds(connection);
    } finally {
      await connection.query(`SELECT RELEASE_LOCK(${LOCK_NAME})`);
    }
  } finally {
    await connection.release();
  }
}

/** One round: reads the changes of the conversations behind, writes them, moves the positions on. */
async function indexRound(
  connection: PoolConnection,
  options: Pick<SearchIndexerOptions, 'maxChanges' | 'maxConversations'>,
): Promise<{ written: number; more: boolean }> {
  const behind = await findBehind(connection, options);
  if (behind.length === 0) return { written: 0, more: false };
  // One statement per conversation (unionAll): joined from a table of keys, MariaDB would read each
  // conversation's whole history for its range.
  const changes = await connection.query<ChangeRow[]>(
    unionAll(
      behind.length,
      `(SELECT m.id, m.conversationId, m.changeSeq, m.type, m.text, m.deletedAt IS NOT NULL AS deleted,
               IF(u.kind = 'file', u.fileName, NULL) AS fileName
          FROM messages m FORCE INDEX (messages_conversationId_changeSeq_idx)
               LEFT JOIN uploads u ON u.id = m.attachmentId
         WHERE m.conversationId = ? AND m.changeSeq > ? AND m.changeSeq <= ?)`,
    ),
    behind.flatMap((b) => [b.conversationId, b.indexed, b.upTo]),
  );
  // System messages say what happened to the group, in words each reader's app makes: nothing to find.
  const rows = changes.filter((row) => row.type === 'text');
  await writeSearchRows(
    connection,
    rows.map((row) => ({
      messageId: Number(row.id),
      conversationId: Number(row.conversationId),
      changeSeq: Number(row.changeSeq),
      text: searchableText(row),
    })),
  );
  await connection.query(
    `INSERT INTO message_search_positions (conversationId, indexedChangeSeq)
     VALUES ${placeholders(behind.length, '(?, ?)')}
     ON DUPLICATE KEY UPDATE indexedChangeSeq = GREATEST(indexedChangeSeq, VALUES(indexedChangeSeq))`,
    behind.flatMap((b) => [b.conversationId, b.upTo]),
  );
  const used = behind.reduce((sum, b) => sum + (b.upTo - b.indexed), 0);
  return {
    written: rows.length,
    more: used >= options.maxChanges || behind.length >= options.maxConversations,
  };
}

/** Starts the periodic rounds (the first at once) and returns the indexer. */
export function startSearchIndexer(pool: Pool, options: SearchIndexerOptions): SearchIndexer {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  /** The round running now, which catchUp and stop wait for rather than run beside. */
  let running: Promise<unknown> = Promise.resolve();

  /**
   * Rounds until nothing is left, holding the lock throughout; with `waitS` 0, none when another
   * process holds it.
   */
  async function catchUp(waitS: number): Promise<number> {
    const rounds = withIndexLock(pool, waitS, async (connection) => {
      let written = 0;
      for (;;) {
        const result = await indexRound(connection, options);
        written += result.written;
        if (!result.more || stopped) return written;
      }
    });
    running = rounds.catch(() => undefined);
    const written = await rounds;
    if (written === null && waitS > 0) throw new Error(`the search index lock stayed held for ${waitS} s`);
    return written ?? 0;
  }

  async function tick(): Promise<void> {
    timer = null;
    try {
      // Another process's round holds the lock: it does this work.
      if (!stopped) await catchUp(0);
    } catch (error) {
      options.log.warn({ err: error }, 'search indexing failed; trying again next round');
    }
    if (!stopped) timer = setTimeout(() => void tick(), options.intervalMs).unref();
  }
  timer = setTimeout(() => void tick(), 0).unref();

  return {
    async catchUp() {
      await running;
      return catchUp(LOCK_WAIT_S);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
