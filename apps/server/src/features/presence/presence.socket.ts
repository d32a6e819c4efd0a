import { ClientEvent, ServerEvent } from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import { handleClientEvent, type SocketHandlerOptions } from '../../lib/socket-handler.js';
import { rooms } from '../../plugins/socket-io.js';
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

  fastify.io.on('connection', (socket) => {
    const { userId } = socket.data;
    const report = (error: unknown) => fastify.log.warn({ err: error, userId }, 'presence update failed');

    presence
      .tabChanged(userId, socket.id, 'online')
      .then(() => presence.snapshotFor(userId))
      .then((snapshot) => socket.emit(ServerEvent.PresenceSnapshot, snapshot))
      .catch(report);
    socket.on('disconnect', () => {
      presence.tabClosed(userId, socket.id).catch(report);
    });
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
