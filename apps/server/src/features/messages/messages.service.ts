import {
  ErrorCode,
  mayAct,
  REACTIONS_PER_USER_MAX,
  SYNC_PAGE_MAX,
  SYNC_RESPONSE_MAX,
  type DeleteMessagePayload,
  type EditMessagePayload,
  type HistoryQuery,
  type HistoryResponse,
  type Message,
  type ReactPayload,
  type SendMessagePayload,
  type SyncPayload,
  type SyncResponse,
} from '@parley/shared';
import { AppError } from '../../lib/app-error.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import { toMessage } from './message-dto.js';
import type { PendingMessage } from './message-batch-store.js';
import type { MessagesRepository } from './messages.repository.js';

export interface MessagesServiceDeps {
  repository: MessagesRepository;
  conversations: Pick<ConversationsService, 'assertMember' | 'memberConversationIds' | 'roleOf'>;
  /**
   * Stores a new message (send-batcher.ts): checks membership, the reply target and the
   * clientMsgId under the conversation's lock, and answers a duplicate with the message stored first.
   */
  store: (message: PendingMessage) => Promise<Message>;
  /**
   * Told of every message `send` answers with (a retry's too), after the store and without being
   * waited for: bots' counts and webhooks (features/bots). It must not throw; it cannot delay a send.
   */
  afterSend?: (message: Message, replay: boolean) => void;
  /** Whether `store` answered with a message stored by an earlier attempt (send-batcher.ts). */
  isReplay?: (message: Message) => boolean;
}

export type MessagesService = ReturnType<typeof createMessagesService>;

export function createMessagesService({
  repository,
  conversations,
  store,
  afterSend,
  isReplay = () => false,
}: MessagesServiceDeps) {
  async function findTarget(conversationId: number, messageId: number) {
    const target = await repository.findInConversation(conversationId, messageId);
    if (!target) throw new AppError(ErrorCode.MessageNotFound, 'No such message in this conversation');
    return target;
  }

  /** Edit and delete: members only, the author only; a deleted message stays deleted. */
  async function findOwnMessage(userId: number, conversationId: number, messageId: number) {
    await conversations.assertMember(conversationId, userId);
    const target = await findTarget(conversationId, messageId);
    if (target.senderId !== userId || target.type === 'system')
      throw new AppError(ErrorCode.NotAuthor, 'Only its sender can change a message');
    return target;
  }

  /**
   * Delete: the sender, or a group's owner or admin (GROUP_ROLE_TABLE.deleteAnyMessage), whose
   * delete is marked `removedByAdmin`. System messages stay.
   */
  async function findDeletable(userId: number, conversationId: number, messageId: number) {
    const role = await conversations.roleOf(conversationId, userId);
    const target = await findTarget(conversationId, messageId);
    const byAdmin = target.senderId !== userId;
    if (target.type === 'system' || (byAdmin && !mayAct('deleteAnyMessage', role)))
      throw new AppError(ErrorCode.NotAuthor, 'Only its sender or a group admin can delete a message');
    return { target, byAdmin };
  }

  return {
    /**
     * Stores a message exactly once per (sender, clientMsgId): a retry, or a concurrent duplicate,
     * gets the message that was stored first. Not a member: `conversation/not_found`; a reply to a
     * message outside the conversation: `message/not_found`; an attachment that is not the sender's
     * own unattached upload: `upload/not_found`, `upload/forbidden` or `upload/already_attached`;
     * a sender deactivated while the send waited for its turn: `auth/deactivated`.
     */
    async send(senderId: number, payload: SendMessagePayload): Promise<Message> {
      const message = await store({
        conversationId: payload.conversationId,
        senderId,
        clientMsgId: payload.clientMsgId,
        text: payload.text,
        replyToId: payload.replyToId ?? null,
        attachmentId: payload.attachmentId ?? null,
      });
      afterSend?.(message, isReplay(message));
      return message;
    },

    /**
     * Edit, delete and react answer, besides their own refusals, `auth/deactivated` when the account
     * was deactivated while the change waited for the conversation's lock (messages.repository.ts).
     */
    async edit(userId: number, payload: EditMessagePayload): Promise<Message> {
      const target = await findOwnMessage(userId, payload.conversationId, payload.messageId);
      if (target.deletedAt)
        throw new AppError(ErrorCode.MessageDeleted, 'A deleted message cannot be edited');
      return toMessage(
        await repository.change(payload.conversationId, payload.messageId, {
          kind: 'edit',
          actorId: userId,
          text: payload.text,
        }),
      );
    },

    /** Deleting twice is harmless: the second delete answers with the tombstone. */
    async delete(
      userId: number,
      payload: DeleteMessagePayload,
    ): Promise<{ message: Message; changed: boolean }> {
      const { target, byAdmin } = await findDeletable(userId, payload.conversationId, payload.messageId);
      if (!target.deletedAt) {
        try {
          const row = await repository.change(payload.conversationId, payload.messageId, {
            kind: 'delete',
            actorId: userId,
            byAdminId: byAdmin ? userId : null,
          });
          return { message: toMessage(row), changed: true };
        } catch (error) {
          // A concurrent delete got there first: the outcome is the same.
          if (!(error instanceof AppError && error.code === ErrorCode.MessageDeleted)) throw error;
        }
      }
      const tombstone = await repository.findById(target.id);
      if (!tombstone) throw new AppError(ErrorCode.MessageNotFound, 'No such message in this conversation');
      return { message: toMessage(tombstone), changed: false };
    },

    async react(userId: number, payload: ReactPayload): Promise<Message> {
      await conversations.assertMember(payload.conversationId, userId);
      const target = await findTarget(payload.conversationId, payload.messageId);
      if (target.deletedAt)
        throw new AppError(ErrorCode.MessageDeleted, 'A deleted message cannot get reactions');
      // The limit is checked under the conversation's lock, so a burst cannot slip past it and a
      // retry of a reaction already set is not refused.
      const row = await repository.change(payload.conversationId, payload.messageId, {
        kind: 'react',
        userId,
        emoji: payload.emoji,
        on: payload.on,
        limit: REACTIONS_PER_USER_MAX,
      });
      return toMessage(row);
    },

    async history(userId: number, conversationId: number, query: HistoryQuery): Promise<HistoryResponse> {
      await conversations.assertMember(conversationId, userId);
      const { rows, hasMore } = await repository.page(conversationId, query);
      return { messages: rows.map(toMessage), hasMore };
    },

    /**
     * Catch-up. Conversations the caller is not a member of are left out (nothing about them is
     * revealed); a changeSeq ahead of the server's is a client bug and refused.
     */
    async sync(userId: number, payload: SyncPayload): Promise<SyncResponse> {
      const requested = new Map(
        payload.conversations.map((entry) => [entry.conversationId, entry.changeSeq]),
      );
      const memberOf = await conversations.memberConversationIds(userId, [...requested.keys()]);
      const current = await repository.lastChangeSeqs(memberOf);
      const results: SyncResponse['results'] = [];
      // One answer carries at most SYNC_RESPONSE_MAX changes, so no call can make the server build
      // an unbounded reply; conversations past the budget say hasMore and are asked again.
      let budget = SYNC_RESPONSE_MAX;
      for (const { id, lastChangeSeq } of current) {
        const held = requested.get(id) ?? 0;
        if (held > lastChangeSeq) {
          throw new AppError(
            ErrorCode.Invalid,
            `changeSeq ${held} of conversation ${id} is ahead of the server`,
            [{ path: 'conversations.changeSeq', message: 'is ahead of the server' }],
          );
        }
        if (held === lastChangeSeq) {
          results.push({ conversationId: id, messages: [], changeSeq: held, hasMore: false });
          continue;
        }
        if (budget === 0) {
          results.push({ conversationId: id, messages: [], changeSeq: held, hasMore: true });
          continue;
        }
        const { rows, hasMore } = await repository.changesSince(
          id,
          held,
          lastChangeSeq,
          Math.min(SYNC_PAGE_MAX, budget),
        );
        budget -= rows.length;
        results.push({
          conversationId: id,
          messages: rows.map(toMessage),
          changeSeq: rows.at(-1)?.changeSeq ?? held,
          hasMore,
        });
      }
      return { results };
    },
  };
}
