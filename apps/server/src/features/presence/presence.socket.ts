import { ClientEvent, ServerEvent } from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import { handleClientEvent, type SocketHandlerOptions } from '../../lib/socket-handler.js';
import { rooms, type ParleySocket } from '../../plugins/socket-io.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { PresenceService } from './presence.service.js';

export interface PresenceSocketOptions {
  presence: PresenceService;
  conversations: Pick<ConversationsService, 'assertMember'>;
  handlerOptions: SocketHandlerOptions;
}

const presenceSocket: FastifyPluginAsync<PresenceSocketOptions> = async (
  fastify,
  { presence, conversations, handlerOptions },
) => {
  fastify.addHook('preClose', async () => presence.close());

  const report = (error: unknown, userId: number) =>
    fastify.log.warn({ err: error, userId }, 'presence update failed');

  /**
   * Socket.IO calls it with the socket as `this`: one listener shared by every socket instead of a
   * closure (and its context) held by each idle socket for its whole life.
   */
  function tabClosed(this: ParleySocket): void {
    const { userId } = this.data;
    presence.tabClosed(userId, this.id).catch((error: unknown) => report(error, userId));
  }

  fastify.io.on('connection', (socket) => {
    const { userId } = socket.data;
    presence
      .tabChanged(userId, socket.id, 'online')
      .then(() => presence.snapshotFor(userId))
      .then((snapshot) => socket.emit(ServerEvent.PresenceSnapshot, snapshot))
      .catch((error: unknown) => report(error, userId));
    socket.on('disconnect', tabClosed);
  });

  handleClientEvent(
    fastify.io,
    ClientEvent.PresenceSet,
    async ({ status }, { socket, userId }) => {
      await presence.tabChanged(userId, socket.id, status);
      return null;
    },
    handlerOptions,
  );

  handleClientEvent(
    fastify.io,
    ClientEvent.PresenceWatch,
    async ({ conversationId }, { socket, userId }) => {
      for (const room of [...socket.rooms]) if (rooms.isPresenceWatch(room)) socket.leave(room);
      if (conversationId === null) return [];
      await conversations.assertMember(conversationId, userId);
      const { presences, large } = await presence.watched(conversationId);
      if (large) {
        const room = rooms.presenceWatch(conversationId);
        socket.join(room);
        // A removal from the group between the check above and this join did not take the socket
        // out of the room (groups.notifier.ts does for later ones): check again.
        try {
          await conversations.assertMember(conversationId, userId);
        } catch (error) {
          socket.leave(room);
          throw error;
        }
      }
      return presences;
    },
    handlerOptions,
  );

  for (const [event, typing] of [
    [ClientEvent.TypingStart, true],
    [ClientEvent.TypingStop, false],
  ] as const) {
    handleClientEvent(
      fastify.io,
      event,
      async ({ conversationId }, { socket, userId }) => {
        await conversations.assertMember(conversationId, userId);
        // Not to the typer's other tabs either: they are in the room too.
        socket
          .to(rooms.conversation(conversationId))
          .except(rooms.user(userId))
          .emit(ServerEvent.TypingUpdate, { conversationId, userId, typing });
        return null;
      },
      handlerOptions,
    );
  }
};

export default presenceSocket;
