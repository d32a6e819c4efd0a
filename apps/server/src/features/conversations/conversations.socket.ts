import { ClientEvent, ErrorCode, ServerEvent } from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import { handleClientEvent, type SocketHandlerOptions } from '../../lib/socket-handler.js';
import { connectError, retryableConnectError, rooms } from '../../plugins/socket-io.js';
import type { ConversationsRepository } from './conversations.repository.js';
import type { ConversationsService } from './conversations.service.js';
import { createReceiptBroadcaster } from './receipt-broadcaster.js';

export interface ConversationsSocketOptions {
  conversations: ConversationsService;
  repository: ConversationsRepository;
  handlerOptions: SocketHandlerOptions;
}

const conversationsSocket: FastifyPluginAsync<ConversationsSocketOptions> = async (
  fastify,
  { conversations, repository, handlerOptions },
) => {
  const receipts = createReceiptBroadcaster(fastify.io);
  fastify.addHook('preClose', async () => receipts.close());

  // After authentication: a socket is in the room of every conversation of its user before it
  // counts as connected, so nothing sent after the client's `connect` can pass it by.
  // One query, so a connect storm costs each handshake one short use of one pooled connection.
  fastify.io.use((socket, next) => {
    const { userId } = socket.data;
    repository.handshakeOf(userId).then(
      ({ active, conversationIds }) => {
        if (!active)
          return next(connectError(ErrorCode.AccountDeactivated, 'This account has been deactivated'));
        socket.join(conversationIds.map(rooms.conversation));
        next();
      },
      (error: unknown) => {
        fastify.log.warn({ err: error, userId }, 'joining conversation rooms failed');
        next(retryableConnectError(error, 'Could not load your conversations; retrying'));
      },
    );
  });

  fastify.io.on('connection', (socket) => {
    // A conversation created while this socket was in the middleware above was announced before the
    // socket counted as connected, so nothing joined it to that room: look once more.
    repository.handshakeOf(socket.data.userId).then(
      ({ conversationIds }) => socket.join(conversationIds.map(rooms.conversation)),
      (error: unknown) => fastify.log.warn({ err: error }, 'rejoining conversation rooms failed'),
    );
  });

  handleClientEvent(
    fastify.io,
    ClientEvent.ConversationRead,
    async ({ conversationId, seq }, { socket, userId }) => {
      const { lastReadSeq, lastDeliveredSeq, unreadCount } = await conversations.advance(
        userId,
        conversationId,
        seq,
        true,
      );
      const state = { conversationId, lastReadSeq, unreadCount: unreadCount ?? 0 };
      socket.to(rooms.user(userId)).emit(ServerEvent.ConversationRead, state);
      receipts.push({ conversationId, userId, lastReadSeq, lastDeliveredSeq });
      return state;
    },
    handlerOptions,
  );

  handleClientEvent(
    fastify.io,
    ClientEvent.ConversationDelivered,
    async ({ conversationId, seq }, { userId }) => {
      const { lastReadSeq, lastDeliveredSeq } = await conversations.advance(
        userId,
        conversationId,
        seq,
        false,
      );
      const receipt = { conversationId, userId, lastReadSeq, lastDeliveredSeq };
      receipts.push(receipt);
      return receipt;
    },
    handlerOptions,
  );
};

export default conversationsSocket;
