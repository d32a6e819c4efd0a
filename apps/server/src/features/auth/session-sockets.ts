import { ErrorCode, ServerEvent, type SessionEnded } from '@parley/shared';
import type { FastifyBaseLogger } from 'fastify';
import { AppError } from '../../lib/app-error.js';
import type { SocketHandlerContext } from '../../lib/socket-handler.js';
import { rooms, type ParleyServer, type ParleySocket } from '../../plugins/socket-io.js';

export type SessionEndCode = SessionEnded['code'];

export interface SessionSocketsDeps {
  io: ParleyServer;
  /**
   * The session's user and expiry as the store has them now; null once it has ended, or the code
   * saying why (a bot's revoked token: features/bots/bot-tokens.ts).
   */
  currentSession(sessionId: string): Promise<{ userId: number; expiresAt: number } | SessionEndCode | null>;
  isActiveUser(userId: number): Promise<boolean>;
  /**
   * How often (ms) a socket's session is read again from the store while it stays valid: the bound on
   * how long a change made outside Parley's own logout and deactivation (which end sockets at once)
   * can go unnoticed. Events inside it cost no I/O.
   */
  recheckMs: number;
  log: FastifyBaseLogger;
  now?: () => number;
}

export type SessionSockets = ReturnType<typeof createSessionSockets>;

const MESSAGES: Record<SessionEndCode, string> = {
  [ErrorCode.Unauthenticated]: 'Your session has ended; sign in again',
  [ErrorCode.AccountDeactivated]: 'This account has been deactivated',
  [ErrorCode.TokenRevoked]: 'This bot token has been revoked',
};

interface Guard {
  /** Until when the session is known to be valid without asking the store (ms since the epoch). */
  validUntil: number;
  timer: NodeJS.Timeout | undefined;
  checking: Promise<SessionEndCode | null> | null;
}

/**
 * Ends sockets whose session is over, so a socket never outlives its session.
 *
 * - At the session's expiry: a timer per socket fires then (or every `recheckMs` before that), reads
 *   the session and the account again and ends the socket if either is over; nothing needs to happen
 *   on the socket for it to be ended.
 * - On each client event: a comparison with the time the session is known valid until, so an event
 *   costs no I/O; past it (a timer running late), the store is read first.
 * - Logout and deactivation end the sockets of a session or user on every process at once through
 *   their rooms (the Redis adapter carries both the event and the disconnect, in order).
 * - Right after a socket connects, once more: a logout or deactivation decided while it was still in
 *   the handshake could not reach it through the rooms yet.
 *
 * An ended socket first receives `session:ended { code, message }` (`auth/unauthenticated` or
 * `auth/deactivated`), then a server-side disconnect; the web app signs out on either.
 */
export function createSessionSockets({
  io,
  currentSession,
  isActiveUser,
  recheckMs,
  log,
  now = Date.now,
}: SessionSocketsDeps) {
  const guards = new WeakMap<ParleySocket, Guard>();

  function end(socket: ParleySocket, code: SessionEndCode): void {
    if (!socket.connected) return;
    socket.emit(ServerEvent.SessionEnded, { code, message: MESSAGES[code] });
    socket.disconnect(true);
  }

  async function verdict(socket: ParleySocket): Promise<SessionEndCode | null> {
    const { sessionId, userId } = socket.data;
    const session = await currentSession(sessionId);
    if (typeof session === 'string') return session;
    if (!session || session.userId !== userId) return ErrorCode.Unauthenticated;
    if (!(await isActiveUser(userId))) return ErrorCode.AccountDeactivated;
    socket.data.sessionExpiresAt = session.expiresAt;
    return null;
  }

  function arm(socket: ParleySocket, guard: Guard, at: number): void {
    guard.validUntil = at;
    clearTimeout(guard.timer);
    guard.timer = setTimeout(
      () => {
        recheck(socket).then(
          (code) => {
            if (code) endEverywhere(socket, code);
          },
          () => {
            // Logged in recheck; the timer is armed again.
          },
        );
      },
      Math.max(0, at - now()),
    );
    guard.timer.unref();
  }

  /** Reads the session again; arms the next check when it is still valid. */
  function recheck(socket: ParleySocket): Promise<SessionEndCode | null> {
    const guard = guards.get(socket);
    if (!guard) return Promise.resolve(null);
    guard.checking ??= verdict(socket)
      .then(
        (code) => {
          if (!code) arm(socket, guard, Math.min(socket.data.sessionExpiresAt, now() + recheckMs));
          return code;
        },
        (error: unknown) => {
          // The store could not be read (an outage): an expiry already passed is still a fact, and
          // anything else keeps the socket until a later check can tell.
          if (socket.data.sessionExpiresAt <= now()) return ErrorCode.Unauthenticated;
          log.warn({ err: error, userId: socket.data.userId }, 'socket session check failed; retrying');
          arm(socket, guard, now() + Math.min(recheckMs, 5_000));
          throw error;
        },
      )
      .finally(() => {
        guard.checking = null;
      });
    return guard.checking;
  }

  /** This socket, and the other sockets of its session (or, if deactivated, its user) on every process. */
  function endEverywhere(socket: ParleySocket, code: SessionEndCode): void {
    end(socket, code);
    if (code === ErrorCode.AccountDeactivated) endUser(socket.data.userId, code);
    else endSession(socket.data.sessionId, code);
  }

  function endRoom(room: string, code: SessionEndCode): void {
    io.in(room).emit(ServerEvent.SessionEnded, { code, message: MESSAGES[code] });
    io.in(room).disconnectSockets(true);
  }

  /** Ends the sockets of one session, on every server process. */
  function endSession(sessionId: string, code: SessionEndCode = ErrorCode.Unauthenticated): void {
    endRoom(rooms.session(sessionId), code);
  }

  /** Ends every socket of a user, on every server process. */
  function endUser(userId: number, code: SessionEndCode): void {
    endRoom(rooms.user(userId), code);
  }

  return {
    endSession,
    endUser,

    /** Starts watching a socket that has just connected. */
    watch(socket: ParleySocket): void {
      const guard: Guard = { validUntil: 0, timer: undefined, checking: null };
      guards.set(socket, guard);
      socket.on('disconnect', () => clearTimeout(guard.timer));
      recheck(socket).then(
        (code) => {
          if (code) endEverywhere(socket, code);
        },
        () => {
          // Logged in recheck; the timer is armed again.
        },
      );
    },

    /**
     * Before every client event (`SocketHandlerOptions.beforeEach`): refuses it with
     * `auth/unauthenticated` or `auth/deactivated` when the session is over, and then ends the
     * socket once the refusal has been sent.
     */
    async check({ socket }: SocketHandlerContext): Promise<void> {
      const guard = guards.get(socket);
      if (!guard) throw new AppError(ErrorCode.Unauthenticated, MESSAGES[ErrorCode.Unauthenticated]);
      if (now() < guard.validUntil && now() < socket.data.sessionExpiresAt) return;
      const code = await recheck(socket);
      if (!code) return;
      setImmediate(() => endEverywhere(socket, code));
      throw new AppError(code, MESSAGES[code]);
    },
  };
}
