import { sendMessagePayloadSchema } from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import { onClientEvent } from '../../lib/socket-handler.js';
import { rooms } from '../../plugins/socket-io.js';
import type { MessagesService } from './messages.service.js';

const messagesSocket: FastifyPluginAsync<{ messages: MessagesService }> = async (fastify, { messages }) => {
  fastify.io.on('connection', (socket) => {
    onClientEvent(
      socket,
      'message:send',
      sendMessagePayloadSchema,
      async (payload, { userId }) => {
        const message = await messages.send(userId, payload);
        // Only after the commit. Re-sent on a retry too: if a process died between commit and
        // broadcast, the retry is what delivers it; clients drop what they already hold.
        socket.to(rooms.conversation(message.conversationId)).emit('message:new', message);
        fastify.log.debug({ conversationId: message.conversationId, seq: message.seq, userId }, 'message stored');
        return message;
      },
      { log: fastify.log },
    );
  });
};

export default messagesSocket;
