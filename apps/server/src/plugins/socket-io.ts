import {
  ErrorCode,
  SOCKET_MAX_FRAME_BYTES,
  type ClientToServerEvents,
  type ConnectErrorData,
  type Presence,
  type ServerToClientEvents,
  type SocketData,
} from '@parley/shared';
import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';
import { Server, type Socket } from 'socket.io';
import { toAppError } from '../lib/app-error.js';
import { isAllowedRequestOrigin } from '../lib/request-origin.js';
import { bearerToken, type BearerIdentity } from './bearer-auth.js';
import { useRedisAdapter } from './socket-io-redis.js';

/** Why a token is refused at the handshake: final answers, never retried by the client. */
const TOKEN_REFUSALS: ReadonlySet<string> = new Set([
  ErrorCode.InvalidToken,
  ErrorCode.TokenRevoked,
  ErrorCode.AccountDeactivated,
]);

/**
 * A user's new presence, with the conversations whose members are to hear of it: every member of
 * `conversationIds` (their rooms), only the watchers of `watchedIds` (large groups, their
 * `rooms.presenceWatch`; features/presence/presence.service.ts).
 */
export interface PresenceChange extends Presence {
  conversationIds: number[];
  watchedIds: number[];
}

/** Names of what Parley processes tell each other (server-side only, not part of the client contract). */
export const InterServerEvent = {
  // eslint-disable-next-line no-restricted-syntax -- the one place this inter-process name is spelled
  PresenceChanges: 'presence:changes',
} as const;

/** What Parley processes tell each other through the Redis adapter (`io.serverSideEmit`). */
export interface InterServerEvents {
  /** The presence changes one process gathered in one window, for every process to deliver. */
  [InterServerEvent.PresenceChanges]: (changes: PresenceChange[]) => void;
}

export type ParleyServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ParleySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

declare module 'fastify' {
  interface FastifyInstance {
    io: ParleyServer;
  }
}

export interface SocketIoPluginOptions {
  allowedOrigins: string[];
  redis: { url: string; keyPrefix: string } | null;
  /** Bytes one connection may have waiting to be written before it is closed (see boundBacklogs). */
  maxQueuedBytes: number;
  /** Bot tokens (plugins/bearer-auth.ts): resolves one or throws an AppError saying why not. */
  authenticateBearer(token: string): Promise<BearerIdentity>;
}

/** A bot's token in the handshake: `auth: { token }` (browsers cannot set headers) or `Authorization`. */
function handshakeToken(handshake: { auth: Record<string, unknown>; headers: { authorization?: string } }) {
  const { token } = handshake.auth;
  if (typeof token === 'string') return token;
  return bearerToken(handshake.headers.authorization);
}

/** Socket.IO rooms. A user's room reaches each of their tabs on every server process. */
export const rooms = {
  user: (userId: number) => `user:${userId}`,
  session: (sessionId: string) => `session:${sessionId}`,
  conversation: (conversationId: number) => `conversation:${conversationId}`,
  /** The sockets following a large group's presence (`presence:watch`). */
  presenceWatch: (conversationId: number) => `presence-watch:${conversationId}`,
  isPresenceWatch: (room: string) => room.startsWith('presence-watch:'),
};

/**
 * A handshake that failed on a dependency: whatever went wrong, the client can only try again.
 * Overload says when (`server/busy` with `retryAfterMs`, lib/db-failures.ts); anything else is
 * `server/unavailable`, which clients retry with a back-off.
 */
export function retryableConnectError(error: unknown, message: string): Error {
  const appError = toAppError(error);
  return appError.code === ErrorCode.Busy
    ? connectError(ErrorCode.Busy, 'The server is busy; retrying', appError.retryAfterMs)
    : connectError(ErrorCode.Unavailable, message);
}

/** A handshake refusal: the client reads `err.data` (`retryAfterMs` with `server/busy`). */
export function connectError(code: ConnectErrorData['code'], message: string, retryAfterMs?: number): Error {
  const error = new Error(message) as Error & { data: ConnectErrorData };
  error.data = retryAfterMs === undefined ? { code } : { code, retryAfterMs };
  return error;
}

/** An Engine.IO connection: what carries one client's packets, whatever its transport. */
type Connection = ParleySocket['conn'];

/** What a queued packet holds besides its data (the packet and its options), counted with it. */
const PACKET_OVERHEAD_BYTES = 64;

/** Bytes of a packet's data: UTF-16 code units for text (bytes for ASCII), byte length for binary. */
function dataBytes(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

/**
 * Ends a connection's TCP stream at once when its transport is a WebSocket: Engine.IO's websocket
 * transport keeps the `ws` WebSocket as `transport.socket` (untyped), whose `terminate()` destroys it.
 * Polling transports have none and are left to `close()`.
 */
function terminateWebSocket(connection: Connection): void {
  const socket: unknown = (connection.transport as { socket?: unknown }).socket;
  if (typeof socket === 'object' && socket !== null && 'terminate' in socket) {
    const terminate = socket.terminate;
    if (typeof terminate === 'function') terminate.call(socket);
  }
}

/**
 * Slow consumers. Engine.IO keeps what it sends a client in memory, in the connection's queue, while
 * the connection's previous write has not reached the kernel; a client that stops reading (or reads
 * slower than its rooms are written to, or floods requests and never reads the answers) makes that
 * queue grow without limit until the heartbeat gives up on it (pingInterval + pingTimeout, 40 s).
 * Each connection's queue is bounded instead: once more than `maxQueuedBytes` wait, the connection
 * is closed (Engine.IO's reason: `forced close`), and its client reconnects and catches up
 * (conversation:sync) when it reads again. What has reached the transport is at most one queue's
 * worth more: the next flush waits for that write to finish.
 *
 * One shared listener pair and a WeakMap entry per connection, no closure: a queue that is written
 * at once costs an addition and a reset per packet.
 */
function boundBacklogs(io: ParleyServer, maxQueuedBytes: number, log: FastifyBaseLogger): void {
  const queued = new WeakMap<Connection, number>();

  function count(this: Connection, packet: { data?: unknown }): void {
    const before = queued.get(this) ?? 0;
    const after = before + PACKET_OVERHEAD_BYTES + dataBytes(packet.data);
    queued.set(this, after);
    // Once per crossing, after the packet is queued and whatever sent it has returned.
    if (before <= maxQueuedBytes && after > maxQueuedBytes) setImmediate(closeIfStillBehind, this);
  }

  function written(this: Connection): void {
    queued.delete(this);
  }

  function closeIfStillBehind(connection: Connection): void {
    const bytes = queued.get(connection) ?? 0;
    if (bytes <= maxQueuedBytes || connection.readyState !== 'open') return;
    log.warn(
      { queuedBytes: bytes, remoteAddress: connection.remoteAddress },
      'socket closed: its client does not read what it is sent',
    );
    // Discarding: a graceful close would wait for the queue to be written, which is what never happens.
    connection.close(true);
    // And at once: a WebSocket's closing handshake would hold the connection, and what its kernel and
    // `ws` buffers hold, for `ws`'s 30 s close timeout.
    terminateWebSocket(connection);
  }

  io.engine.on('connection', (connection: Connection) => {
    connection.on('packetCreate', count);
    connection.on('flush', written);
  });
}

/** What `writeBroadcastFrames` reads of a WebSocket transport's `ws` WebSocket (untyped members). */
interface WsSocket {
  readyState: number;
  /** The TCP socket: its `writableLength` is what Node holds that the kernel has not taken yet. */
  _socket: { writableLength: number };
  /** ws's frame writer: `sendFrame([header, payload], cb)` writes a frame already built. */
  _sender: { sendFrame(frame: Buffer[], cb?: () => void): void };
}
/** `ws`'s WebSocket.OPEN. */
const WS_OPEN = 1;
/** What Engine.IO's own `write` is (every connection's prototype has it). */
type EngineWrite = Connection['write'];
let engineWrite: EngineWrite | undefined;

/**
 * Broadcast frames go straight to the WebSocket when nothing waits ahead of them. A broadcast is
 * encoded once, and Socket.IO builds its WebSocket frame once too (`options.wsPreEncodedFrame`); each
 * recipient's copy then still goes through Engine.IO's queue: a packet object, its `packetCreate`,
 * `flush` and `drain` events, the transport's `drain` and `ready` on the write's completion. At
 * 2,000 messages a second into rooms of ten, that is 40,000 times a second, most of the fan-out's
 * JavaScript. Here a recipient whose queue is empty, whose transport is a writable WebSocket and
 * whose TCP socket holds nothing unwritten gets the frame written at once, as Engine.IO's websocket
 * transport itself writes it (`ws`'s `sendFrame`, no compression). Order holds: the frame goes
 * behind everything already handed to the TCP socket, and nothing is queued behind Engine.IO's back.
 * Anything else (a queue or a write in flight, a polling transport, a packet with a callback) takes
 * Engine.IO's way, so a client that does not keep up is queued and bounded (boundBacklogs).
 */
function writeBroadcastFrames(io: ParleyServer): void {
  function write(this: Connection, ...args: Parameters<EngineWrite>): Connection {
    const [, options, callback] = args;
    const frame = (options as { wsPreEncodedFrame?: Buffer[] } | undefined)?.wsPreEncodedFrame;
    if (frame !== undefined && callback === undefined && this.readyState === 'open') {
      const { transport } = this;
      const queue = (this as unknown as { writeBuffer: unknown[] }).writeBuffer;
      if (transport.writable && queue.length === 0 && transport.name === 'websocket') {
        const { socket: ws, perMessageDeflate } = transport as unknown as {
          socket: WsSocket;
          perMessageDeflate: unknown;
        };
        if (
          !perMessageDeflate &&
          ws.readyState === WS_OPEN &&
          ws._socket.writableLength === 0 &&
          typeof ws._sender.sendFrame === 'function'
        ) {
          ws._sender.sendFrame(frame);
          return this;
        }
      }
    }
    return engineWrite!.apply(this, args);
  }
  io.engine.on('connection', (connection: Connection) => {
    engineWrite ??= Object.getPrototypeOf(connection).write as EngineWrite;
    connection.write = write;
  });
}

export default fp<SocketIoPluginOptions>(
  async (fastify, options) => {
    const io: ParleyServer = new Server(fastify.server, {
      maxHttpBufferSize: SOCKET_MAX_FRAME_BYTES,
      pingInterval: 20_000,
      pingTimeout: 20_000,
      cors: { origin: options.allowedOrigins, credentials: true },
      serveClient: false,
    });

    const adapterClients = options.redis ? await useRedisAdapter(io, options.redis, fastify.log) : [];
    boundBacklogs(io, options.maxQueuedBytes, fastify.log);
    writeBroadcastFrames(io);

    // Cross-site WebSocket hijacking: a page on another origin must not ride on the user's cookie.
    // The same rule as for state-changing HTTP requests; clients that are not browsers still have to
    // present a session cookie below.
    io.use((socket, next) => {
      const { headers } = socket.handshake;
      if (!isAllowedRequestOrigin(headers, options.allowedOrigins)) {
        fastify.log.warn(
          { origin: headers.origin, secFetchSite: headers['sec-fetch-site'] },
          'socket refused: origin not allowed',
        );
        return next(connectError(ErrorCode.OriginNotAllowed, 'This origin may not connect'));
      }
      next();
    });

    io.use((socket, next) => {
      const token = handshakeToken(socket.handshake);
      if (token === undefined) return next();
      options.authenticateBearer(token).then(
        (identity) => {
          socket.data.userId = identity.userId;
          socket.data.sessionId = identity.sessionId;
          // Tokens do not expire; session-sockets.ts reads the token again every recheck.
          socket.data.sessionExpiresAt = Number.MAX_SAFE_INTEGER;
          socket.join([rooms.user(identity.userId), rooms.session(identity.sessionId)]);
          next();
        },
        (error: unknown) => {
          const appError = toAppError(error);
          if (TOKEN_REFUSALS.has(appError.code)) return next(connectError(appError.code, appError.message));
          fastify.log.error({ err: error }, 'socket token lookup failed');
          next(retryableConnectError(error, 'Could not check the token; retrying'));
        },
      );
    });

    io.use((socket, next) => {
      if (socket.data.sessionId) return next();
      fastify.sessions.resolve(socket.handshake.headers.cookie).then(
        (session) => {
          if (!session) return next(connectError(ErrorCode.Unauthenticated, 'Sign in first'));
          socket.data.userId = session.userId;
          socket.data.sessionId = session.sessionId;
          socket.data.sessionExpiresAt = session.expiresAt;
          socket.join([rooms.user(session.userId), rooms.session(session.sessionId)]);
          next();
        },
        (error: unknown) => {
          fastify.log.error({ err: error }, 'socket session lookup failed');
          next(retryableConnectError(error, 'Could not check the session; retrying'));
        },
      );
    });

    fastify.decorate('io', io);

    // Before the HTTP server stops: end every socket so its client reconnects elsewhere.
    fastify.addHook('preClose', async () => {
      io.local.disconnectSockets(true);
      io.engine.close();
    });
    fastify.addHook('onClose', async () => {
      await Promise.allSettled([...io._nsps.values()].map((namespace) => namespace.adapter.close()));
      for (const client of adapterClients) client.disconnect();
    });
  },
  { name: 'socket-io', dependencies: ['session'] },
);

export type { Socket };
