import type { MessageType } from '@parley/shared';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { messageInclude, type MessageRow } from './message-dto.js';

export interface NewMessage {
  conversationId: number;
  senderId: number;
  clientMsgId: string;
  type: MessageType;
  text: string;
  replyToId: number | null;
}

export type MessageChange =
  | { kind: 'edit'; text: string }
  | { kind: 'delete' }
  | { kind: 'react'; userId: number; emoji: string; on: boolean };

export type MessagesRepository = ReturnType<typeof createMessagesRepository>;

export function createMessagesRepository(prisma: PrismaClient, clock: () => Date = () => new Date()) {
  /** Takes the conversation row's lock and the next change number (and, for a new message, the next seq). */
  async function bumpConversation(tx: Prisma.TransactionClient, conversationId: number, newMessageAt?: Date) {
    return tx.conversation.update({
      where: { id: conversationId },
      data: {
        lastChangeSeq: { increment: 1 },
        ...(newMessageAt ? { lastSeq: { increment: 1 }, lastActivityAt: newMessageAt } : {}),
      },
      select: { lastSeq: true, lastChangeSeq: true },
    });
  }

  return {
    findByClientMsgId(senderId: number, clientMsgId: string): Promise<MessageRow | null> {
      return prisma.message.findUnique({
        where: { senderId_clientMsgId: { senderId, clientMsgId } },
        include: messageInclude,
      });
    },

    findById(messageId: number): Promise<MessageRow | null> {
      return prisma.message.findUnique({ where: { id: messageId }, include: messageInclude });
    },

    findInConversation(conversationId: number, messageId: number) {
      return prisma.message.findFirst({
        where: { id: messageId, conversationId },
        select: { id: true, senderId: true, deletedAt: true },
      });
    },

    /**
     * The one step that writes a new message. The conversation row's lock orders concurrent sends
     * to the same conversation (and only those: no global lock) and keeps seq gapless, since a
     * failed insert rolls the increment back. A duplicate clientMsgId fails on its unique key.
     * The sender has obviously seen everything up to their own message.
     */
    store(message: NewMessage): Promise<MessageRow> {
      const now = clock();
      return prisma.$transaction(async (tx) => {
        const { lastSeq, lastChangeSeq } = await bumpConversation(tx, message.conversationId, now);
        const row = await tx.message.create({
          data: { ...message, seq: lastSeq, changeSeq: lastChangeSeq, createdAt: now },
          include: messageInclude,
        });
        await tx.membership.update({
          where: { conversationId_userId: { conversationId: message.conversationId, userId: message.senderId } },
          data: { lastReadSeq: lastSeq, lastDeliveredSeq: lastSeq },
        });
        return row;
      });
    },

    /** Edits, deletes (erasing the text) or reacts, giving the message the conversation's next change number. */
    change(conversationId: number, messageId: number, change: MessageChange): Promise<MessageRow> {
      const now = clock();
      return prisma.$transaction(async (tx) => {
        const { lastChangeSeq } = await bumpConversation(tx, conversationId);
        const fields: Prisma.MessageUpdateInput = { changeSeq: lastChangeSeq };
        if (change.kind === 'edit') Object.assign(fields, { text: change.text, editedAt: now });
        if (change.kind === 'delete') {
          Object.assign(fields, { text: '', deletedAt: now, reactions: { deleteMany: {} } });
        }
        if (change.kind === 'react') {
          const key = { messageId, userId: change.userId, emoji: change.emoji };
          if (change.on) {
            await tx.reaction.upsert({ where: { messageId_userId_emoji: key }, create: key, update: {} });
          } else {
            await tx.reaction.deleteMany({ where: key });
          }
        }
        return tx.message.update({ where: { id: messageId }, data: fields, include: messageInclude });
      });
    },

    countReactionsOf(messageId: number, userId: number): Promise<number> {
      return prisma.reaction.count({ where: { messageId, userId } });
    },

    /** Up to `limit` messages before/after a seq (or the newest), oldest first, and whether more lie beyond. */
    async page(conversationId: number, query: { before?: number; after?: number; limit: number }) {
      const newer = query.after !== undefined;
      const rows = await prisma.message.findMany({
        where: {
          conversationId,
          ...(query.before !== undefined ? { seq: { lt: query.before } } : {}),
          ...(newer ? { seq: { gt: query.after } } : {}),
        },
        include: messageInclude,
        orderBy: { seq: newer ? 'asc' : 'desc' },
        take: query.limit + 1,
      });
      const hasMore = rows.length > query.limit;
      const pageRows = rows.slice(0, query.limit);
      return { rows: newer ? pageRows : pageRows.reverse(), hasMore };
    },

    /** Messages created or changed after `changeSeq`, in change order. */
    async changesSince(conversationId: number, changeSeq: number, limit: number) {
      const rows = await prisma.message.findMany({
        where: { conversationId, changeSeq: { gt: changeSeq } },
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
