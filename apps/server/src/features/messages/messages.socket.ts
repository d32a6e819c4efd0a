import { ClientEvent, ServerEvent, type Message } from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import { failpoint } from '../../lib/failpoints.js';
import type { SendQueue } from '../../lib/send-queue.js';
import { handleClientEvent, type SocketHandlerOptions } from '../../lib/socket-handler.js';
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

  handleClientEvent(
    fastify.io,
    ClientEvent.MessageSend,
    async (payload, { socket, userId }) => {
      const message = await messages.send(userId, payload);
      const held = failpoint('message-send:after-commit');
      if (held) await held;
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

  handleClientEvent(
    fastify.io,
    ClientEvent.MessageEdit,
    async (payload, { socket, userId }) => {
      const message = await messages.edit(userId, payload);
      broadcast(socket, ServerEvent.MessageUpdated, message);
      return message;
    },
    handlerOptions,
  );

  handleClientEvent(
    fastify.io,
    ClientEvent.MessageDelete,
    async (payload, { socket, userId }) => {
      const { message, changed } = await messages.delete(userId, payload);
      if (changed) broadcast(socket, ServerEvent.MessageUpdated, message);
      return message;
    },
    handlerOptions,
  );

  handleClientEvent(
    fastify.io,
    ClientEvent.MessageReact,
    async (payload, { socket, userId }) => {
      const message = await messages.react(userId, payload);
      broadcast(socket, ServerEvent.MessageUpdated, message);
      return message;
    },
    handlerOptions,
  );

  handleClientEvent(
    fastify.io,
    ClientEvent.ConversationSync,
    async (payload, { userId }) => messages.sync(userId, payload),
    handlerOptions,
  );
};

export default messagesSocket;
