import { ErrorCode, markReadPayloadSchema } from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import { onClientEvent } from '../../lib/socket-handler.js';
import { connectError, rooms } from '../../plugins/socket-io.js';
import type { ConversationsRepository } from './conversations.repository.js';
import type { ConversationsService } from './conversations.service.js';

export interface ConversationsSocketOptions {
  conversations: ConversationsService;
  repository: ConversationsRepository;
  isActiveUser: (userId: number) => Promise<boolean>;
}

const conversationsSocket: FastifyPluginAsync<ConversationsSocketOptions> = async (
  fastify,
  { conversations, repository, isActiveUser },
) => {
  // After authentication: a socket is in the room of every conversation of its user before it
  // counts as connected, so nothing sent after the client's `connect` can pass it by.
  fastify.io.use((socket, next) => {
    const { userId } = socket.data;
    Promise.all([isActiveUser(userId), repository.conversationIdsOf(userId)]).then(
      ([active, conversationIds]) => {
        if (!active) return next(connectError(ErrorCode.AccountDeactivated, 'This account has been deactivated'));
        socket.join(conversationIds.map(rooms.conversation));
        next();
      },
      (error: unknown) => {
        fastify.log.error({ err: error, userId }, 'joining conversation rooms failed');
        next(connectError(ErrorCode.Unavailable, 'Could not load your conversations; retrying'));
      },
    );
  });

  fastify.io.on('connection', (socket) => {
    onClientEvent(
      socket,
      'conversation:read',
      markReadPayloadSchema,
      async ({ conversationId, seq }, { userId }) => {
        const state = await conversations.markRead(userId, conversationId, seq);
        socket.to(rooms.user(userId)).emit('conversation:read', state);
        return state;
      },
      { log: fastify.log },
    );
  });
};

export default conversationsSocket;
