import { ErrorCode } from '@parley/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { ParleySocket } from '../../plugins/socket-io.js';
import type { SessionEndCode } from './session-endings.js';

/** A session that holds: its user, and when it ends (ms since the epoch). */
export interface HeldSession {
  userId: number;
  expiresAt: number;
}

/** Where the checks read sessions and users, each in one read for many sockets. */
export interface SessionStores {
  /**
   * Sessions by id, read together, as the stores have them now: a session that holds, or the code
   * saying why it is over (a bot's revoked token: features/bots/bot-tokens.ts). An id missing from
   * the answer has ended. Called with at most `MAX_READ` ids.
   */
  currentSessions(sessionIds: readonly string[]): Promise<Map<string, HeldSession | SessionEndCode>>;
  /** Which of these users are active (not deactivated), in one read; at most `MAX_READ` ids. */
  activeUsers(userIds: readonly number[]): Promise<Set<number>>;
}

export interface SessionChecksDeps extends SessionStores {
  /** A checked socket's next check falls 0.75 to 1 times this (ms) later (`SessionSocketsDeps.recheckMs`). */
  recheckMs: number;
  log: FastifyBaseLogger;
  now: () => number;
  /** In [0, 1): where in its window a socket's next check falls. */
  random: () => number;
  /** Whether the socket is still watched: one forgotten meanwhile is neither read, ended nor kept. */
  isWatched(socket: ParleySocket): boolean;
  /**
   * A socket whose session holds: valid until `at` (ms since the epoch), when its next check is due.
   * `renewal`: the next check renews a validity that a read just confirmed (not an expiry, not a
   * retry after a failed read), so it may be taken ahead of `at` for events never to wait for it.
   */
  keep(socket: ParleySocket, at: number, renewal: boolean): void;
  /** Ends the sockets a batch found over, once the events waiting for that batch have been refused. */
  end(ended: Map<ParleySocket, SessionEndCode>): void;
}

/** What a batch found: the sockets it ends, and those it could not check with the read's error. */
export interface BatchResult {
  ended: Map<ParleySocket, SessionEndCode>;
  failed: Map<ParleySocket, unknown>;
}

export type SessionChecks = ReturnType<typeof createSessionChecks>;

/** The most sockets one read checks (a batch larger reads in turns): its `IN (…)` lists stay this short. */
export const MAX_READ = 512;
/** The next check of a socket comes between this fraction of recheckMs and all of it. */
const JITTER_FROM = 0.75;
/** After a failed read (an outage), sockets are tried again this soon (or after recheckMs if shorter). */
const RETRY_MS = 5_000;

/** Sockets checked together; events waiting for one of them wait for `done`. */
interface Batch {
  sockets: Set<ParleySocket>;
  done: Promise<BatchResult>;
  finish(result: BatchResult): void;
}

function newBatch(): Batch {
  let finish!: (result: BatchResult) => void;
  const done = new Promise<BatchResult>((resolve) => {
    finish = resolve;
  });
  return { sockets: new Set(), done, finish };
}

/**
 * Checks sockets' sessions in batches (session-sockets.ts says when): one batch reads at a time, and
 * sockets that join meanwhile gather for the next one, so a slower database gets fewer, larger reads.
 * A batch ends the sockets whose expiry has passed without a read (sessions do not roll), and reads
 * the others `MAX_READ` at a time: their sessions in one read (sockets of one session share it) and
 * their users in one. A socket that stays is kept until its next check, 0.75–1 × `recheckMs` later at
 * random (never past its expiry). A read that fails (an outage) keeps its sockets, unless their
 * expiry has passed, and tries them again within `RETRY_MS`.
 */
export function createSessionChecks({
  currentSessions,
  activeUsers,
  recheckMs,
  log,
  now,
  random,
  isWatched,
  keep,
  end,
}: SessionChecksDeps) {
  /** The batch each socket waits in or is being read in; a socket is in one batch at a time. */
  const batchOf = new WeakMap<ParleySocket, Batch>();
  let next: Batch | null = null;
  let reading: Promise<void> | null = null;
  let flushQueued = false;

  /** The batch that is to check this socket: the one it is already in, or the next. */
  function enqueue(socket: ParleySocket): Batch {
    const current = batchOf.get(socket);
    if (current) return current;
    next ??= newBatch();
    next.sockets.add(socket);
    batchOf.set(socket, next);
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

  /** Reads the batch's sessions and users, keeps the sockets that stay, ends the others. */
  async function check(batch: Batch): Promise<void> {
    const result: BatchResult = { ended: new Map(), failed: new Map() };
    const toRead: ParleySocket[] = [];
    const checkedAt = now();
    for (const socket of batch.sockets) {
      if (!socket.connected || !isWatched(socket)) continue;
      // Sessions do not roll: an expiry that passed needs no read.
      if (socket.data.sessionExpiresAt <= checkedAt) result.ended.set(socket, ErrorCode.Unauthenticated);
      else toRead.push(socket);
    }
    try {
      for (let start = 0; start < toRead.length; start += MAX_READ) {
        await checkChunk(toRead.slice(start, start + MAX_READ), result);
      }
    } finally {
      // The sockets that stay were kept (and left the batch) as their chunk was read.
      for (const socket of batch.sockets) {
        if (batchOf.get(socket) === batch) batchOf.delete(socket);
      }
      batch.finish(result);
      // After the events waiting for this batch have been refused: their answer goes out first.
      if (result.ended.size > 0) setImmediate(end, result.ended);
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
          keepUntil(
            socket,
            Math.min(socket.data.sessionExpiresAt, nextCheck),
            nextCheck < socket.data.sessionExpiresAt,
          );
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
          keepUntil(socket, Math.min(socket.data.sessionExpiresAt, retryAt), false);
        }
      }
    }
  }

  /** Out of its batch, and kept until `at` if still watched. */
  function keepUntil(socket: ParleySocket, at: number, renewal: boolean): void {
    batchOf.delete(socket);
    if (isWatched(socket)) keep(socket, at, renewal);
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

  return {
    /**
     * Has the socket checked in the next batch (or the one it is already in), which starts reading
     * on the next turn of the event loop if none is reading. Resolves when that batch is done.
     */
    check(socket: ParleySocket): Promise<BatchResult> {
      return enqueue(socket).done;
    },

    /** Waits for the batch being read, if any. */
    async close(): Promise<void> {
      await reading;
    },
  };
}
