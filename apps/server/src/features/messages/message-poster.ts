import { ServerEvent, type Message, type SendMessagePayload } from '@parley/shared';
import type { Limiter } from '../../plugins/rate-limits.js';
import { rooms, type ParleyServer } from '../../plugins/socket-io.js';
import type { SendQueue } from '../../lib/send-queue.js';
import type { MessagesService } from './messages.service.js';

export interface MessagePosterDeps {
  messages: Pick<MessagesService, 'send'>;
  io: ParleyServer;
  /** The socket's admission control (lib/send-queue.ts): HTTP sends wait in the same per-user lanes. */
  queue: SendQueue;
  /** The same per-user message budget as socket sends (lib/socket-budgets.ts); null when limits are off. */
  budget: Limiter | null;
}

export type MessagePoster = ReturnType<typeof createMessagePoster>;

/**
 * `message:send` for callers without a socket: the HTTP route bots use and webhook replies. The same
 * budget, queue, store and exactly-once rule as the socket's send (messages.service.ts), then the same
 * `message:new` to the conversation's room. Errors are the socket's (`conversation/not_found`,
 * `server/busy`, `request/rate_limited` …).
 */
export function createMessagePoster({ messages, io, queue, budget }: MessagePosterDeps) {
  return async function post(userId: number, payload: SendMessagePayload): Promise<Message> {
    const ticket = queue.take(userId);
    try {
      await budget?.consume(String(userId));
    } catch (error) {
      ticket.cancel();
      throw error;
    }
    const message = await ticket.run(() => messages.send(userId, payload));
    io.to(rooms.conversation(message.conversationId)).emit(ServerEvent.MessageNew, message);
    return message;
  };
}
