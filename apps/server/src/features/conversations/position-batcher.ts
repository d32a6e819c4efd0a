import { ErrorCode } from '@parley/shared';
import type { Pool } from 'mariadb';
import { AppError } from '../../lib/app-error.js';
import {
  createGroupCommit,
  type GroupCommit,
  type GroupCommitOptions,
  type Settled,
} from '../../lib/group-commit.js';
import { unionAll, valuesTable } from '../../lib/sql-lists.js';
import { conversationNotFound } from './conversations.service.js';

/** One `conversation:delivered` (read: false) or `conversation:read` (read: true), already validated. */
export interface PositionReport {
  conversationId: number;
  userId: number;
  seq: number;
  read: boolean;
}

/** The reporter's positions once the report is stored; `unreadCount` for a read report only. */
export interface Positions {
  lastReadSeq: number;
  lastDeliveredSeq: number;
  unreadCount: number | null;
}

export type PositionBatcher = GroupCommit<PositionReport, Positions>;

interface CheckRow {
  conversationId: number;
  userId: number;
  lastSeq: number;
}
interface PositionRow {
  conversationId: number;
  userId: number;
  lastReadSeq: number;
  lastDeliveredSeq: number;
}
interface UnreadRow {
  conversationId: number;
  userId: number;
  unreadCount: number | bigint;
}

interface Move {
  conversationId: number;
  userId: number;
  delivered: number;
  /** 0 when no read report of this member is in the batch: GREATEST keeps the stored value. */
  read: number;
}

const pairKey = (conversationId: number, userId: number) => `${conversationId}:${userId}`;
/** `count` memberships by (conversationId, userId), as `m`: `count` pairs of parameters. */
const membershipsOf = (count: number) =>
  `${valuesTable('k', ['conversationId', 'userId'], count)}
   STRAIGHT_JOIN memberships m FORCE INDEX (PRIMARY) ON m.conversationId = k.conversationId AND m.userId = k.userId`;

/**
 * Group commit for delivery and read reports (lib/group-commit.ts). Every recipient's device reports
 * delivery of what reaches it, so a message in a group of ten brings nine reports; one at a time
 * through Prisma each cost four queries (membership, newest seq, update, read back). A batch costs
 * two commands on the store pool, whatever its size:
 *
 * 1. The reporters' memberships and their conversations' newest seqs (a plain read, no lock). A
 *    report from a non-member is refused `conversation/not_found`; one past the newest message
 *    `request/invalid`. A conversation's newest seq only grows, so a report valid here stays valid.
 * 2. One UPDATE raising every member's positions with GREATEST (positions never move back, whatever
 *    else writes them at the same time), then their positions read back, then the unread count of
 *    each member who read, all in one command (autocommitted statements, run in order).
 *
 * Reports of one member in one conversation in the same batch are merged (the furthest wins) and each
 * is answered with the positions as they now are, which is what the protocol promises.
 */
export function createPositionBatcher(
  pool: Pool,
  options: Omit<GroupCommitOptions, 'busyMessage' | 'name'>,
): PositionBatcher {
  return createGroupCommit((batch) => writePositions(pool, batch), {
    ...options,
    name: 'positions',
    busyMessage: 'Every connection for storing read positions is in use; try again shortly',
  });
}

async function writePositions(pool: Pool, batch: PositionReport[]): Promise<Array<Settled<Positions>>> {
  const pairs = [...new Map(batch.map((r) => [pairKey(r.conversationId, r.userId), r])).values()];
  const connection = await pool.getConnection();
  try {
    const checks = await connection.query<CheckRow[]>(
      `SELECT m.conversationId, m.userId, c.lastSeq
         FROM ${membershipsOf(pairs.length)} JOIN conversations c ON c.id = m.conversationId`,
      pairs.flatMap((r) => [r.conversationId, r.userId]),
    );
    const lastSeqs = new Map(checks.map((row) => [pairKey(row.conversationId, row.userId), row.lastSeq]));
    const refusals = new Map<PositionReport, AppError>();
    const moves = new Map<string, Move>();
    for (const report of batch) {
      const key = pairKey(report.conversationId, report.userId);
      const lastSeq = lastSeqs.get(key);
      if (lastSeq === undefined) {
        refusals.set(report, conversationNotFound());
      } else if (report.seq > lastSeq) {
        refusals.set(report, pastNewest(report.seq, lastSeq));
      } else {
        const move = moves.get(key) ?? {
          conversationId: report.conversationId,
          userId: report.userId,
          delivered: 0,
          read: 0,
        };
        move.delivered = Math.max(move.delivered, report.seq);
        if (report.read) move.read = Math.max(move.read, report.seq);
        moves.set(key, move);
      }
    }
    const stored = moves.size > 0 ? await raise(connection, [...moves.values()]) : null;
    return batch.map((report): Settled<Positions> => {
      const refusal = refusals.get(report);
      if (refusal) return { ok: false, error: refusal };
      const key = pairKey(report.conversationId, report.userId);
      const row = stored?.positions.get(key);
      // The membership ended between the two commands.
      if (!row) return { ok: false, error: conversationNotFound() };
      return {
        ok: true,
        value: {
          lastReadSeq: row.lastReadSeq,
          lastDeliveredSeq: row.lastDeliveredSeq,
          unreadCount: report.read ? (stored?.unread.get(key) ?? 0) : null,
        },
      };
    });
  } finally {
    await connection.release().catch(() => undefined);
  }
}

async function raise(connection: Awaited<ReturnType<Pool['getConnection']>>, unordered: Move[]) {
  // In key order, the order the UPDATE locks the rows in, as the send path's batch does
  // (message-batch-store.ts): two batches of reports never wait for each other's rows in turn.
  const moves = [...unordered].sort((a, b) => a.conversationId - b.conversationId || a.userId - b.userId);
  const readers = moves.filter((move) => move.read > 0);
  const statements = [
    // Reading implies delivery, and the delivered value is already the furthest of both.
    `UPDATE ${valuesTable('p', ['conversationId', 'userId', 'deliveredSeq', 'readSeq'], moves.length)}
            STRAIGHT_JOIN memberships m FORCE INDEX (PRIMARY) ON m.conversationId = p.conversationId AND m.userId = p.userId
        SET m.lastDeliveredSeq = GREATEST(m.lastDeliveredSeq, p.deliveredSeq),
            m.lastReadSeq = GREATEST(m.lastReadSeq, p.readSeq)`,
    `SELECT m.conversationId, m.userId, m.lastReadSeq, m.lastDeliveredSeq FROM ${membershipsOf(moves.length)}`,
  ];
  const values: unknown[] = [
    ...moves.flatMap((m) => [m.conversationId, m.userId, m.delivered, m.read]),
    ...moves.flatMap((m) => [m.conversationId, m.userId]),
  ];
  if (readers.length > 0) {
    // What conversations.repository.ts counts as unread: others' messages after the read position.
    // One statement per reader (lib/sql-lists.ts unionAll): its membership row is then a constant,
    // and only the messages after its read position are read, not the conversation's whole history.
    statements.push(
      unionAll(
        readers.length,
        `SELECT m.conversationId, m.userId, COUNT(x.id) AS unreadCount
           FROM memberships m
           LEFT JOIN messages x ON x.conversationId = m.conversationId AND x.seq > m.lastReadSeq
                               AND x.senderId <> m.userId AND x.deletedAt IS NULL AND x.type <> 'system'
          WHERE m.conversationId = ? AND m.userId = ?
          GROUP BY m.conversationId, m.userId`,
      ),
    );
    values.push(...readers.flatMap((m) => [m.conversationId, m.userId]));
  }
  const [, positions, unread = []] = await connection.query<[unknown, PositionRow[], UnreadRow[]?]>(
    statements.join(';\n'),
    values,
  );
  return {
    positions: new Map(positions.map((row) => [pairKey(row.conversationId, row.userId), row])),
    unread: new Map(unread.map((row) => [pairKey(row.conversationId, row.userId), Number(row.unreadCount)])),
  };
}

function pastNewest(seq: number, lastSeq: number): AppError {
  return new AppError(ErrorCode.Invalid, `seq ${seq} is past the newest message (${lastSeq})`, [
    { path: 'seq', message: 'is past the newest message' },
  ]);
}
