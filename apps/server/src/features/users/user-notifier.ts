import { ServerEvent, type UserSummary } from '@parley/shared';
import { rooms, type ParleyServer } from '../../plugins/socket-io.js';

export interface UserNotifierDeps {
  io: ParleyServer;
  /** The user's summary as stored now; null for an unknown id. */
  summaryOf(userId: number): Promise<UserSummary | null>;
  /** The ids of every conversation the user is a member of. */
  conversationIdsOf(userId: number): Promise<number[]>;
}

export type UserNotifier = ReturnType<typeof createUserNotifier>;

/**
 * Tells everyone who may be showing a user that the user's summary changed (a new display name):
 * `user:updated` to the rooms of every conversation the user is in and to the user's own room (their
 * other tabs). Socket.IO sends a broadcast to several rooms once per socket, and through the Redis
 * adapter to every process's sockets.
 *
 * What is sent is the summary as stored when it is sent, read last, not the one the change wrote: of
 * two renames made at once, both broadcasts then usually carry the name that won, where each
 * carrying its own name left watchers with whichever arrived last. Two processes' broadcasts are
 * not ordered against each other, so this narrows the race rather than closing it; a reload reads
 * the stored name.
 */
export function createUserNotifier({ io, summaryOf, conversationIdsOf }: UserNotifierDeps) {
  return {
    async userUpdated(userId: number): Promise<void> {
      const conversationIds = await conversationIdsOf(userId);
      const user = await summaryOf(userId);
      if (!user) return;
      io.to([rooms.user(user.id), ...conversationIds.map(rooms.conversation)]).emit(ServerEvent.UserUpdated, {
        user,
      });
    },
  };
}
