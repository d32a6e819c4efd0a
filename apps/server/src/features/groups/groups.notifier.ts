import type { FastifyBaseLogger } from 'fastify';
import { rooms, type ParleyServer } from '../../plugins/socket-io.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { PresenceService } from '../presence/presence.service.js';
import type { GroupOutcome } from './groups.service.js';

export interface GroupNotifierDeps {
  io: ParleyServer;
  conversations: Pick<ConversationsService, 'get'>;
  presence: Pick<PresenceService, 'introduce'>;
  log: FastifyBaseLogger;
}

export type GroupNotifier = (outcome: GroupOutcome) => Promise<void>;

/**
 * Tells sockets about a committed group change, on every server process (the room operations and
 * emits go through the Redis adapter when there is one):
 *
 * 1. the system messages, as `message:new`, to the room, removed members still included, so their
 *    timeline shows why it ends;
 * 2. removed members' sockets leave the room at once (`socketsLeave` on the user's room), then get
 *    `conversation:removed`; nothing sent to the room after this reaches them;
 * 3. new members' sockets join the room, then get `conversation:new` with the group as they see it;
 * 4. the group's new shared state, as `conversation:updated`, to the room.
 */
export function createGroupNotifier({ io, conversations, presence, log }: GroupNotifierDeps): GroupNotifier {
  return async ({ conversationId, messages, state, joined, removed }) => {
    const room = rooms.conversation(conversationId);
    for (const message of messages) io.to(room).emit('message:new', message);
    for (const { userId, reason } of removed) {
      io.in(rooms.user(userId)).socketsLeave(room);
      io.to(rooms.user(userId)).emit('conversation:removed', { conversationId, reason });
    }
    for (const userId of joined) {
      io.in(rooms.user(userId)).socketsJoin(room);
      io.to(rooms.user(userId)).emit('conversation:new', await conversations.get(conversationId, userId));
    }
    if (state) io.to(room).emit('conversation:updated', state);
    if (joined.length > 0 && state) {
      presence.introduce(state.members.map((member) => member.id)).catch((error: unknown) => {
        log.warn({ err: error, conversationId }, 'presence introduction failed');
      });
    }
  };
}
