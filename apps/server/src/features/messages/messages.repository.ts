import { ErrorCode, type Message } from '@parley/shared';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { failpoint } from '../../lib/failpoints.js';
import { recordAudit } from '../audit/audit.service.js';
import { deleteUploadRows } from '../uploads/uploads.repository.js';
import { messageInclude, toMessage, type MessageRow } from './message-dto.js';
import { LOCK_THEN_READ_COMMITTED } from '../../plugins/prisma.js';

/**
 * `actorId` (edit, delete) and `userId` (react): the person making the change, whose account must
 * still be active when the change is written (see `change`).
 */
export type MessageChange =
  | { kind: 'edit'; actorId: number; text: string }
  /** `byAdminId`: an owner or admin deleting someone else's message (audited, "removed by an admin"). */
  | { kind: 'delete'; actorId: number; byAdminId: number | null }
  /** `limit`: distinct emoji one user may put on the message. */
  | { kind: 'react'; userId: number; emoji: string; on: boolean; limit: number }
  /**
   * A companion's reply being written (features/companions): its text so far and state; null once
   * complete. Not an edit: editedAt stays null.
   */
  | { kind: 'generation'; text: string; state: 'streaming' | 'failed' | null; error: string | null };

/** Who makes a change: a person for edits, deletes and reactions; none for a companion's reply being written. */
function actorOf(change: MessageChange): number | null {
  if (change.kind === 'react') return change.userId;
  if (change.kind === 'generation') return null;
  return change.actorId;
}

interface ChangeTargetRow {
  deletedAt: Date | null;
  attachmentId: string | null;
  /** 1 once the actor's account is deactivated; 0 when active or when there is no actor. */
  actorDeactivated: number | bigint | boolean | null;
}

export type MessagesRepository = ReturnType<typeof createMessagesRepository>;

export function createMessagesRepository(prisma: PrismaClient, clock: () => Date = () => new Date()) {
  /**
   * Takes the conversation row's lock and the next change number. New messages get theirs from the
   * send batch (message-batch-store.ts), which takes the same lock. A group a site admin archived
   * is read-only: the change is refused (`conversation/archived`) and its transaction rolls back.
   */
  async function bumpConversation(tx: Prisma.TransactionClient, conversationId: number) {
    const row = await tx.conversation.update({
      where: { id: conversationId },
      data: { lastChangeSeq: { increment: 1 } },
      select: { lastSeq: true, lastChangeSeq: true, archivedAt: true },
    });
    if (row.archivedAt) {
      throw new AppError(ErrorCode.Archived, 'This group is archived: it can be read, not written to');
    }
    return row;
  }

  return {
    findByClientMsgId(senderId: number, clientMsgId: string): Promise<MessageRow | null> {
      return prisma.message.findUnique({
        where: { senderId_clientMsgId: { senderId, clientMsgId } },
        include: messageInclude,
      });
    },

    /** Messages by id, as DTOs, in no particular order (the send path's duplicates). */
    async findMessagesByIds(ids: number[]): Promise<Message[]> {
      const rows = await prisma.message.findMany({ where: { id: { in: ids } }, include: messageInclude });
      return rows.map(toMessage);
    },

    findById(messageId: number): Promise<MessageRow | null> {
      return prisma.message.findUnique({ where: { id: messageId }, include: messageInclude });
    },

    findInConversation(conversationId: number, messageId: number) {
      return prisma.message.findFirst({
        where: { id: messageId, conversationId },
        select: { id: true, senderId: true, deletedAt: true, type: true },
      });
    },

    /**
     * Edits, deletes (erasing the text) or reacts, giving the message the conversation's next change
     * number. The caller's checks may predate a change committed since, so a deleted message and the
     * reaction limit are checked again under the lock: a deleted message never gets text or reactions back.
     * So is the actor's account, in the same statement that reads the message (no extra round trip):
     * a change that passed the session check just before a deactivation and then waited for the lock
     * is refused with `auth/deactivated` (as a waiting send is, message-batch-store.ts). That read
     * locks the actor's row (shared) to the commit, so a change that read the account as active is
     * written before a deactivation returns, never after it (docs/protocol.md).
     */
    change(conversationId: number, messageId: number, change: MessageChange): Promise<MessageRow> {
      const now = clock();
      return prisma.$transaction(async (tx) => {
        const { lastChangeSeq } = await bumpConversation(tx, conversationId);
        const actorId = actorOf(change);
        // A locking read: the actor's row is held (shared) until this transaction ends, so a
        // deactivation's UPDATE of it waits for the change to commit; read the other way round, it
        // reads the deactivation once committed.
        const [current] = await tx.$queryRaw<ChangeTargetRow[]>`
          SELECT m.deletedAt, m.attachmentId, u.deactivatedAt IS NOT NULL AS actorDeactivated
            FROM messages m LEFT JOIN users u ON u.id = ${actorId}
           WHERE m.id = ${messageId}
            LOCK IN SHARE MODE`;
        if (!current) throw new AppError(ErrorCode.MessageNotFound, 'No such message in this conversation');
        if (Number(current.actorDeactivated) === 1) {
          throw new AppError(ErrorCode.AccountDeactivated, 'This account has been deactivated');
        }
        if (current.deletedAt) throw new AppError(ErrorCode.MessageDeleted, 'This message has been deleted');
        const held = failpoint('message-change:before-write');
        if (held) await held;
        const fields: Prisma.MessageUpdateInput = { changeSeq: lastChangeSeq };
        if (change.kind === 'edit') Object.assign(fields, { text: change.text, editedAt: now });
        if (change.kind === 'generation') {
          Object.assign(fields, {
            text: change.text,
            generationState: change.state,
            generationError: change.error,
          });
        }
        if (change.kind === 'delete') {
          const removedByAdmin = change.byAdminId !== null;
          Object.assign(fields, { text: '', deletedAt: now, removedByAdmin, reactions: { deleteMany: {} } });
          // Its attachment goes with it: the upload row now, its bytes at the next orphan-blob sweep
          // (features/uploads), which deletes a blob only when no other upload shares it.
          if (current.attachmentId !== null) Object.assign(fields, { attachment: { disconnect: true } });
          if (change.byAdminId !== null) {
            await recordAudit(tx, {
              actorId: change.byAdminId,
              action: 'group.message.remove',
              conversationId,
              before: { messageId },
            });
          }
        }
        if (change.kind === 'react') {
          const key = { messageId, userId: change.userId, emoji: change.emoji };
          if (change.on) {
            const others = await tx.reaction.count({
              where: { messageId, userId: change.userId, emoji: { not: change.emoji } },
            });
            if (others >= change.limit) {
              throw new AppError(ErrorCode.Invalid, `At most ${change.limit} reactions per message`, [
                { path: 'emoji', message: 'too many reactions on this message' },
              ]);
            }
            await tx.reaction.upsert({ where: { messageId_userId_emoji: key }, create: key, update: {} });
          } else {
            await tx.reaction.deleteMany({ where: key });
          }
        }
        const updated = await tx.message.update({
          where: { id: messageId },
          data: fields,
          include: messageInclude,
        });
        if (change.kind === 'delete' && current.attachmentId !== null) {
          await deleteUploadRows(tx, [current.attachmentId]);
        }
        return updated;
      }, LOCK_THEN_READ_COMMITTED);
    },

    /**
     * Up to `limit` messages before/after a seq (or the newest), oldest first, and whether more lie
     * beyond. Because seq is gapless (messages are never removed, only emptied), a page is an exact
     * seq window, which keeps the query a short index range however deep the page is; an open-ended
     * `seq < before ORDER BY seq DESC LIMIT n` makes MariaDB walk every newer row instead.
     */
    async page(
      conversationId: number,
      { before, after, limit }: { before?: number; after?: number; limit: number },
    ) {
      // One row more than the page, on the far side, tells whether more lie beyond.
      let from: number;
      let to: number;
      if (after !== undefined) {
        [from, to] = [after + 1, after + limit + 1];
      } else if (before !== undefined) {
        [from, to] = [Math.max(1, before - 1 - limit), before - 1];
      } else {
        // The newest page: reading backwards from the end of the index is already cheap.
        const newest = await prisma.message.findMany({
          where: { conversationId },
          include: messageInclude,
          orderBy: { seq: 'desc' },
          take: limit + 1,
        });
        return { rows: newest.slice(0, limit).reverse(), hasMore: newest.length > limit };
      }
      const rows = await prisma.message.findMany({
        where: { conversationId, seq: { gte: from, lte: to } },
        include: messageInclude,
        orderBy: { seq: 'asc' },
      });
      const hasMore = rows.length > limit;
      const page = !hasMore ? rows : after !== undefined ? rows.slice(0, limit) : rows.slice(1);
      return { rows: page, hasMore };
    },

    /** Messages created or changed after `changeSeq`, in change order. */
    async changesSince(conversationId: number, changeSeq: number, upTo: number, limit: number) {
      const rows = await prisma.message.findMany({
        // Bounded on both sides so the optimizer takes the (conversationId, changeSeq) range.
        where: { conversationId, changeSeq: { gt: changeSeq, lte: upTo } },
        include: messageInclude,
        orderBy: { changeSeq: 'asc' },
        take: limit + 1,
      });
      return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
    },

    lastChangeSeqs(conversationIds: number[]) {
      return prisma.conversation.findMany({
        where: { id: { in: conversationIds } },
        select: { id: true, lastChangeSeq: true },
      });
    },
  };
}
