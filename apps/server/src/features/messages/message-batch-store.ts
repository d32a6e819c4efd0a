import { ErrorCode, type Message, type UploadKind, type UserKind } from '@parley/shared';
import type { Pool, PoolConnection } from 'mariadb';
import { AppError, busy } from '../../lib/app-error.js';
import { failpoint, failpointArmed } from '../../lib/failpoints.js';
import { toSqlDateTime } from '../../lib/sql-datetime.js';
import { placeholders, sqlByShape, valuesTable } from '../../lib/sql-lists.js';
import { conversationNotFound } from '../conversations/conversations.service.js';
import { postingRefusal, type PosterState, type PostingRules } from '../groups/posting-rules.js';
import { toAttachment, type AttachmentColumns } from '../uploads/upload-dto.js';
import { toReplyRef } from './message-dto.js';

/** One `message:send` as the batch store takes it (already validated against the shared schema). */
export interface PendingMessage {
  conversationId: number;
  senderId: number;
  clientMsgId: string;
  text: string;
  replyToId: number | null;
  /** An upload of the sender's to carry (features/uploads), attached by this message once. */
  attachmentId: string | null;
}

/**
 * What became of one message of a batch: stored now (with the DTO built from what was written),
 * stored before (the id of the first message with its (senderId, clientMsgId), to be read back), or
 * refused on its own (not a member, a deactivated sender, reply target elsewhere, clientMsgId used in
 * another conversation).
 */
export type BatchOutcome =
  | { kind: 'stored'; message: Message }
  | { kind: 'duplicate'; messageId: number }
  | { kind: 'refused'; error: AppError }
  /**
   * The database error of the transaction that was to decide this message, when others of the batch
   * were already stored by the one round trip before it (storeBatch): nothing of this message was
   * written, and lib/db-failures.ts classifies the error (retryable) as for a whole batch.
   */
  | { kind: 'failed'; error: unknown };

interface ConversationRow extends PostingRules {
  id: number;
  lastSeq: number;
  lastChangeSeq: number;
  /** 1 when a site admin archived the group: nobody may send. */
  archived: number | boolean;
}
interface MemberRow extends PosterState {
  conversationId: number;
  id: number;
  username: string;
  displayName: string;
  kind: UserKind;
  /**
   * 1 once the sender's account is deactivated. Read under a shared lock on the sender's row, held to
   * the commit: a deactivation waits for a batch that read the account as active, and a batch that
   * reads it after a deactivation committed sees it, so no send is stored after a deactivation returns.
   */
  deactivated: number | boolean;
}
interface ExistingRow {
  id: number;
  conversationId: number;
  senderId: number;
  clientMsgId: string;
}
interface ReplyRow {
  id: number;
  conversationId: number;
  seq: number;
  text: string;
  deletedAt: Date | null;
  senderId: number;
  username: string;
  displayName: string;
  kind: UserKind;
  attachmentKind: UploadKind | null;
}
interface UploadRow extends AttachmentColumns {
  uploaderId: number;
  attachedAt: Date | null;
}
interface InsertedRow {
  id: number;
  conversationId: number;
  seq: number;
}

const ER_DUP_ENTRY = 1062;
const ER_LOCK_WAIT_TIMEOUT = 1205;
/**
 * Runs of one batch at most when its INSERT meets a duplicate another transaction committed
 * meanwhile; past them the batch is refused as `server/busy` (retryable), never as `server/internal`.
 */
const DUPLICATE_RUNS = 4;

/**
 * A (senderId, clientMsgId) as the unique key compares it: the column's collation is case-insensitive,
 * as UUIDs are (RFC 9562 §4), so a resend spelling the id in capitals is the same message.
 */
const keyOf = (senderId: number, clientMsgId: string) => `${senderId}:${clientMsgId.toLowerCase()}`;

/**
 * Writes a batch of new messages, on a connection of its own pool. A round trip is one command
 * carrying several statements (the store pool allows multi-statement commands; every value is still
 * escaped by the driver): the server runs them in order and stops at the first that fails. A batch of
 * one message cost the server process about half a millisecond of CPU in two round trips, most of it
 * the kernel work of the round trips to MariaDB rather than the driver, so round trips per batch are
 * what the store's CPU follows.
 *
 * A batch of text messages (no attachment, one per sender) is stored in one round trip
 * (storeInOneRoundTrip): the same locks in the same order, then an INSERT … SELECT whose conditions
 * are the rules below, seqs numbered in SQL, the positions and the conversations moved on, COMMIT.
 * What it leaves out (a refusal, a retry's duplicate) is decided by the two-round-trip store in a
 * transaction of its own, which says why; an error there fails only those messages (`failed`).
 * Otherwise, and when the one round trip fails with nothing committed, the batch is stored in one
 * transaction of two round trips:
 *
 * 1. START TRANSACTION; lock every conversation of the batch (`SELECT … FOR UPDATE`, in primary-key
 *    order, so two batches never deadlock on each other); lock the senders' rows shared, in id order
 *    (so a deactivation waits for the batch); read the senders' memberships and summaries, the
 *    (senderId, clientMsgId) pairs already stored and the reply targets.
 * 2. One multi-row INSERT of the new messages (`RETURNING` their ids), one UPDATE moving every
 *    conversation's lastSeq/lastChangeSeq, one UPDATE raising every sender's read and delivered
 *    positions with GREATEST, and COMMIT. If any statement fails, the ones after it, COMMIT
 *    included, do not run, and the transaction is rolled back.
 *
 * Exactly once, gapless: deduplication happens before seqs are assigned, under the conversation
 * locks (the session reads committed rows, so a duplicate committed by a batch that held the lock
 * before is seen), so a duplicate never takes a seq. A duplicate whose first copy is in another
 * conversation and not yet committed is the one case the lock does not order; its INSERT then fails
 * on the unique key, the batch is rolled back and run again, and the rerun sees it (a rerun can meet
 * another such duplicate of another send of the batch: up to DUPLICATE_RUNS runs, then `server/busy`).
 *
 * A conversation held past `innodb_lock_wait_timeout` by a transaction outside the send path fails
 * the lock statement (1205) for the whole batch: the batch is then run once more with `SKIP LOCKED`
 * on its conversations, so the sends to the others are stored (late by that wait, not refused) and
 * only those to the held conversation are refused as `server/busy`; the held conversation goes into
 * `held`. A batch touching a conversation in `held` skips it at once rather than waiting again (so a
 * long hold costs its lane one lock wait, not one per batch), until such a batch finds it free. The
 * first run of any other batch waits as usual: skipping at once would refuse sends whenever an edit
 * held their conversation for a millisecond.
 */
export async function storeBatch(
  pool: Pool,
  batch: readonly PendingMessage[],
  now: Date,
  held: HeldConversations = new Set(),
): Promise<BatchOutcome[]> {
  if (!fitsOneRoundTrip(batch, held)) return storeDecidingHere(pool, batch, now, held);
  let first: Array<BatchOutcome | null>;
  try {
    first = await storeInOneRoundTrip(pool, batch, now);
  } catch (error) {
    // Nothing was committed: the batch is decided here instead, which retries a duplicate key and
    // goes on without a conversation held past the lock wait.
    const errno = (error as { errno?: unknown }).errno;
    if (errno === ER_DUP_ENTRY) return storeDecidingHere(pool, batch, now, held);
    if (errno === ER_LOCK_WAIT_TIMEOUT) return storeDecidingHere(pool, batch, now, held, true);
    throw error;
  }
  const left = batch.filter((_, index) => first[index] === null);
  if (left.length === 0) return first as BatchOutcome[];
  // What the one round trip did not store (a refusal, a retry's duplicate, a rule's edge), decided
  // here, each with its own answer. The others are stored: an error now fails only these.
  let rest: BatchOutcome[];
  try {
    rest = await storeDecidingHere(pool, left, now, held);
  } catch (error) {
    rest = left.map(() => ({ kind: 'failed', error }));
  }
  let next = 0;
  return first.map((outcome) => outcome ?? rest[next++]!);
}

/**
 * The two-round-trip store: every rule decided in this process between the round trips (`decide`).
 * `startSkipping`: begin with `SKIP LOCKED` (the one round trip already waited out a lock).
 */
async function storeDecidingHere(
  pool: Pool,
  batch: readonly PendingMessage[],
  now: Date,
  held: HeldConversations,
  startSkipping = false,
): Promise<BatchOutcome[]> {
  let skipLocked = startSkipping || batch.some((message) => held.has(message.conversationId));
  for (let run = 1; ; run += 1) {
    try {
      const { outcomes, skipped } = await storeBatchOnce(pool, batch, now, skipLocked);
      if (skipLocked) {
        for (const id of new Set(batch.map(conversationOf))) {
          if (skipped.has(id)) held.add(id);
          else held.delete(id);
        }
      }
      return outcomes;
    } catch (error) {
      const errno = (error as { errno?: unknown }).errno;
      if (errno === ER_LOCK_WAIT_TIMEOUT && !skipLocked) {
        // A conversation of the batch was locked past innodb_lock_wait_timeout by a transaction
        // outside the send path (a long group change, a site admin's, a DBA's): once more, without
        // the conversations still locked, so that sends to the others in the batch are stored rather
        // than refused with it. Their senders get `server/busy` and retry.
        skipLocked = true;
        run -= 1;
        continue;
      }
      if (errno !== ER_DUP_ENTRY) throw error;
      // Each run sees the duplicates committed before it; another can only be one committed while
      // it ran, by a race that a retry of the same sends resolves.
      if (run === DUPLICATE_RUNS) {
        throw busy('Messages with these clientMsgIds are being stored elsewhere; try again shortly');
      }
    }
  }
}

const conversationOf = (message: PendingMessage) => message.conversationId;

/**
 * Conversations found held past the lock wait by a transaction outside the send path, which batches
 * skip (`SKIP LOCKED`) until one finds them free (`storeBatch`). One per send batcher: per process.
 */
export type HeldConversations = Set<number>;

/**
 * Whether a batch can be stored in one round trip (storeInOneRoundTrip): no conversation of it held by
 * an outside transaction, no attachment, one message per sender (the send queue runs one send per
 * user at a time, so a batch of sends is always so), and no test holding the point that lies between
 * the two-round-trip store's round trips (lib/failpoints.ts).
 */
function fitsOneRoundTrip(batch: readonly PendingMessage[], held: HeldConversations): boolean {
  if (failpointArmed('message-send:before-commit')) return false;
  const senders = new Set<number>();
  for (const message of batch) {
    if (message.attachmentId !== null || held.has(message.conversationId) || senders.has(message.senderId)) {
      return false;
    }
    senders.add(message.senderId);
  }
  return true;
}

/**
 * The one round trip's command for a batch of this shape (messages, conversations, senders, reply
 * targets), built once per shape (lib/sql-lists.ts, sqlByShape); storeInOneRoundTrip passes the values
 * in the same order. The rules are the ones `decide` applies, written as the INSERT's conditions, and
 * may only be stricter: a message they leave out is decided again by `decide`, which says why (the
 * rule tests send through this command first, so a condition looser than `decide` stores what a test
 * expects refused). Seqs are numbered in SQL over the messages let through, so a message left out
 * takes none. The positions are raised for the messages this command inserted, found by their key
 * and this batch's `createdAt`: a retry's duplicate stored earlier has an earlier one (one stored in
 * the same millisecond would be given the values its own batch gave it: its seq, that instant).
 */
/** The highest seq stored in conversation `c` (an index read of one row, backwards). */
const TOP_SEQ = 'SELECT x.seq FROM messages x WHERE x.conversationId = c.id ORDER BY x.seq DESC LIMIT 1';

const oneRoundTripSql = sqlByShape(
  (messages: number, conversations: number, senders: number, replies: number): string => {
    const statements = [
      'START TRANSACTION',
      // Locks in the order the two-round-trip store takes them (lockAndReadSql, which says why).
      `SELECT id FROM conversations WHERE id IN (${placeholders(conversations, '?')}) ORDER BY id FOR UPDATE`,
      `SELECT id, username, displayName, kind FROM users WHERE id IN (${placeholders(senders, '?')}) ORDER BY id LOCK IN SHARE MODE`,
    ];
    if (replies > 0) statements.push(replyTargetsSql(replies));
    statements.push(
      // READ COMMITTED: the rows read here are read as committed, without locks (the conversations
      // are held since the first statement, the senders shared).
      `INSERT INTO messages (conversationId, seq, senderId, clientMsgId, type, text, createdAt, changeSeq, replyToId)
       SELECT k.conversationId, c.lastSeq + ROW_NUMBER() OVER w, k.senderId, k.clientMsgId, 'text', k.text, ?,
              c.lastChangeSeq + ROW_NUMBER() OVER w, k.replyToId
         FROM ${valuesTable('k', ['ord', 'conversationId', 'senderId', 'clientMsgId', 'text', 'replyToId'], messages)}
              STRAIGHT_JOIN conversations c FORCE INDEX (PRIMARY) ON c.id = k.conversationId
              STRAIGHT_JOIN memberships m FORCE INDEX (PRIMARY) ON m.conversationId = k.conversationId AND m.userId = k.senderId
              STRAIGHT_JOIN users u FORCE INDEX (PRIMARY) ON u.id = k.senderId
        WHERE c.archivedAt IS NULL AND u.deactivatedAt IS NULL
          AND (m.mutedUntil IS NULL OR m.mutedUntil <= ?)
          AND (c.onlyAdminsPost = 0 OR m.role <> 'member')
          AND (c.slowModeSeconds = 0 OR m.role <> 'member' OR m.lastPostedAt IS NULL
               OR TIMESTAMPDIFF(MICROSECOND, m.lastPostedAt, ?) >= c.slowModeSeconds * 1000000)
          AND NOT EXISTS (SELECT 1 FROM messages d WHERE d.senderId = k.senderId AND d.clientMsgId = k.clientMsgId)
          AND (k.replyToId IS NULL
               OR EXISTS (SELECT 1 FROM messages r WHERE r.id = k.replyToId AND r.conversationId = k.conversationId))
       WINDOW w AS (PARTITION BY k.conversationId ORDER BY k.ord)
       RETURNING id, senderId, seq, changeSeq`,
      // In key order, as every writer of memberships locks them (writeAndCommit).
      `UPDATE ${valuesTable('p', ['conversationId', 'senderId', 'clientMsgId'], messages)}
              STRAIGHT_JOIN messages x FORCE INDEX (messages_senderId_clientMsgId_key)
                    ON x.senderId = p.senderId AND x.clientMsgId = p.clientMsgId AND x.conversationId = p.conversationId
                       AND x.createdAt = ?
              STRAIGHT_JOIN memberships m FORCE INDEX (PRIMARY) ON m.conversationId = x.conversationId AND m.userId = x.senderId
          SET m.lastReadSeq = GREATEST(m.lastReadSeq, x.seq),
              m.lastDeliveredSeq = GREATEST(m.lastDeliveredSeq, x.seq),
              m.lastPostedAt = ?`,
      // Each new message took one seq and one changeSeq past the conversation's: both move on to the
      // highest seq now stored (the last entry of the conversation's (conversationId, seq) range, read
      // backwards, one row: a correlated MAX or COUNT read the whole range, 100,000 rows for a batch
      // of 40 in a seeded database). A single-table UPDATE assigns left to right: lastSeq changes last.
      `UPDATE conversations c
          SET c.lastChangeSeq = c.lastChangeSeq + (${TOP_SEQ}) - c.lastSeq,
              c.lastActivityAt = ?,
              c.lastSeq = (${TOP_SEQ})
        WHERE c.id IN (${placeholders(conversations, '?')}) AND c.lastSeq < (${TOP_SEQ})`,
      'COMMIT',
    );
    return statements.join(';\n');
  },
);

interface WrittenRow {
  id: number;
  senderId: number;
  seq: number;
  changeSeq: number;
}

/**
 * Stores a batch in one transaction of one round trip (oneRoundTripSql): the messages every rule lets
 * through are inserted and committed, each answered with its DTO; the others (null) are left for
 * `decide`. Throws the database's error with nothing committed (a duplicate key, a lock wait past
 * innodb_lock_wait_timeout: storeBatch decides the batch the other way then).
 */
async function storeInOneRoundTrip(
  pool: Pool,
  batch: readonly PendingMessage[],
  now: Date,
): Promise<Array<BatchOutcome | null>> {
  const conversationIds = [...new Set(batch.map(conversationOf))].sort((a, b) => a - b);
  const senderIds = batch.map((message) => message.senderId).sort((a, b) => a - b);
  const replyIds = [...new Set(batch.flatMap((message) => message.replyToId ?? []))];
  const positions = [...batch].sort((a, b) => a.conversationId - b.conversationId || a.senderId - b.senderId);
  const at = toSqlDateTime(now);
  const sql = oneRoundTripSql(batch.length, conversationIds.length, senderIds.length, replyIds.length);
  const values: unknown[] = [
    ...conversationIds,
    ...senderIds,
    ...replyIds,
    at,
    ...batch.flatMap((m, ord) => [ord, m.conversationId, m.senderId, m.clientMsgId, m.text, m.replyToId]),
    at,
    at,
    ...positions.flatMap((m) => [m.conversationId, m.senderId, m.clientMsgId]),
    at,
    at,
    at,
    ...conversationIds,
  ];
  const connection = await pool.getConnection();
  let open = true;
  try {
    const results = await connection.query<unknown[]>(sql, values);
    open = false; // the command's last statement committed
    const senders = new Map((results[2] as SenderSummary[]).map((row) => [row.id, row]));
    let next = 3;
    const replies = new Map(
      replyIds.length > 0 ? (results[next++] as ReplyRow[]).map((row) => [row.id, row]) : [],
    );
    const written = new Map((results[next] as WrittenRow[]).map((row) => [row.senderId, row]));
    return batch.map((message) => {
      const row = written.get(message.senderId);
      if (!row) return null;
      const sender = senders.get(message.senderId);
      const reply = message.replyToId === null ? null : replies.get(message.replyToId);
      if (!sender || reply === undefined) {
        // Read under the same locks as the INSERT's conditions: a stored message has both.
        throw new Error('a stored message has no sender or reply target read with it');
      }
      const replyTo = reply === null ? null : replyRefOf(reply);
      return { kind: 'stored', message: storedMessage(message, row, sender, now, replyTo, null) };
    });
  } finally {
    await endTransaction(connection, open);
  }
}

/** `skipLocked`: conversations another transaction holds are left out, their messages refused busy. */
async function storeBatchOnce(
  pool: Pool,
  batch: readonly PendingMessage[],
  now: Date,
  skipLocked: boolean,
): Promise<{ outcomes: BatchOutcome[]; skipped: ReadonlySet<number> }> {
  const connection = await pool.getConnection();
  let open = false;
  try {
    open = true;
    const read = await lockAndRead(connection, batch, now, skipLocked);
    const outcomes = decide(batch, read, now);
    const fresh = outcomes.filter((entry) => entry.insert !== null);
    const held = failpoint('message-send:before-commit');
    if (held) await held;
    if (fresh.length === 0) {
      // Only duplicates and refusals: nothing to write, the locks to let go.
      await connection.query('COMMIT');
      open = false;
    } else {
      const rows = await writeAndCommit(
        connection,
        fresh.map((entry) => entry.insert!),
        now,
      );
      open = false;
      const ids = new Map(rows.map((row) => [`${row.conversationId}:${row.seq}`, row.id]));
      for (const { outcome } of fresh) {
        if (outcome.kind !== 'stored') continue;
        const id = ids.get(`${outcome.message.conversationId}:${outcome.message.seq}`);
        if (id === undefined) throw new Error('INSERT … RETURNING left out a stored message');
        outcome.message.id = id;
      }
    }
    return { outcomes: outcomes.map((entry) => entry.outcome), skipped: read.skipped };
  } finally {
    await endTransaction(connection, open);
  }
}

/**
 * Hands the connection back with no transaction open: rolls back one left open by a failure, and if
 * even that fails, destroys the connection (the pool does not check, and a later START TRANSACTION
 * would commit the half-written batch).
 */
async function endTransaction(connection: PoolConnection, open: boolean): Promise<void> {
  if (open) {
    try {
      await connection.query('ROLLBACK');
    } catch {
      connection.destroy();
      return;
    }
  }
  await connection.release().catch(() => undefined);
}

/** Reads the reply targets of a batch (ReplyRow): who wrote them, what they say, what they carry. */
const replyTargetsSql = (replies: number): string =>
  `SELECT r.id, r.conversationId, r.seq, r.text, r.deletedAt, u.id AS senderId, u.username, u.displayName, u.kind,
          a.kind AS attachmentKind
     FROM messages r JOIN users u ON u.id = r.senderId LEFT JOIN uploads a ON a.id = r.attachmentId
    WHERE r.id IN (${placeholders(replies, '?')})`;

/**
 * The first round trip's statements for a batch of this shape (how many conversations, senders,
 * (conversation, sender) pairs, (sender, clientMsgId) keys, reply targets and uploads), built once
 * per shape (lib/sql-lists.ts, sqlByShape); lockAndRead passes the values in the same order.
 */
const lockAndReadSql = sqlByShape(
  (
    conversations: number,
    senders: number,
    pairs: number,
    keys: number,
    replies: number,
    uploads: number,
    skipLocked: boolean,
  ): string => {
    const statements = [
      'START TRANSACTION',
      `SELECT id, lastSeq, lastChangeSeq, onlyAdminsPost, slowModeSeconds, archivedAt IS NOT NULL AS archived
         FROM conversations
        WHERE id IN (${placeholders(conversations, '?')}) ORDER BY id FOR UPDATE${skipLocked ? ' SKIP LOCKED' : ''}`,
      // Shared locks on the senders' rows (see MemberRow.deactivated), in id order, as every
      // transaction locking several users' rows takes them (users/user-locks.ts; here on the driver).
      // Their own statement, in this round trip: the memberships must not be locked shared. The
      // second round trip updates them, and a shared lock then upgraded deadlocked with a read report
      // (position-batcher.ts) whose UPDATE of the sender's membership came in between: it waited for
      // the shared lock, and the batch's UPDATE waited behind it (send-lock-order.test.ts).
      `SELECT id FROM users WHERE id IN (${placeholders(senders, '?')}) ORDER BY id LOCK IN SHARE MODE`,
      // Group moderation (features/groups/posting-rules.ts) reads with the membership check: times
      // relative to `now` in SQL, so no time zone stands between the stored DATETIMEs and this process.
      // A plain read: what it checks (role, mute, membership itself) changes only under the
      // conversation's lock, held here; the positions a report may raise meanwhile are not read. The
      // senders' rows are read under the locks just taken: READ COMMITTED sees them as committed.
      `SELECT m.conversationId, u.id, u.username, u.displayName, u.kind, m.role,
              u.deactivatedAt IS NOT NULL AS deactivated,
              TIMESTAMPDIFF(MICROSECOND, ?, m.mutedUntil) DIV 1000 AS mutedForMs,
              TIMESTAMPDIFF(MICROSECOND, m.lastPostedAt, ?) DIV 1000 AS sinceLastPostMs
         FROM ${valuesTable('k', ['conversationId', 'userId'], pairs)}
              STRAIGHT_JOIN memberships m FORCE INDEX (PRIMARY) ON m.conversationId = k.conversationId AND m.userId = k.userId
              JOIN users u ON u.id = m.userId`,
      `SELECT m.id, m.conversationId, m.senderId, m.clientMsgId
         FROM ${valuesTable('k', ['senderId', 'clientMsgId'], keys)}
              STRAIGHT_JOIN messages m FORCE INDEX (messages_senderId_clientMsgId_key) ON m.senderId = k.senderId AND m.clientMsgId = k.clientMsgId`,
    ];
    if (replies > 0) {
      statements.push(replyTargetsSql(replies));
    }
    if (uploads > 0) {
      // Locked after the conversations, in id order: a concurrent send naming the same upload waits
      // here and then reads its attachedAt as committed.
      statements.push(
        `SELECT id, uploaderId, attachedAt, kind, mime, fileName, byteSize, width, height, placeholder,
                durationMs, waveform, playableMime
           FROM uploads WHERE id IN (${placeholders(uploads, '?')}) ORDER BY id FOR UPDATE`,
      );
    }
    return statements.join(';\n');
  },
);

async function lockAndRead(
  connection: PoolConnection,
  batch: readonly PendingMessage[],
  now: Date,
  skipLocked: boolean,
) {
  const conversationIds = [...new Set(batch.map((message) => message.conversationId))].sort((a, b) => a - b);
  const pairs = [...new Map(batch.map((m) => [`${m.conversationId}:${m.senderId}`, m])).values()];
  const keys = [...new Map(batch.map((m) => [keyOf(m.senderId, m.clientMsgId), m])).values()];
  const senderIds = [...new Set(batch.map((message) => message.senderId))].sort((a, b) => a - b);
  const replyIds = [...new Set(batch.flatMap((message) => message.replyToId ?? []))];
  const uploadIds = [...new Set(batch.flatMap((message) => message.attachmentId ?? []))].sort();
  const at = toSqlDateTime(now);
  const values: unknown[] = [
    ...conversationIds,
    ...senderIds,
    at,
    at,
    ...pairs.flatMap((m) => [m.conversationId, m.senderId]),
    ...keys.flatMap((m) => [m.senderId, m.clientMsgId]),
    ...replyIds,
    ...uploadIds,
  ];
  const sql = lockAndReadSql(
    conversationIds.length,
    senderIds.length,
    pairs.length,
    keys.length,
    replyIds.length,
    uploadIds.length,
    skipLocked,
  );
  // One command, one round trip: the server runs the statements in order and stops at the first
  // that fails, so nothing after a failed lock runs.
  const results = await connection.query<unknown[]>(sql, values);
  const [, locked, , members, existing] = results as [
    unknown,
    ConversationRow[],
    unknown,
    MemberRow[],
    ExistingRow[],
  ];
  let next = 5;
  const replies = replyIds.length > 0 ? (results[next++] as ReplyRow[]) : [];
  const uploads = uploadIds.length > 0 ? (results[next++] as UploadRow[]) : [];
  const lockedIds = new Set(locked.map((row) => row.id));
  return {
    /** Conversations left out by SKIP LOCKED: another transaction holds them. */
    skipped: new Set(skipLocked ? conversationIds.filter((id) => !lockedIds.has(id)) : []),
    conversations: new Map(locked.map((row) => [row.id, row])),
    members: new Map(members.map((row) => [`${row.conversationId}:${row.id}`, row])),
    existing: new Map(existing.map((row) => [keyOf(row.senderId, row.clientMsgId), row])),
    replies: new Map(replies.map((row) => [row.id, row])),
    uploads: new Map(uploads.map((row) => [row.id, row])),
  };
}

interface Insert {
  message: PendingMessage;
  seq: number;
  changeSeq: number;
}

/** A sender's summary as a stored message carries it. */
type SenderSummary = Pick<MemberRow, 'id' | 'username' | 'displayName' | 'kind'>;

/** The message as stored: what was sent, where it was written, who sent it (both stores build it so). */
function storedMessage(
  message: PendingMessage,
  written: { id: number; seq: number; changeSeq: number },
  sender: SenderSummary,
  now: Date,
  replyTo: Message['replyTo'],
  attachment: Message['attachment'],
): Message {
  return {
    id: written.id,
    conversationId: message.conversationId,
    seq: written.seq,
    changeSeq: written.changeSeq,
    clientMsgId: message.clientMsgId,
    sender: { id: sender.id, username: sender.username, displayName: sender.displayName, kind: sender.kind },
    type: 'text',
    text: message.text,
    attachment,
    system: null,
    createdAt: now.toISOString(),
    editedAt: null,
    deletedAt: null,
    removedByAdmin: false,
    replyTo,
    reactions: [],
    generation: null,
  };
}

/** What a new message says about the message it replies to, from the reply target's row. */
function replyRefOf(reply: ReplyRow): NonNullable<Message['replyTo']> {
  return toReplyRef({
    ...reply,
    attachment: reply.attachmentKind === null ? null : { kind: reply.attachmentKind },
    sender: {
      id: reply.senderId,
      username: reply.username,
      displayName: reply.displayName,
      kind: reply.kind,
    },
  });
}

/**
 * Why a message may not carry the upload it names: none by that id (or removed), someone else's,
 * or already attached (to a stored message, or to an earlier message of this batch).
 */
function attachmentRefusal(
  message: PendingMessage,
  upload: UploadRow | undefined,
  attachedInBatch: ReadonlySet<string>,
): AppError | null {
  if (!upload) return new AppError(ErrorCode.UploadNotFound, 'No such upload: it may have expired');
  if (upload.uploaderId !== message.senderId) {
    return new AppError(ErrorCode.UploadForbidden, 'Only its uploader can attach an upload');
  }
  if (upload.attachedAt !== null || attachedInBatch.has(upload.id)) {
    return new AppError(
      ErrorCode.UploadAlreadyAttached,
      'This upload is already attached to another message',
    );
  }
  return null;
}

function decide(
  batch: readonly PendingMessage[],
  { skipped, conversations, members, existing, replies, uploads }: Awaited<ReturnType<typeof lockAndRead>>,
  now: Date,
): Array<{ outcome: BatchOutcome; insert: Insert | null }> {
  const attachedInBatch = new Set<string>();
  const next = new Map([...conversations.values()].map((row) => [row.id, { ...row }]));
  /** The first message of the batch with a given (senderId, clientMsgId), and what became of it. */
  const firstInBatch = new Map<string, { conversationId: number; outcome: BatchOutcome }>();
  const reused = () =>
    new AppError(ErrorCode.Invalid, 'clientMsgId was already used for another message', [
      { path: 'clientMsgId', message: 'already used for another message' },
    ]);

  return batch.map((message) => {
    const refuse = (error: AppError) => ({ outcome: { kind: 'refused', error } as const, insert: null });
    // Nothing of a conversation another transaction holds is read or decided (its duplicates included).
    if (skipped.has(message.conversationId)) {
      return refuse(busy('This conversation is being changed; try again shortly'));
    }
    const key = keyOf(message.senderId, message.clientMsgId);
    const stored = existing.get(key);
    if (stored) {
      if (stored.conversationId !== message.conversationId) return refuse(reused());
      // A retry of a message already stored is answered with it (docs/protocol.md), before any rule
      // that only decides whether a new message may be stored: its sender may have left the group,
      // been removed or deactivated since, and a refusal now would tell their client, which takes
      // `conversation/not_found` as final, that a message everyone else has was never sent.
      return { outcome: { kind: 'duplicate', messageId: stored.id } as const, insert: null };
    }
    const sender = members.get(`${message.conversationId}:${message.senderId}`);
    const conversation = next.get(message.conversationId);
    if (!sender || !conversation) return refuse(conversationNotFound());
    // Sends wait in the queue and for their batch after the session check let them in: one queued
    // before a deactivation must not be stored after it (features/auth/auth.service.ts).
    if (Number(sender.deactivated) === 1) {
      return refuse(new AppError(ErrorCode.AccountDeactivated, 'This account has been deactivated'));
    }
    const earlier = firstInBatch.get(key);
    if (earlier) {
      if (earlier.conversationId !== message.conversationId) return refuse(reused());
      return { outcome: earlier.outcome, insert: null };
    }
    if (Number(conversation.archived) === 1) {
      const refused = refuse(
        new AppError(ErrorCode.Archived, 'This group is archived: it can be read, not written to'),
      );
      firstInBatch.set(key, { conversationId: message.conversationId, outcome: refused.outcome });
      return refused;
    }
    const refusal = postingRefusal(
      {
        role: sender.role,
        mutedForMs: sender.mutedForMs === null ? null : Number(sender.mutedForMs),
        sinceLastPostMs: sender.sinceLastPostMs === null ? null : Number(sender.sinceLastPostMs),
      },
      { onlyAdminsPost: Boolean(conversation.onlyAdminsPost), slowModeSeconds: conversation.slowModeSeconds },
      now,
    );
    if (refusal) {
      const refused = refuse(refusal);
      firstInBatch.set(key, { conversationId: message.conversationId, outcome: refused.outcome });
      return refused;
    }
    let replyTo: Message['replyTo'] = null;
    if (message.replyToId !== null) {
      const reply = replies.get(message.replyToId);
      if (!reply || reply.conversationId !== message.conversationId) {
        const notFound = refuse(
          new AppError(ErrorCode.MessageNotFound, 'No such message in this conversation'),
        );
        firstInBatch.set(key, { conversationId: message.conversationId, outcome: notFound.outcome });
        return notFound;
      }
      replyTo = replyRefOf(reply);
    }
    let attachment: Message['attachment'] = null;
    if (message.attachmentId !== null) {
      const upload = uploads.get(message.attachmentId);
      const attachmentRefused = attachmentRefusal(message, upload, attachedInBatch);
      if (attachmentRefused) {
        const refused = refuse(attachmentRefused);
        firstInBatch.set(key, { conversationId: message.conversationId, outcome: refused.outcome });
        return refused;
      }
      attachedInBatch.add(message.attachmentId);
      attachment = toAttachment(upload!);
    }
    conversation.lastSeq += 1;
    conversation.lastChangeSeq += 1;
    const insert: Insert = { message, seq: conversation.lastSeq, changeSeq: conversation.lastChangeSeq };
    sender.sinceLastPostMs = 0; // slow mode counts this message for the sender's next one in the batch
    const outcome: BatchOutcome = {
      kind: 'stored',
      // The id is filled in from INSERT … RETURNING.
      message: storedMessage(message, { id: 0, ...insert }, sender, now, replyTo, attachment),
    };
    firstInBatch.set(key, { conversationId: message.conversationId, outcome });
    return { outcome, insert };
  });
}

/**
 * The second round trip's command for a batch of this shape (messages, conversations, senders'
 * positions, attachments), built once per shape (lib/sql-lists.ts, sqlByShape).
 */
const writeAndCommitSql = sqlByShape(
  (inserts: number, tops: number, positions: number, attachments: number): string => {
    // The unique key on messages.attachmentId is the last word: a second message naming the upload
    // fails here, and the batch is rolled back and run again (storeBatch), seeing it attached.
    const attach =
      attachments > 0
        ? `UPDATE uploads SET attachedAt = ? WHERE id IN (${placeholders(attachments, '?')});`
        : '';
    return `INSERT INTO messages (conversationId, seq, senderId, clientMsgId, type, text, createdAt, changeSeq, replyToId, attachmentId)
       VALUES ${placeholders(inserts, "(?, ?, ?, ?, 'text', ?, ?, ?, ?, ?)")}
       RETURNING id, conversationId, seq;
      UPDATE ${valuesTable('t', ['id', 'lastSeq', 'lastChangeSeq'], tops)}
             STRAIGHT_JOIN conversations c FORCE INDEX (PRIMARY) ON c.id = t.id
         SET c.lastSeq = t.lastSeq, c.lastChangeSeq = t.lastChangeSeq, c.lastActivityAt = ?;
      UPDATE ${valuesTable('p', ['conversationId', 'userId', 'seq'], positions)}
             STRAIGHT_JOIN memberships m FORCE INDEX (PRIMARY) ON m.conversationId = p.conversationId AND m.userId = p.userId
         SET m.lastReadSeq = GREATEST(m.lastReadSeq, p.seq),
             m.lastDeliveredSeq = GREATEST(m.lastDeliveredSeq, p.seq),
             m.lastPostedAt = ?;
      ${attach}
      COMMIT`;
  },
);

/**
 * The second round trip, one command: insert, move the conversations on, raise the senders'
 * positions, commit. The server stops at the first statement that fails (a duplicate key on the
 * INSERT leaves the counters untouched and nothing committed), and the caller rolls back.
 */
async function writeAndCommit(
  connection: PoolConnection,
  inserts: Insert[],
  now: Date,
): Promise<InsertedRow[]> {
  const at = toSqlDateTime(now);
  const last = new Map<number, Insert>();
  const reads = new Map<string, Insert>();
  for (const insert of inserts) {
    last.set(insert.message.conversationId, insert);
    reads.set(`${insert.message.conversationId}:${insert.message.senderId}`, insert);
  }
  const tops = [...last.values()];
  // In key order, the order the rows are locked in: (conversationId, userId) is the primary key.
  const positions = [...reads.values()].sort(
    (a, b) => a.message.conversationId - b.message.conversationId || a.message.senderId - b.message.senderId,
  );
  const attachmentIds = inserts.flatMap((insert) => insert.message.attachmentId ?? []);
  const sql = writeAndCommitSql(inserts.length, tops.length, positions.length, attachmentIds.length);
  const [inserted] = await connection.query<[InsertedRow[], unknown, unknown, unknown]>(sql, [
    ...inserts.flatMap(({ message, seq, changeSeq }) => [
      message.conversationId,
      seq,
      message.senderId,
      message.clientMsgId,
      message.text,
      at,
      changeSeq,
      message.replyToId,
      message.attachmentId,
    ]),
    ...tops.flatMap((t) => [t.message.conversationId, t.seq, t.changeSeq]),
    at,
    ...positions.flatMap((p) => [p.message.conversationId, p.message.senderId, p.seq]),
    at,
    ...(attachmentIds.length > 0 ? [at, ...attachmentIds] : []),
  ]);
  return inserted;
}
