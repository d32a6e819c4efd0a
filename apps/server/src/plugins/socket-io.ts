import {
  ErrorCode,
  SOCKET_MAX_FRAME_BYTES,
  type ClientToServerEvents,
  type ConnectErrorData,
  type Presence,
  type ServerToClientEvents,
  type SocketData,
} from '@parley/shared';
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

/** A user's new presence, with the conversations whose members are to hear of it. */
export interface PresenceChange extends Presence {
  conversationIds: number[];
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
