import { ErrorCode } from '@parley/shared';
import type { FastifyBaseLogger } from 'fastify';
import { AppError } from '../../lib/app-error.js';
import type { SocketHandlerContext } from '../../lib/socket-handler.js';
import type { ParleyServer, ParleySocket } from '../../plugins/socket-io.js';
import { createSessionChecks, type SessionStores } from './session-checks.js';
import {
  SESSION_END_MESSAGES as MESSAGES,
  createSessionEndings,
  type SessionEndCode,
} from './session-endings.js';
import { createSweep, sweepIntervalMs } from './session-sweep.js';

export type { SessionEndCode };

export interface SessionSocketsDeps extends SessionStores {
  io: ParleyServer;
  /**
   * How long (ms) a socket's session stays valid without asking the store again: each check puts the
   * next one between 0.75 and 1 times this later. Bounds how long a change made outside Parley's own
   * logout and deactivation (which end sockets at once) can go unnoticed. Events inside it cost no I/O.
   */
  recheckMs: number;
  log: FastifyBaseLogger;
  now?: () => number;
  /** In [0, 1): where in its window a socket's next check falls. */
  random?: () => number;
}

export type SessionSockets = ReturnType<typeof createSessionSockets>;

/**
 * Ends sockets whose session is over, so a socket never outlives its session.
 *
 * - Periodically, without any event: one sweep timer per process (every `sweepIntervalMs`,
 *   session-sweep.ts) collects the sockets whose check is due, that is whose session expired or which
 *   were last checked 0.75–1 × `recheckMs` ago, and checks them together (session-checks.ts),
 *   `MAX_READ` sockets a read: their sessions in
 *   one query (sockets of one session share it), bot tokens in one, their users in one. A socket
 *   whose session expired is ended without a read (sessions do not roll). The jitter spreads sockets
 *   that connected together (a connect storm, a restart) over a quarter of `recheckMs` at their next
 *   check, and further at each one after, so they do not come back as one wave; a change made
 *   behind the server's back is noticed within `recheckMs` and a batch's read. A socket is swept
 *   about two intervals before its validity runs out, so the read normally renews it in time.
 * - On each client event: a comparison with the time the session is known valid until, so an event
 *   costs no I/O; past it (only when the read that was to renew it is late), the event waits for its
 *   socket's check, which joins the next batch at once.
 * - Logout and deactivation end the sockets of a session or user on every process at once through
 *   their rooms (the Redis adapter carries both the event and the disconnect, in order).
 * - Right after a socket connects, once more: a logout or deactivation decided while it was still in
 *   the handshake could not reach it through the rooms yet. Sockets connecting together share a batch.
 * - A read that fails (an outage) keeps its sockets, unless their expiry has passed, and tries them
 *   again within a few seconds.
 *
 * One batch reads at a time; sockets that become due meanwhile (or connect, or have an event waiting)
 * gather for the next one, so a slower database gets fewer, larger reads.
 *
 * An ended socket first receives `session:ended { code, message }` (`auth/unauthenticated`,
 * `auth/deactivated` or `auth/token_revoked`), then a server-side disconnect; the web app signs out
 * on either.
 */
export function createSessionSockets({
  io,
  now = Date.now,
  random = Math.random,
  ...checked
}: SessionSocketsDeps) {
  const { endSession, endUser, endEverywhere } = createSessionEndings(io);
  /**
   * A watched socket's whole state here, no timer and no closure of its own: until when its session is
   * known valid without asking the store (ms since the epoch), its place in the sweep or its batch.
   */
  const validUntil = new WeakMap<ParleySocket, number>();
  const sweepMs = sweepIntervalMs(checked.recheckMs);
  const sweep = createSweep<ParleySocket>({
    intervalMs: sweepMs,
    now,
    due: (socket) => void checks.check(socket),
  });
  const checks = createSessionChecks({
    ...checked,
    now,
    random,
    isWatched: (socket) => validUntil.has(socket),
    /**
     * Valid until `at`. A renewal is swept two intervals earlier, so it is normally read and the
     * validity renewed before it runs out: in steady state no event waits for a read, only when a read
     * takes longer than that margin (a slow or absent database). Swept at `at` instead, about one
     * socket's event in fifty waited for a whole batch's read. An expiry needs no read and a retry
     * after a failed read keeps its pace: both are swept at `at`.
     */
    keep(socket, at, renewal) {
      validUntil.set(socket, at);
      if (socket.connected) sweep.add(socket, renewal ? at - 2 * sweepMs : at);
    },
    end: endEverywhere,
  });

  /** Socket.IO calls it with the socket as `this`: one shared listener instead of a closure per socket. */
  function forget(this: ParleySocket): void {
    sweep.remove(this);
    validUntil.delete(this);
  }

  return {
    endSession,
    endUser,

    /** Starts watching a socket that has just connected: its first check joins the next batch. */
    watch(socket: ParleySocket): void {
      validUntil.set(socket, 0);
      socket.on('disconnect', forget);
      void checks.check(socket);
    },

    /**
     * Before every client event (`SocketHandlerOptions.beforeEach`): refuses it with
     * `auth/unauthenticated`, `auth/deactivated` or `auth/token_revoked` when the session is over,
     * and then ends the socket once the refusal has been sent. Throws the read's error (retryable)
     * when the stores could not be read.
     */
    async check({ socket }: SocketHandlerContext): Promise<void> {
      const until = validUntil.get(socket);
      if (until === undefined)
        throw new AppError(ErrorCode.Unauthenticated, MESSAGES[ErrorCode.Unauthenticated]);
      const at = now();
      if (at < until && at < socket.data.sessionExpiresAt) return;
      // Checked now rather than at its turn in the sweep.
      sweep.remove(socket);
      const { ended, failed } = await checks.check(socket);
      const code = ended.get(socket);
      if (code) throw new AppError(code, MESSAGES[code]);
      if (failed.has(socket)) throw failed.get(socket);
    },

    /** Stops the sweep and waits for the batch being read (the app's onClose). */
    async close(): Promise<void> {
      sweep.close();
      await checks.close();
    },
  };
}
