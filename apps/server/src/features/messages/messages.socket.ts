import { ClientEvent, ServerEvent, type Message } from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import { failpoint } from '../../lib/failpoints.js';
import type { SendQueue } from '../../lib/send-queue.js';
import { onClientEvent, type SocketHandlerOptions } from '../../lib/socket-handler.js';
import { rooms, type ParleySocket } from '../../plugins/socket-io.js';
import type { MessagesService } from './messages.service.js';

export interface MessagesSocketOptions {
  messages: MessagesService;
  handlerOptions: SocketHandlerOptions;
  /** Admission control and per-user order for message:send (lib/send-queue.ts). */
  sendQueue: SendQueue;
}

const messagesSocket: FastifyPluginAsync<MessagesSocketOptions> = async (
  fastify,
  { messages, handlerOptions, sendQueue },
) => {
  /** Everyone else in the conversation, and the sender's other tabs (they are in the room too). */
  const broadcast = (
    socket: ParleySocket,
    event: typeof ServerEvent.MessageNew | typeof ServerEvent.MessageUpdated,
    message: Message,
  ) => socket.to(rooms.conversation(message.conversationId)).emit(event, message);

  fastify.io.on('connection', (socket) => {
    onClientEvent(
      socket,
      ClientEvent.MessageSend,
      async (payload, { userId }) => {
        const message = await messages.send(userId, payload);
        failpoint('message-send:after-commit');
        // Only after the commit. Sent again on a retry too: if a process died between commit and
        // broadcast, the retry is what delivers it live; clients drop what they already hold.
        broadcast(socket, ServerEvent.MessageNew, message);
        fastify.log.debug(
          { conversationId: message.conversationId, seq: message.seq, userId },
          'message stored',
        );
        return message;
      },
      { ...handlerOptions, queue: sendQueue },
    );

    onClientEvent(
      socket,
      ClientEvent.MessageEdit,
      async (payload, { userId }) => {
        const message = await messages.edit(userId, payload);
        broadcast(socket, ServerEvent.MessageUpdated, message);
        return message;
      },
      handlerOptions,
    );

    onClientEvent(
      socket,
      ClientEvent.MessageDelete,
      async (payload, { userId }) => {
        const { message, changed } = await messages.delete(userId, payload);
        if (changed) broadcast(socket, ServerEvent.MessageUpdated, message);
        return message;
      },
      handlerOptions,
    );

    onClientEvent(
      socket,
      ClientEvent.MessageReact,
      async (payload, { userId }) => {
        const message = await messages.react(userId, payload);
        broadcast(socket, ServerEvent.MessageUpdated, message);
        return message;
      },
      handlerOptions,
    );

    onClientEvent(
      socket,
      ClientEvent.ConversationSync,
      async (payload, { userId }) => messages.sync(userId, payload),
      handlerOptions,
    );
  });
};

export default messagesSocket;
