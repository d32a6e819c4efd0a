import type { ConversationCursor, Conversation as ConversationDto } from '@parley/shared';
import type { Pool } from 'mariadb';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { messageInclude, toMessage, type MessageRow } from '../messages/message-dto.js';
import { toUserSummary, userSummarySelect } from '../users/user-dto.js';
import { ID_LIST_SLICE, padIdList } from '../../lib/id-list.js';
import { failpoint } from '../../lib/failpoints.js';
import { createGroupCommit } from '../../lib/group-commit.js';
import { inSlices, placeholders, unionAll, valuesTable } from '../../lib/sql-lists.js';
import { fromSqlDateTime } from '../../lib/sql-datetime.js';
import { gatheredReadOptions } from '../../plugins/store-pool.js';
import { LOCK_THEN_READ_COMMITTED } from '../../plugins/prisma.js';
import { lockUsers, type LockedUser } from '../users/user-locks.js';

const conversationInclude = {
  memberships: { include: { user: { select: userSummarySelect } }, orderBy: { joinedAt: 'asc' } },
} as const;

/**
 * Conversations per statement in the list's own reads (last messages, unread counts): 4 placeholders
 * each in the unread count, far below the 65,535 a statement may carry (lib/sql-lists.ts inSlices),
 * and a UNION ALL of at most this many arms for MariaDB to prepare.
 */
const LIST_SLICE = 1_000;

/** A stored "until" as the DTO carries it: ISO while it is still ahead of `now`, else null. */
export const ifFuture = (until: Date | null | undefined, now: Date): string | null =>
  until && until > now ? until.toISOString() : null;

type ConversationRow = Prisma.ConversationGetPayload<{ include: typeof conversationInclude }>;

/** Rolls back a notification change of someone who is not a member (setNotificationsMutedUntil). */
class NotAMember extends Error {}

export type ConversationsRepository = ReturnType<typeof createConversationsRepository>;

/** What a socket handshake reads (ConversationsRepository.handshakeOf). */
export interface Handshake {
  /** The user exists and is not deactivated. */
  active: boolean;
  /** The conversations whose rooms the socket joins. */
  conversationIds: number[];
}

/** Who a presence snapshot is about (ConversationsRepository.contactsOf). */
export interface Contacts {
  /** Everyone who shares a conversation with the user, the user included; each once. */
  contactIds: number[];
  /** The other member of each of the user's direct conversations, with when they were last seen. */
  directPeers: Map<number, Date | null>;
}

/**
 * `pool` is the connect path's own mariadb pool (`readPool`, plugins/store-pool.ts), for reads whose
 * rows cost more to map through Prisma than to fetch.
 */
export function createConversationsRepository(prisma: PrismaClient, pool: Pool) {
  /** handshakeOf's reads, gathered: a connect storm reads in a few statements (plugins/store-pool.ts). */
  const handshakes = createGroupCommit<number, Handshake>(
    async (userIds) => {
      const ids = padIdList([...new Set(userIds)]);
      const rows = await pool.execute<Array<[number | bigint, number | bigint, number | null]>>(
        {
          sql: `SELECT u.id, u.deactivatedAt IS NULL, m.conversationId
                FROM users u
                LEFT JOIN memberships m ON m.userId = u.id
                WHERE u.id IN (${placeholders(ids.length, '?')})`,
          rowsAsArray: true,
        },
        ids,
      );
      const byUser = new Map<number, Handshake>();
      for (const [id, active, conversationId] of rows) {
        let handshake = byUser.get(Number(id));
        if (!handshake)
          byUser.set(Number(id), (handshake = { active: Number(active) === 1, conversationIds: [] }));
        if (conversationId !== null) handshake.conversationIds.push(Number(conversationId));
      }
      return userIds.map((id) => ({
        ok: true,
        value: byUser.get(id) ?? { active: false, conversationIds: [] },
      }));
    },
    gatheredReadOptions('handshakes', 'Conversations cannot be read right now; try again shortly'),
  );

  /** Builds the caller's view of each conversation with three queries, however many there are. */
  async function assemble(userId: number, rows: ConversationRow[]): Promise<ConversationDto[]> {
    if (rows.length === 0) return [];
    const held = failpoint('conversation-view:rows-read');
    if (held) await held;
    const lastReadOf = (row: ConversationRow) =>
      row.memberships.find((membership) => membership.userId === userId)?.lastReadSeq ?? 0;
    // Unread counts between the read position and the last seq of the rows just read, not of the
    // table now: a message stored in between would be counted here, and again by the client when its
    // message:new (a seq past this copy's lastSeq) arrives. The last messages are found by joining
    // from a table of the conversations' keys, the unread counts by one statement per conversation
    // (lib/sql-lists.ts): as ORs of conditions, the unread count of a member of 500 conversations
    // cost MariaDB 384 ms of CPU (docs/benchmarks.md).
    const unreadRanges = rows.filter((row) => row.lastSeq > lastReadOf(row));
    const lastSeqs = rows.filter((row) => row.lastSeq > 0);
    const [lastMessages, unreadRows] = await Promise.all([
      inSlices(lastSeqs, LIST_SLICE, async (slice) => {
        const ids = await prisma.$queryRawUnsafe<Array<{ id: number }>>(
          `SELECT m.id FROM ${valuesTable('k', ['conversationId', 'seq'], slice.length)}
                STRAIGHT_JOIN messages m FORCE INDEX (messages_conversationId_seq_key)
                   ON m.conversationId = k.conversationId AND m.seq = k.seq`,
          ...slice.flatMap((row) => [row.id, row.lastSeq]),
        );
        return prisma.message.findMany({
          where: { id: { in: ids.map((row) => Number(row.id)) } },
          include: messageInclude,
        });
      }),
      inSlices(unreadRanges, LIST_SLICE, (slice) =>
        prisma.$queryRawUnsafe<Array<{ conversationId: number; unread: bigint }>>(
          unionAll(
            slice.length,
            `SELECT conversationId, COUNT(*) AS unread FROM messages
              WHERE conversationId = ? AND seq > ? AND seq <= ? AND senderId <> ?
                AND deletedAt IS NULL AND type <> 'system'
              GROUP BY conversationId`,
          ),
          ...slice.flatMap((row) => [row.id, lastReadOf(row), row.lastSeq, userId]),
        ),
      ),
    ]);
    const lastById = new Map<number, MessageRow>(
      lastMessages.map((message) => [message.conversationId, message]),
    );
    const unreadById = new Map(unreadRows.map((row) => [Number(row.conversationId), Number(row.unread)]));
    return rows.map((row) => {
      const own = row.memberships.find((membership) => membership.userId === userId);
      const last = lastById.get(row.id);
      const now = new Date();
      return {
        id: row.id,
        kind: row.kind,
        name: row.name,
        createdAt: row.createdAt.toISOString(),
        members: row.memberships.map((membership) => ({
          ...toUserSummary(membership.user),
          role: membership.role,
        })),
        description: row.description,
        announcement: row.announcement,
        onlyAdminsPost: row.onlyAdminsPost,
        slowModeSeconds: row.slowModeSeconds,
        archivedAt: row.archivedAt?.toISOString() ?? null,
        mutedUntil: ifFuture(own?.mutedUntil, now),
        notificationsMutedUntil: ifFuture(own?.notificationsMutedUntil, now),
        lastMessage: last ? toMessage(last) : null,
        lastSeq: row.lastSeq,
        changeSeq: row.lastChangeSeq,
        receipts: row.memberships.map((membership) => ({
          conversationId: row.id,
          userId: membership.userId,
          lastDeliveredSeq: membership.lastDeliveredSeq,
          lastReadSeq: membership.lastReadSeq,
        })),
        lastReadSeq: own?.lastReadSeq ?? 0,
        unreadCount: unreadById.get(row.id) ?? 0,
      };
    });
  }

  return {
    /**
     * A page of the user's conversations, most recently active first (ties by id, newest first):
     * at most `limit` of them after `cursor` (an earlier page's `nextCursor`), and the cursor of
     * the page after this one, or null when this is the last. A page is read and built in one go,
     * so neither this process's event loop nor the response grows with the user's conversations:
     * 17,000 in one answer held the event loop for about a second and weighed 16 MB.
     */
    async listForUser(
      userId: number,
      { cursor, limit }: { cursor?: ConversationCursor; limit: number },
    ): Promise<{ conversations: ConversationDto[]; nextCursor: ConversationCursor | null }> {
      const rows = await prisma.conversation.findMany({
        where: {
          memberships: { some: { userId } },
          ...(cursor && {
            OR: [
              { lastActivityAt: { lt: cursor.lastActivityAt } },
              { lastActivityAt: cursor.lastActivityAt, id: { lt: cursor.id } },
            ],
          }),
        },
        include: conversationInclude,
        orderBy: [{ lastActivityAt: 'desc' }, { id: 'desc' }],
        take: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        conversations: await assemble(userId, page),
        nextCursor: rows.length > limit && last ? { lastActivityAt: last.lastActivityAt, id: last.id } : null,
      };
    },

    async findForUser(conversationId: number, userId: number): Promise<ConversationDto | null> {
      const row = await prisma.conversation.findFirst({
        where: { id: conversationId, memberships: { some: { userId } } },
        include: conversationInclude,
      });
      return row ? ((await assemble(userId, [row]))[0] ?? null) : null;
    },

    async findMembership(conversationId: number, userId: number) {
      return prisma.membership.findUnique({ where: { conversationId_userId: { conversationId, userId } } });
    },

    /**
     * Sets the member's own `notificationsMutedUntil` (null: notifications on) and answers the user's
     * `notificationSettingsVersion` it is stored under, or null when the user is not a member. The
     * user's row is locked first, so one user's changes take their versions in the order they are
     * stored, whichever process stores them.
     */
    async setNotificationsMutedUntil(
      conversationId: number,
      userId: number,
      until: Date | null,
    ): Promise<number | null> {
      try {
        return await prisma.$transaction(async (tx) => {
          const { notificationSettingsVersion } = await tx.user.update({
            where: { id: userId },
            data: { notificationSettingsVersion: { increment: 1 } },
            select: { notificationSettingsVersion: true },
          });
          const { count } = await tx.membership.updateMany({
            where: { conversationId, userId },
            data: { notificationsMutedUntil: until },
          });
          if (count === 0) throw new NotAMember();
          return notificationSettingsVersion;
        }, LOCK_THEN_READ_COMMITTED);
      } catch (error) {
        if (error instanceof NotAMember) return null;
        throw error;
      }
    },

    /** The user's conversations, or those of `among` the user belongs to. */
    async conversationIdsOf(userId: number, among?: number[]): Promise<number[]> {
      const memberships = await prisma.membership.findMany({
        where: { userId, ...(among ? { conversationId: { in: among } } : {}) },
        select: { conversationId: true },
      });
      return memberships.map((membership) => membership.conversationId);
    },

    /**
     * What a socket handshake needs: whether the user may connect (exists, not deactivated) and the
     * conversations whose rooms it joins. Handshakes that arrive together share one statement
     * (`handshakes`, below); the users primary key and the memberships (userId) index, which holds
     * conversationId as part of the primary key, answer it without reading a table row beyond the
     * users'. It runs for every connect, twice (conversations.socket.ts).
     */
    handshakeOf(userId: number): Promise<Handshake> {
      return handshakes.submit(userId);
    },

    /**
     * Everyone who shares at least one conversation of at most `eagerMaxMembers` members with the
     * user (the user included), and the user's direct-conversation peers with when they were last
     * seen: what a presence snapshot needs, in one statement. Larger groups are left out: their
     * members follow each other's presence only while they watch the group (`presence:watch`,
     * features/presence/presence.service.ts), so a member of a 1,000-person group does not read, and
     * is not sent, the 1,000 on every connect. The contacts come from the memberships indexes alone
     * (a group's size is counted on its index); only the few direct peers read a users row. On the
     * driver with rows as arrays, not through Prisma: mapping rows through `$queryRaw` was most of a
     * connect storm's CPU (docs/benchmarks.md, "Idle connections").
     */
    async contactsOf(userId: number, eagerMaxMembers: number): Promise<Contacts> {
      const rows = await pool.execute<Array<[number, string | null, number]>>(
        {
          sql: `SELECT DISTINCT other.userId, NULL, 0
                FROM memberships mine
                JOIN memberships other ON other.conversationId = mine.conversationId
                WHERE mine.userId = ?
                  AND (SELECT COUNT(*) FROM memberships size WHERE size.conversationId = mine.conversationId) <= ?
                UNION ALL
                SELECT u.id, u.lastSeenAt, 1
                FROM memberships mine
                JOIN conversations c ON c.id = mine.conversationId AND c.kind = 'direct'
                JOIN memberships other ON other.conversationId = mine.conversationId AND other.userId <> mine.userId
                JOIN users u ON u.id = other.userId
                WHERE mine.userId = ?`,
          rowsAsArray: true,
          // Prisma writes DATETIME columns in UTC; read them as written, whatever this process's zone.
          dateStrings: true,
        },
        [userId, eagerMaxMembers, userId],
      );
      const contactIds: number[] = [];
      const directPeers = new Map<number, Date | null>();
      for (const [id, lastSeenAt, direct] of rows) {
        if (Number(direct) === 1)
          directPeers.set(Number(id), lastSeenAt === null ? null : fromSqlDateTime(lastSeenAt));
        else contactIds.push(Number(id));
      }
      return { contactIds, directPeers };
    },

    /**
     * For each user, who is to hear of their presence: the conversations of at most
     * `eagerMaxMembers` members (`conversationIds`, every member) and the larger ones (`watchedIds`,
     * only their watchers). Two statements (for up to ID_LIST_SLICE users and conversations): their
     * memberships, then which of those conversations are large (counted on the memberships index).
     */
    async presenceAudiencesOf(
      userIds: number[],
      eagerMaxMembers: number,
    ): Promise<Map<number, { conversationIds: number[]; watchedIds: number[] }>> {
      // Sliced (lib/sql-lists.ts inSlices): a window's users, and their conversations, have no bound.
      // Each user once: the same id in two slices would read its memberships twice.
      const rows = await inSlices([...new Set(userIds)], ID_LIST_SLICE, (slice) => {
        const ids = padIdList(slice);
        return pool.execute<Array<[number, number]>>(
          {
            sql: `SELECT userId, conversationId FROM memberships WHERE userId IN (${placeholders(ids.length, '?')})`,
            rowsAsArray: true,
          },
          ids,
        );
      });
      const conversationIds = [...new Set(rows.map(([, conversationId]) => Number(conversationId)))];
      const large = new Set<number>();
      const sized = await inSlices(conversationIds, ID_LIST_SLICE, (slice) => {
        const ids = padIdList(slice);
        return pool.execute<Array<[number]>>(
          {
            sql: `SELECT conversationId FROM memberships
                  WHERE conversationId IN (${placeholders(ids.length, '?')})
                  GROUP BY conversationId HAVING COUNT(*) > ?`,
            rowsAsArray: true,
          },
          [...ids, eagerMaxMembers],
        );
      });
      for (const [conversationId] of sized) large.add(Number(conversationId));
      const byUser = new Map<number, { conversationIds: number[]; watchedIds: number[] }>();
      for (const [rawUserId, rawConversationId] of rows) {
        const userId = Number(rawUserId);
        const conversationId = Number(rawConversationId);
        let audience = byUser.get(userId);
        if (!audience) byUser.set(userId, (audience = { conversationIds: [], watchedIds: [] }));
        (large.has(conversationId) ? audience.watchedIds : audience.conversationIds).push(conversationId);
      }
      return byUser;
    },

    /** Every member of a conversation (user ids): a `presence:watch`'s first answer is about them. */
    async membersOf(conversationId: number): Promise<number[]> {
      const rows = await pool.execute<Array<[number]>>(
        { sql: 'SELECT userId FROM memberships WHERE conversationId = ?', rowsAsArray: true },
        [conversationId],
      );
      return rows.map(([userId]) => Number(userId));
    },

    findActiveUserByUsername(username: string) {
      return prisma.user.findFirst({ where: { username, deactivatedAt: null }, select: { id: true } });
    },

    findDirect(directKey: string) {
      return prisma.conversation.findUnique({ where: { directKey }, select: { id: true } });
    },

    /**
     * Creates the direct conversation of two people in one transaction that first locks both rows
     * (lockUsers, in id order) and hands them to `admit`, which throws to create nothing (one of them
     * deactivated meanwhile). A second conversation of the pair fails on the directKey unique key (P2002).
     */
    async createDirect(
      input: { directKey: string; creatorId: number; otherId: number },
      admit: (people: ReadonlyMap<number, LockedUser>) => void,
    ): Promise<number> {
      return prisma.$transaction(async (tx) => {
        admit(await lockUsers(tx, [input.creatorId, input.otherId], 'share'));
        const conversation = await tx.conversation.create({
          data: {
            kind: 'direct',
            directKey: input.directKey,
            createdById: input.creatorId,
            memberships: { create: [{ userId: input.creatorId }, { userId: input.otherId }] },
          },
          select: { id: true },
        });
        return conversation.id;
      }, LOCK_THEN_READ_COMMITTED);
    },

    async findActiveUsersByUsername(usernames: string[]) {
      return prisma.user.findMany({
        where: { username: { in: usernames }, deactivatedAt: null },
        select: { id: true, username: true },
      });
    },

    /**
     * Creates a group, its creator the owner, in one transaction that first locks the rows of the
     * creator and the members (lockUsers, in id order) and hands them to `admit`, which throws to
     * create nothing (someone deactivated meanwhile).
     */
    async createGroup(
      input: { name: string; creatorId: number; memberIds: number[] },
      admit: (people: ReadonlyMap<number, LockedUser>) => void,
    ): Promise<number> {
      return prisma.$transaction(async (tx) => {
        admit(await lockUsers(tx, [input.creatorId, ...input.memberIds], 'share'));
        const conversation = await tx.conversation.create({
          data: {
            kind: 'group',
            name: input.name,
            createdById: input.creatorId,
            memberships: {
              create: [
                { userId: input.creatorId, role: 'owner' },
                ...input.memberIds.map((userId) => ({ userId, role: 'member' as const })),
              ],
            },
          },
          select: { id: true },
        });
        return conversation.id;
      }, LOCK_THEN_READ_COMMITTED);
    },
  };
}
