import { ServerEvent, type UserSummary } from '@parley/shared';
import { rooms, type ParleyServer } from '../../plugins/socket-io.js';

export interface UserNotifierDeps {
  io: ParleyServer;
  /** The ids of every conversation the user is a member of. */
  conversationIdsOf(userId: number): Promise<number[]>;
}

export type UserNotifier = ReturnType<typeof createUserNotifier>;

/**
 * Tells everyone who may be showing a user that the user's summary changed (a new display name):
 * `user:updated` to the rooms of every conversation the user is in and to the user's own room (their
 * other tabs). Socket.IO sends a broadcast to several rooms once per socket, and through the Redis
 * adapter to every process's sockets.
 */
export function createUserNotifier({ io, conversationIdsOf }: UserNotifierDeps) {
  return {
    async userUpdated(user: UserSummary): Promise<void> {
      const conversationIds = await conversationIdsOf(user.id);
      io.to([rooms.user(user.id), ...conversationIds.map(rooms.conversation)]).emit(ServerEvent.UserUpdated, {
        user,
      });
    },
  };
}
