import { ErrorCode, type Conversation, type CreateGroupBody, type ReadState } from '@parley/shared';
import { AppError } from '../../lib/app-error.js';
import type { ConversationsRepository } from './conversations.repository.js';

export type ConversationsService = ReturnType<typeof createConversationsService>;

export function createConversationsService({ repository }: { repository: ConversationsRepository }) {
  /** Not a member: 403 when the conversation exists, 404 when it does not. Either way nothing is revealed. */
  async function assertMember(conversationId: number, userId: number): Promise<void> {
    const membership = await repository.findMembership(conversationId, userId);
    if (membership) return;
    if (await repository.exists(conversationId)) {
      throw new AppError(ErrorCode.NotMember, 'You are not a member of this conversation');
    }
    throw new AppError(ErrorCode.ConversationNotFound, 'This conversation does not exist');
  }

  async function get(conversationId: number, userId: number): Promise<Conversation> {
    await assertMember(conversationId, userId);
    const conversation = await repository.findForUser(conversationId, userId);
    if (!conversation) throw new AppError(ErrorCode.ConversationNotFound, 'This conversation does not exist');
    return conversation;
  }

  return {
    assertMember,
    get,
    list: (userId: number) => repository.listForUser(userId),

    async createGroup(creatorId: number, body: CreateGroupBody): Promise<Conversation> {
      const usernames = [...new Set(body.memberUsernames)];
      const users = await repository.findActiveUsersByUsername(usernames);
      const found = new Set(users.map((user) => user.username));
      const missing = usernames.filter((username) => !found.has(username));
      if (missing.length > 0) {
        throw new AppError(ErrorCode.UnknownMembers, `No such users: ${missing.join(', ')}`, [
          ...missing.map((username) => ({ path: 'memberUsernames', message: `no user "${username}"` })),
        ]);
      }
      const memberIds = users.map((user) => user.id).filter((id) => id !== creatorId);
      const conversationId = await repository.createGroup({ name: body.name, creatorId, memberIds });
      return get(conversationId, creatorId);
    },

    async markRead(userId: number, conversationId: number, seq: number): Promise<ReadState> {
      await assertMember(conversationId, userId);
      const lastSeq = await repository.lastSeqOf(conversationId);
      if (seq > lastSeq) {
        throw new AppError(ErrorCode.Invalid, `seq ${seq} is past the newest message (${lastSeq})`, [
          { path: 'seq', message: 'is past the newest message' },
        ]);
      }
      const lastReadSeq = await repository.markRead(conversationId, userId, seq);
      const unreadCount = await repository.unreadCount(conversationId, userId, lastReadSeq);
      return { conversationId, lastReadSeq, unreadCount };
    },
  };
}
