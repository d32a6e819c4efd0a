import { ErrorCode, type HistoryQuery, type HistoryResponse, type Message, type SendMessagePayload } from '@parley/shared';
import { Prisma } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import { toMessage, type MessageRow } from './message-dto.js';
import type { MessagesRepository } from './messages.repository.js';

export interface MessagesServiceDeps {
  repository: MessagesRepository;
  conversations: Pick<ConversationsService, 'assertMember'>;
}

export type MessagesService = ReturnType<typeof createMessagesService>;

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

export function createMessagesService({ repository, conversations }: MessagesServiceDeps) {
  /** A retry must be for the same conversation; a clientMsgId reused elsewhere is a client bug. */
  function sameMessage(row: MessageRow, payload: SendMessagePayload): Message {
    if (row.conversationId !== payload.conversationId) {
      throw new AppError(ErrorCode.Invalid, 'clientMsgId was already used for another message', [
        { path: 'clientMsgId', message: 'already used for another message' },
      ]);
    }
    return toMessage(row);
  }

  return {
    /**
     * Stores a message exactly once per (sender, clientMsgId): a retry, or a concurrent duplicate,
     * gets the message that was stored first.
     */
    async send(senderId: number, payload: SendMessagePayload): Promise<Message> {
      await conversations.assertMember(payload.conversationId, senderId);
      const existing = await repository.findByClientMsgId(senderId, payload.clientMsgId);
      if (existing) return sameMessage(existing, payload);
      try {
        const row = await repository.store({
          conversationId: payload.conversationId,
          senderId,
          clientMsgId: payload.clientMsgId,
          type: 'text',
          text: payload.text,
        });
        return toMessage(row);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        const winner = await repository.findByClientMsgId(senderId, payload.clientMsgId);
        if (!winner) throw error;
        return sameMessage(winner, payload);
      }
    },

    async history(userId: number, conversationId: number, query: HistoryQuery): Promise<HistoryResponse> {
      await conversations.assertMember(conversationId, userId);
      const { rows, hasMore } = await repository.page(conversationId, query.before, query.limit);
      return { messages: rows.map(toMessage), hasMore };
    },
  };
}
