import {
  clientEventContract,
  ErrorCode,
  type Ack,
  type ClientEventAck,
  type ClientEventName,
  type ClientEventPayload,
} from '@parley/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { ZodType } from 'zod';
import { invalid, toAppError } from './app-error.js';
import type { ParleySocket } from '../plugins/socket-io.js';
import type { SendQueue } from './send-queue.js';

export interface SocketHandlerContext {
  socket: ParleySocket;
  userId: number;
  event: ClientEventName;
}

export interface SocketHandlerOptions {
  log: FastifyBaseLogger;
  /** Called before the payload is even parsed, so a flood costs the server as little as possible. */
  beforeEach?: (context: SocketHandlerContext) => Promise<void>;
  /**
   * Runs the handler through this queue (lib/send-queue.ts): its place is taken as the event arrives,
   * so one user's events are handled one at a time in the order they were sent.
   */
  queue?: SendQueue;
}

/**
 * Binds a client event: validates the payload with the event's schema from the shared contract
 * (clientEventContract) first, runs the handler and answers the acknowledgement with `{ ok, data }` or
 * `{ ok: false, error }`. Nothing a client sends can throw past this point; an event without an
 * acknowledgement callback is ignored.
 */
export function onClientEvent<E extends ClientEventName>(
  socket: ParleySocket,
  event: E,
  handler: (payload: ClientEventPayload<E>, context: SocketHandlerContext) => Promise<ClientEventAck<E>>,
  options: SocketHandlerOptions,
): void {
  const schema: ZodType = clientEventContract[event].payload;
  const listener = async (...args: unknown[]): Promise<void> => {
    const ack = args[args.length - 1];
    if (typeof ack !== 'function') {
      options.log.debug({ event }, 'socket event without acknowledgement ignored');
      return;
    }
    const reply = ack as (response: Ack<ClientEventAck<E>>) => void;
    const context = { socket, userId: socket.data.userId, event };
    // Before the first await: this is what keeps the order the events arrived in.
    const ticket = options.queue?.take(context.userId);
    try {
      await options.beforeEach?.(context);
      const parsed = schema.safeParse(args.length > 1 ? args[0] : undefined);
      if (!parsed.success) throw invalid(parsed.error);
      const work = () => handler(parsed.data as ClientEventPayload<E>, context);
      reply({ ok: true, data: await (ticket ? ticket.run(work) : work()) });
    } catch (error) {
      ticket?.cancel();
      const appError = toAppError(error);
      if (appError.code === ErrorCode.Internal) {
        options.log.error({ err: error, event, userId: context.userId }, 'socket event failed');
      } else if (appError.statusCode >= 500) {
        // Overload or an outage: expected under load, and answered as retryable.
        options.log.warn({ err: error, event, userId: context.userId }, 'socket event refused for now');
      }
      reply({ ok: false, error: appError.toJSON() });
    }
  };
  // The typed `on` wants the exact listener signature; the payload is untrusted until parsed above.
  (socket.on as (event: string, listener: (...args: unknown[]) => void) => void)(event, (...args) => {
    void listener(...args);
  });
}
