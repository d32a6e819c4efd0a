import {
  DEFAULT_MAX_GROUP_MEMBERS,
  encodeConversationCursor,
  ErrorCode,
  NOTIFICATIONS_MUTED_FOREVER,
  type Conversation,
  type ConversationListQuery,
  type ConversationListResponse,
  type CreateGroupBody,
  type MemberRole,
  type NotificationSettings,
  type NotificationSettingsBody,
  type Receipt,
} from '@parley/shared';
import { Prisma } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { activeActor } from '../users/user-locks.js';
import type { ConversationsRepository } from './conversations.repository.js';
import type { PositionBatcher, Positions } from './position-batcher.js';

export type ConversationsService = ReturnType<typeof createConversationsService>;

/** The one answer for a conversation that is missing or not the caller's. */
export function conversationNotFound(): AppError {
  return new AppError(ErrorCode.ConversationNotFound, 'No such conversation');
}

/** `conversation/unknown_members` for usernames that do not exist or are deactivated; `path` is the body field. */
export function unknownMembers(usernames: readonly string[], path: string): AppError {
  return new AppError(
    ErrorCode.UnknownMembers,
    `No such users: ${usernames.join(', ')}`,
    usernames.map((username) => ({ path, message: `no user "${username}"` })),
  );
}

export interface ConversationsServiceDeps {
  repository: ConversationsRepository;
  /** Stores delivery and read reports in batches (position-batcher.ts). */
  positions: Pick<PositionBatcher, 'submit'>;
  /** MAX_GROUP_MEMBERS: a group created larger is refused (`conversation/rule`). */
  maxGroupMembers?: number;
}

export function createConversationsService({
  repository,
  positions,
  maxGroupMembers = DEFAULT_MAX_GROUP_MEMBERS,
}: ConversationsServiceDeps) {
  /**
   * A conversation the caller is not a member of gets the same answer as one that does not exist
   * (404 conversation/not_found, same message), and costs the same single lookup: ids are
   * sequential, so any difference would let anyone map which ids are taken.
   */
  async function assertMember(conversationId: number, userId: number): Promise<void> {
    const membership = await repository.findMembership(conversationId, userId);
    if (!membership) throw conversationNotFound();
  }

  async function get(conversationId: number, userId: number): Promise<Conversation> {
    await assertMember(conversationId, userId);
    const conversation = await repository.findForUser(conversationId, userId);
    if (!conversation) throw conversationNotFound();
    return conversation;
  }

  return {
    assertMember,
    get,
    /** The caller's role in the conversation; `conversation/not_found` when not a member. */
    async roleOf(conversationId: number, userId: number): Promise<MemberRole> {
      const membership = await repository.findMembership(conversationId, userId);
      if (!membership) throw conversationNotFound();
      return membership.role;
    },
    /**
     * The caller's own notification choice for a conversation (NotificationSettingsBody): on, off
     * for `seconds` from `now`, or off until turned back on (NOTIFICATIONS_MUTED_FOREVER). Throws
     * `conversation/not_found` when the caller is not a member.
     */
    async setNotifications(
      userId: number,
      conversationId: number,
      body: NotificationSettingsBody,
      now = new Date(),
    ): Promise<NotificationSettings> {
      const until = !body.muted
        ? null
        : body.seconds === undefined
          ? new Date(NOTIFICATIONS_MUTED_FOREVER)
          : new Date(now.getTime() + body.seconds * 1000);
      const version = await repository.setNotificationsMutedUntil(conversationId, userId, until);
      if (version === null) throw conversationNotFound();
      return { conversationId, notificationsMutedUntil: until?.toISOString() ?? null, version };
    },
    /** A page of the caller's conversations and the cursor of the next (ConversationListQuery). */
    async list(userId: number, query: ConversationListQuery): Promise<ConversationListResponse> {
      const { conversations, nextCursor } = await repository.listForUser(userId, query);
      return { conversations, nextCursor: nextCursor && encodeConversationCursor(nextCursor) };
    },

    async createGroup(creatorId: number, body: CreateGroupBody): Promise<Conversation> {
      const usernames = [...new Set(body.memberUsernames)];
      const users = await repository.findActiveUsersByUsername(usernames);
      const found = new Set(users.map((user) => user.username));
      const missing = usernames.filter((username) => !found.has(username));
      if (missing.length > 0) throw unknownMembers(missing, 'memberUsernames');
      const members = users.filter((user) => user.id !== creatorId);
      if (members.length + 1 > maxGroupMembers) {
        throw new AppError(ErrorCode.GroupRule, `A group has at most ${maxGroupMembers} members`, [
          { path: 'memberUsernames', message: `at most ${maxGroupMembers - 1} besides you` },
        ]);
      }
      const memberIds = members.map((user) => user.id);
      // Read again under the locks of their rows: someone deactivated since the read above is not
      // made a member after their deactivation returned.
      const conversationId = await repository.createGroup(
        { name: body.name, creatorId, memberIds },
        (people) => {
          activeActor(people, creatorId);
          const gone = members.filter((user) => people.get(user.id)?.deactivated !== false);
          if (gone.length > 0)
            throw unknownMembers(
              gone.map((user) => user.username),
              'memberUsernames',
            );
        },
      );
      return get(conversationId, creatorId);
    },

    memberConversationIds: (userId: number, among: number[]) => repository.conversationIdsOf(userId, among),

    /**
     * Opens the one direct conversation of a pair, creating it the first time. `created` tells the
     * caller whether members must be told about it.
     */
    async openDirect(
      userId: number,
      username: string,
    ): Promise<{ conversation: Conversation; created: boolean }> {
      const userNotFound = () => new AppError(ErrorCode.UserNotFound, `No user "${username}"`);
      const other = await repository.findActiveUserByUsername(username);
      if (!other) throw userNotFound();
      if (other.id === userId) {
        throw new AppError(ErrorCode.Invalid, 'A direct conversation needs another person', [
          { path: 'username', message: 'is you' },
        ]);
      }
      const directKey = [userId, other.id].sort((a, b) => a - b).join(':');
      const existing = await repository.findDirect(directKey);
      if (existing) return { conversation: await get(existing.id, userId), created: false };
      try {
        const id = await repository.createDirect(
          { directKey, creatorId: userId, otherId: other.id },
          // Read again under the locks of both rows, as for a group.
          (people) => {
            activeActor(people, userId);
            if (people.get(other.id)?.deactivated !== false) throw userNotFound();
          },
        );
        return { conversation: await get(id, userId), created: true };
      } catch (error) {
        // Both people opened it at the same moment: the other request created it.
        if (!(error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002')) throw error;
        const winner = await repository.findDirect(directKey);
        if (!winner) throw error;
        return { conversation: await get(winner.id, userId), created: false };
      }
    },

    /**
     * `conversation:delivered` (read: false) and `conversation:read` (read: true): positions only move
     * forward. Not a member: `conversation/not_found`; `seq` past the newest message: `request/invalid`.
     */
    async advance(
      userId: number,
      conversationId: number,
      seq: number,
      read: boolean,
    ): Promise<Receipt & Pick<Positions, 'unreadCount'>> {
      const position = await positions.submit({ conversationId, userId, seq, read });
      return { conversationId, userId, ...position };
    },
  };
}
