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
import { refusalLogOf } from './refusal-log.js';
import type { ParleyServer, ParleySocket } from '../plugins/socket-io.js';
import type { SendQueue } from './send-queue.js';
import { socketEventChannel, type SocketEventTrace } from './trace.js';

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

type Listener = (socket: ParleySocket, args: unknown[]) => void;

/** Each server's client-event listeners by event name, and whether its sockets get the dispatcher. */
const listenersByServer = new WeakMap<ParleyServer, Map<string, Listener>>();

/**
 * The table of `io`, made on first use along with the one dispatcher every socket of `io` gets with
 * `onAny`: Socket.IO calls it with the socket as `this` (socket.io `Socket#onevent`), so a socket
 * holds one reference to a shared function instead of a closure per event. Packets that arrive
 * after the socket disconnected are ignored, as Socket.IO's own dispatch does.
 */
function listenersOf(io: ParleyServer): Map<string, Listener> {
  let listeners = listenersByServer.get(io);
  if (listeners) return listeners;
  const table = new Map<string, Listener>();
  listeners = table;
  listenersByServer.set(io, table);
  function dispatch(this: ParleySocket, event: string, ...args: unknown[]): void {
    if (this.connected) table.get(event)?.(this, args);
  }
  io.on('connection', (socket) => socket.onAny(dispatch));
  return table;
}

/**
 * Binds a client event for every socket of `io`: validates the payload with the event's schema from
 * the shared contract (clientEventContract) first, runs the handler and answers the acknowledgement
 * with `{ ok, data }` or `{ ok: false, error }`. Nothing a client sends can throw past this point; an
 * event without an acknowledgement callback, or one nobody handles, is ignored.
 *
 * Bound once per server, not per socket: the handler gets the socket in its context. Closures made
 * per socket for each event cost several KiB a connection (heap snapshots, docs/benchmarks.md
 * "Idle connections and presence events"). One handler per event: binding one twice is a bug.
 */
export function handleClientEvent<E extends ClientEventName>(
  io: ParleyServer,
  event: E,
  handler: (payload: ClientEventPayload<E>, context: SocketHandlerContext) => Promise<ClientEventAck<E>>,
  options: SocketHandlerOptions,
): void {
  const listeners = listenersOf(io);
  if (listeners.has(event)) throw new Error(`${event} is handled twice`);
  const schema: ZodType = clientEventContract[event].payload;
  listeners.set(event, (socket, args) => {
    void handleOne(socket, args);
  });

  async function handleOne(socket: ParleySocket, args: unknown[]): Promise<void> {
    const ack = args[args.length - 1];
    if (typeof ack !== 'function') {
      options.log.debug({ event }, 'socket event without acknowledgement ignored');
      return;
    }
    const reply = ack as (response: Ack<ClientEventAck<E>>) => void;
    const context = { socket, userId: socket.data.userId, event };
    // Before the first await: this is what keeps the order the events arrived in.
    const ticket = options.queue?.take(context.userId);
    const traced = socketEventChannel.hasSubscribers;
    const arrivedAt = traced ? performance.now() : 0;
    let startedAt = arrivedAt;
    try {
      await options.beforeEach?.(context);
      const parsed = schema.safeParse(args.length > 1 ? args[0] : undefined);
      if (!parsed.success) throw invalid(parsed.error);
      const work = () => {
        if (traced) startedAt = performance.now();
        return handler(parsed.data as ClientEventPayload<E>, context);
      };
      reply({ ok: true, data: await (ticket ? ticket.run(work) : work()) });
      if (traced) publishTrace(event, arrivedAt, startedAt, true);
    } catch (error) {
      ticket?.cancel();
      const appError = toAppError(error);
      if (appError.code === ErrorCode.Internal) {
        options.log.error({ err: error, event, userId: context.userId }, 'socket event failed');
      } else if (appError.statusCode >= 500) {
        // Overload or an outage: expected under load, answered as retryable, logged in summaries.
        refusalLogOf(options.log).record(event, appError, { err: error, userId: context.userId });
      }
      reply({ ok: false, error: appError.toJSON() });
      if (traced) publishTrace(event, arrivedAt, startedAt, false);
    }
  }
}

function publishTrace(event: string, arrivedAt: number, startedAt: number, ok: boolean): void {
  const trace: SocketEventTrace = {
    event,
    queuedMs: startedAt - arrivedAt,
    handledMs: performance.now() - startedAt,
    ok,
  };
  socketEventChannel.publish(trace);
}
