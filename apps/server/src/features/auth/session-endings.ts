import { ErrorCode, ServerEvent, type SessionEnded } from '@parley/shared';
import { rooms, type ParleyServer, type ParleySocket } from '../../plugins/socket-io.js';

/** Why a socket's session is over, as `session:ended` and a refused event say it. */
export type SessionEndCode = SessionEnded['code'];

/** What `session:ended` says with each code. */
export const SESSION_END_MESSAGES: Record<SessionEndCode, string> = {
  [ErrorCode.Unauthenticated]: 'Your session has ended; sign in again',
  [ErrorCode.PasswordChanged]: 'Your password was changed; sign in with the new one',
  [ErrorCode.AccountDeactivated]: 'This account has been deactivated',
  [ErrorCode.TokenRevoked]: 'This bot token has been revoked',
};

/**
 * How sockets are ended (session-sockets.ts): `session:ended { code, message }` first, then a
 * server-side disconnect, to one socket or to a session's or user's room on every process (the Redis
 * adapter carries both, in order).
 */
export function createSessionEndings(io: ParleyServer) {
  function end(socket: ParleySocket, code: SessionEndCode): void {
    if (!socket.connected) return;
    socket.emit(ServerEvent.SessionEnded, { code, message: SESSION_END_MESSAGES[code] });
    socket.disconnect(true);
  }

  function endRoom(room: string, code: SessionEndCode): void {
    io.in(room).emit(ServerEvent.SessionEnded, { code, message: SESSION_END_MESSAGES[code] });
    io.in(room).disconnectSockets(true);
  }

  /** Ends one session's sockets on every server process. */
  function endSession(sessionId: string, code: SessionEndCode = ErrorCode.Unauthenticated): void {
    endRoom(rooms.session(sessionId), code);
  }

  /** Ends every socket of a user, on every server process. */
  function endUser(userId: number, code: SessionEndCode): void {
    endRoom(rooms.user(userId), code);
  }

  /**
   * These sockets, and the other sockets of their sessions (or, if deactivated, their users) on
   * every process: each room once, however many of its sockets are in `ended`.
   */
  function endEverywhere(ended: Map<ParleySocket, SessionEndCode>): void {
    const sessions = new Set<string>();
    const users = new Set<number>();
    for (const [socket, code] of ended) {
      end(socket, code);
      const { sessionId, userId } = socket.data;
      if (code === ErrorCode.AccountDeactivated) {
        if (!users.has(userId)) endUser(userId, code);
        users.add(userId);
      } else {
        if (!sessions.has(sessionId)) endSession(sessionId, code);
        sessions.add(sessionId);
      }
    }
  }

  return { endSession, endUser, endEverywhere };
}
