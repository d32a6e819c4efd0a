import type { MessageType } from '@parley/shared';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { messageInclude, type MessageRow } from './message-dto.js';

export interface NewMessage {
  conversationId: number;
  senderId: number;
  clientMsgId: string;
  type: MessageType;
  text: string;
}

export type MessagesRepository = ReturnType<typeof createMessagesRepository>;

export function createMessagesRepository(prisma: PrismaClient, clock: () => Date = () => new Date()) {
  return {
    findByClientMsgId(senderId: number, clientMsgId: string): Promise<MessageRow | null> {
      return prisma.message.findUnique({
        where: { senderId_clientMsgId: { senderId, clientMsgId } },
        include: messageInclude,
      });
    },

    /**
     * The one step that writes a message. The conversation row's lock orders concurrent sends to
     * the same conversation (and only those: no global lock) and makes seq gapless, since a
     * failed insert rolls the increment back. A duplicate clientMsgId fails on its unique key.
     */
    store(message: NewMessage): Promise<MessageRow> {
      const now = clock();
      return prisma.$transaction(async (tx) => {
        const { lastSeq } = await tx.conversation.update({
          where: { id: message.conversationId },
          data: { lastSeq: { increment: 1 }, lastActivityAt: now },
          select: { lastSeq: true },
        });
        return tx.message.create({ data: { ...message, seq: lastSeq, createdAt: now }, include: messageInclude });
      });
    },

    /** Up to `limit` messages older than `beforeSeq` (or the newest), oldest first, and whether more exist. */
    async page(conversationId: number, beforeSeq: number | undefined, limit: number) {
      const rows = await prisma.message.findMany({
        where: { conversationId, ...(beforeSeq === undefined ? {} : { seq: { lt: beforeSeq } }) },
        include: messageInclude,
        orderBy: { seq: 'desc' },
        take: limit + 1,
      });
      const hasMore = rows.length > limit;
      return { rows: rows.slice(0, limit).reverse(), hasMore };
    },
  };
}
