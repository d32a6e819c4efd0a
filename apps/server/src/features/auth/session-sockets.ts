import { ErrorCode } from '@parley/shared';
import type { FastifyBaseLogger } from 'fastify';
import { AppError } from '../../lib/app-error.js';
import type { SocketHandlerContext } from '../../lib/socket-handler.js';
import type { ParleyServer, ParleySocket } from '../../plugins/socket-io.js';
import {
  SESSION_END_MESSAGES as MESSAGES,
  createSessionEndings,
  type SessionEndCode,
} from './session-endings.js';

export type { SessionEndCode };

/** A session that holds: its user, and when it ends (ms since the epoch). */
export interface HeldSession {
  userId: number;
  expiresAt: number;
}

export interface SessionSocketsDeps {
  io: ParleyServer;
  /**
   * Sessions by id, read together, as the stores have them now: a session that holds, or the code
   * saying why it is over (a bot's revoked token: features/bots/bot-tokens.ts). An id missing from
   * the answer has ended. Called with at most `MAX_READ` ids.
   */
  currentSessions(sessionIds: readonly string[]): Promise<Map<string, HeldSession | SessionEndCode>>;
  /** Which of these users are active (not deactivated), in one read; at most `MAX_READ` ids. */
  activeUsers(userIds: readonly number[]): Promise<Set<number>>;
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

/** The most sockets one read checks (a batch larger reads in turns): its `IN (…)` lists stay this short. */
export const MAX_READ = 512;
/** The next check of a socket comes between this fraction of recheckMs and all of it. */
const JITTER_FROM = 0.75;
/** After a failed read (an outage), sockets are tried again this soon (or after recheckMs if shorter). */
const RETRY_MS = 5_000;

/**
 * How often (ms) each process looks for sockets whose check is due: a quarter of recheckMs, at most a
 * second. An idle socket is ended at most this long after its session's expiry.
 */
export function sweepIntervalMs(recheckMs: number): number {
  return Math.min(1_000, Math.max(10, Math.floor(recheckMs / 4)));
}

/** What a batch found: the sockets it ends, and those it could not check with the read's error. */
interface BatchResult {
  ended: Map<ParleySocket, SessionEndCode>;
  failed: Map<ParleySocket, unknown>;
}

/** Sockets checked together; events waiting for one of them wait for `done`. */
interface Batch {
  sockets: Set<ParleySocket>;
  done: Promise<BatchResult>;
  finish(result: BatchResult): void;
}

/** A socket's whole state here: no timer and no closure of its own. */
interface Guard {
  /** Until when the session is known to be valid without asking the store (ms since the epoch). */
  validUntil: number;
  /** The sweep slot the socket waits in for its next check, or NO_SLOT. */
  slot: number;
  /** The batch that is to check it (waiting or reading), or null. */
  batch: Batch | null;
}

const NO_SLOT = -1;

function newBatch(): Batch {
  let finish!: (result: BatchResult) => void;
  const done = new Promise<BatchResult>((resolve) => {
    finish = resolve;
  });
  return { sockets: new Set(), done, finish };
}

/**
 * Ends sockets whose session is over, so a socket never outlives its session.
 *
 * - Periodically, without any event: one sweep timer per process (every `sweepIntervalMs`) collects
 *   the sockets whose check is due, that is whose session expired or which were last checked
 *   0.75–1 × `recheckMs` ago, and checks them together, `MAX_READ` sockets a read: their sessions in
 *   one query (sockets of one session share it), bot tokens in one, their users in one. A socket
 *   whose session expired is ended without a read (sessions do not roll). The jitter spreads sockets
 *   that connected together (a connect storm, a restart) over a quarter of `recheckMs` at their next
 *   check, and further at each one after, so they do not come back as one wave; a change made
 *   behind the server's back is noticed within `recheckMs` and a batch's read. A socket is swept one
 *   to two intervals before its validity runs out, so the read normally renews it in time.
 * - On each client event: a comparison with the time the session is known valid until, so an event
 *   costs no I/O; past it (only when the read that was to renew it is late), the event waits for its
 *   socket's check, which joins the next batch at once.
 * - Logout and deactivation end the sockets of a session or user on every process at once through
 *   their rooms (the Redis adapter carries both the event and the disconnect, in order).
 * - Right after a socket connects, once more: a logout or deactivation decided while it was still in
 *   the handshake could not reach it through the rooms yet. Sockets connecting together share a batch.
 * - A read that fails (an outage) keeps its sockets, unless their expiry has passed, and tries them
 *   again within `RETRY_MS`.
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
  currentSessions,
  activeUsers,
  recheckMs,
  log,
  now = Date.now,
  random = Math.random,
}: SessionSocketsDeps) {
  const sweepMs = sweepIntervalMs(recheckMs);
  const { endSession, endUser, endEverywhere } = createSessionEndings(io);
  const guards = new WeakMap<ParleySocket, Guard>();
  /** Sockets waiting for their next check, by slot: the sweep interval (count since the epoch) it is due in. */
  const slots = new Map<number, Set<ParleySocket>>();
  let next: Batch | null = null;
  let reading: Promise<void> | null = null;
  let flushQueued = false;
  let sweeper: NodeJS.Timeout | null = null;
  let closed = false;

  function unslot(socket: ParleySocket, guard: Guard): void {
    if (guard.slot === NO_SLOT) return;
    const waiting = slots.get(guard.slot);
    waiting?.delete(socket);
    if (waiting?.size === 0) slots.delete(guard.slot);
    guard.slot = NO_SLOT;
  }

  /**
   * Valid until `at` (and out of the batch that checked it). The next check is due in the sweep
   * interval that ends one to two intervals before `at`, so it is normally read and the validity
   * renewed before it runs out: in steady state no event waits for a read, only when a read takes
   * longer than that margin (a slow or absent database). An expiry needs no read, so a socket whose
   * session ends at `at` is swept at `at`.
   */
  function schedule(socket: ParleySocket, guard: Guard, at: number): void {
    guard.validUntil = at;
    guard.batch = null;
    if (!socket.connected || closed) return;
    guard.slot =
      at >= socket.data.sessionExpiresAt
        ? Math.ceil(at / sweepMs)
        : Math.max(Math.floor(now() / sweepMs) + 1, Math.floor(at / sweepMs) - 1);
    let waiting = slots.get(guard.slot);
    if (!waiting) slots.set(guard.slot, (waiting = new Set()));
    waiting.add(socket);
    if (!sweeper) {
      sweeper = setInterval(sweep, sweepMs);
      sweeper.unref();
    }
  }

  function sweep(): void {
    const current = Math.floor(now() / sweepMs);
    for (const [slot, waiting] of slots) {
      if (slot > current) continue;
      slots.delete(slot);
      for (const socket of waiting) {
        const guard = guards.get(socket);
        if (!guard) continue;
        guard.slot = NO_SLOT;
        enqueue(socket, guard);
      }
    }
    if (slots.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = null;
    }
  }

  /** The batch that is to check this socket: the one it is already in, or the next. */
  function enqueue(socket: ParleySocket, guard: Guard): Batch {
    if (guard.batch) return guard.batch;
    unslot(socket, guard);
    next ??= newBatch();
    next.sockets.add(socket);
    guard.batch = next;
    if (!flushQueued && !reading) {
      flushQueued = true;
      setImmediate(flush);
    }
    return next;
  }

  function flush(): void {
    flushQueued = false;
    if (reading || !next) return;
    const batch = next;
    next = null;
    reading = check(batch)
      .catch((error: unknown) => log.error({ err: error }, 'socket session checks failed'))
      .finally(() => {
        reading = null;
        if (next) flush();
      });
  }

  /** Reads the batch's sessions and users, schedules the sockets that stay, ends the others. */
  async function check(batch: Batch): Promise<void> {
    const result: BatchResult = { ended: new Map(), failed: new Map() };
    const toRead: ParleySocket[] = [];
    const checkedAt = now();
    for (const socket of batch.sockets) {
      if (!socket.connected || !guards.has(socket)) continue;
      // Sessions do not roll: an expiry that passed needs no read.
      if (socket.data.sessionExpiresAt <= checkedAt) result.ended.set(socket, ErrorCode.Unauthenticated);
      else toRead.push(socket);
    }
    try {
      for (let start = 0; start < toRead.length; start += MAX_READ) {
        await checkChunk(toRead.slice(start, start + MAX_READ), result);
      }
    } finally {
      // The sockets that stay were scheduled (and left the batch) as their chunk was read.
      for (const socket of batch.sockets) {
        const guard = guards.get(socket);
        if (guard?.batch === batch) guard.batch = null;
      }
      batch.finish(result);
      // After the events waiting for this batch have been refused: their answer goes out first.
      if (result.ended.size > 0) setImmediate(endEverywhere, result.ended);
    }
  }

  async function checkChunk(sockets: ParleySocket[], result: BatchResult): Promise<void> {
    try {
      const [sessions, active] = await Promise.all([
        currentSessions([...new Set(sockets.map((socket) => socket.data.sessionId))]),
        activeUsers([...new Set(sockets.map((socket) => socket.data.userId))]),
      ]);
      const readAt = now();
      for (const socket of sockets) {
        const code = verdict(socket, sessions, active);
        if (code) result.ended.set(socket, code);
        else {
          const nextCheck = readAt + recheckMs * (1 - (1 - JITTER_FROM) * random());
          reschedule(socket, Math.min(socket.data.sessionExpiresAt, nextCheck));
        }
      }
    } catch (error) {
      // The stores could not be read (an outage): an expiry already passed is still a fact, and
      // anything else keeps the socket until a later check can tell.
      log.warn({ err: error, sockets: sockets.length }, 'socket session check failed; retrying');
      const failedAt = now();
      for (const socket of sockets) {
        if (socket.data.sessionExpiresAt <= failedAt) result.ended.set(socket, ErrorCode.Unauthenticated);
        else {
          result.failed.set(socket, error);
          const retryAt = failedAt + Math.min(recheckMs, RETRY_MS);
          reschedule(socket, Math.min(socket.data.sessionExpiresAt, retryAt));
        }
      }
    }
  }

  function reschedule(socket: ParleySocket, at: number): void {
    const guard = guards.get(socket);
    if (guard) schedule(socket, guard, at);
  }

  function verdict(
    socket: ParleySocket,
    sessions: Map<string, HeldSession | SessionEndCode>,
    active: Set<number>,
  ): SessionEndCode | null {
    const { sessionId, userId } = socket.data;
    const session = sessions.get(sessionId);
    if (typeof session === 'string') return session;
    if (!session || session.userId !== userId) return ErrorCode.Unauthenticated;
    if (!active.has(userId)) return ErrorCode.AccountDeactivated;
    socket.data.sessionExpiresAt = session.expiresAt;
    return null;
  }

  /** Socket.IO calls it with the socket as `this`: one shared listener instead of a closure per socket. */
  function forget(this: ParleySocket): void {
    const guard = guards.get(this);
    if (guard) unslot(this, guard);
    guards.delete(this);
  }

  return {
    endSession,
    endUser,

    /** Starts watching a socket that has just connected: its first check joins the next batch. */
    watch(socket: ParleySocket): void {
      const guard: Guard = { validUntil: 0, slot: NO_SLOT, batch: null };
      guards.set(socket, guard);
      socket.on('disconnect', forget);
      enqueue(socket, guard);
    },

    /**
     * Before every client event (`SocketHandlerOptions.beforeEach`): refuses it with
     * `auth/unauthenticated`, `auth/deactivated` or `auth/token_revoked` when the session is over,
     * and then ends the socket once the refusal has been sent. Throws the read's error (retryable)
     * when the stores could not be read.
     */
    async check({ socket }: SocketHandlerContext): Promise<void> {
      const guard = guards.get(socket);
      if (!guard) throw new AppError(ErrorCode.Unauthenticated, MESSAGES[ErrorCode.Unauthenticated]);
      const at = now();
      if (at < guard.validUntil && at < socket.data.sessionExpiresAt) return;
      const { ended, failed } = await enqueue(socket, guard).done;
      const code = ended.get(socket);
      if (code) throw new AppError(code, MESSAGES[code]);
      if (failed.has(socket)) throw failed.get(socket);
    },

    /** Stops the sweep and waits for the batch being read (the app's onClose). */
    async close(): Promise<void> {
      closed = true;
      if (sweeper) clearInterval(sweeper);
      sweeper = null;
      slots.clear();
      await reading;
    },
  };
}
