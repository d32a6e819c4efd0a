import { rooms, type ParleyServer } from '../../plugins/socket-io.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { PresenceService } from '../presence/presence.service.js';
import { ServerEvent, type GroupState } from '@parley/shared';
import type { GroupOutcome, GroupsService } from './groups.service.js';

export interface GroupNotifierDeps {
  io: ParleyServer;
  conversations: Pick<ConversationsService, 'get'>;
  presence: Pick<PresenceService, 'introduce'>;
  groups: Pick<GroupsService, 'stateOf'>;
}

/** Resolves with the group's state when the change altered it, else null. */
export type GroupNotifier = (outcome: GroupOutcome) => Promise<GroupState | null>;

/**
 * Tells sockets about a committed group change, on every server process (the room operations and
 * emits go through the Redis adapter when there is one):
 *
 * 1. removed members first, with nothing awaited between the commit and this: the system messages
 *    to their own sockets (so their timeline shows why it ends), their sockets leave the room
 *    (`socketsLeave` on the user's room; its presence watchers' room too), then `conversation:removed`; nothing sent to the room
 *    after this reaches them;
 * 2. the system messages, as `message:new`, to the room;
 * 3. new members' sockets join the room, then get `conversation:new` with the group as they see it;
 * 4. the group's new shared state, read now, as `conversation:updated` to the room.
 */
export function createGroupNotifier({
  io,
  conversations,
  presence,
  groups,
}: GroupNotifierDeps): GroupNotifier {
  return async ({ conversationId, messages, stateChanged, joined, removed }) => {
    const room = rooms.conversation(conversationId);
    for (const { userId, reason } of removed) {
      for (const message of messages) io.to(rooms.user(userId)).emit(ServerEvent.MessageNew, message);
      io.in(rooms.user(userId)).socketsLeave([room, rooms.presenceWatch(conversationId)]);
      io.to(rooms.user(userId)).emit(ServerEvent.ConversationRemoved, { conversationId, reason });
    }
    for (const message of messages) io.to(room).emit(ServerEvent.MessageNew, message);
    for (const userId of joined) {
      io.in(rooms.user(userId)).socketsJoin(room);
      io.to(rooms.user(userId)).emit(
        ServerEvent.ConversationNew,
        await conversations.get(conversationId, userId),
      );
    }
    if (!stateChanged) return null;
    const state = await groups.stateOf(conversationId);
    io.to(room).emit(ServerEvent.ConversationUpdated, state);
    if (joined.length > 0) {
      presence.introduce(
        conversationId,
        state.members.map((member) => member.id),
      );
    }
    return state;
  };
}
