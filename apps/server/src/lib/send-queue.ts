import { busy } from './app-error.js';

/**
 * Admission control in front of the store, for `message:send`:
 *
 * - **Order.** A ticket is taken the moment an event arrives, before anything asynchronous (the rate
 *   budget, parsing), and each user's tickets run one at a time in the order they were taken. So
 *   ten sends a socket emits without waiting are stored in the order it emitted them.
 * - **Fairness.** At most `concurrency` sends run at once, one per user, and a freed slot goes to the
 *   next user in turn (round robin): one person's burst waits behind their own messages, not in front
 *   of everyone else's.
 * - **Bounds.** At most `maxQueued` sends wait in all, and `perUserMax` per user; past either the send
 *   is refused at once with `server/busy` (and a `retryAfterMs`) instead of piling up in memory.
 * - **Waiting time.** A send still waiting after `maxWaitMs` is refused with `server/busy` then, with
 *   the sends queued behind it in its lane (so none of them is stored before it), rather than answered
 *   after the client's acknowledgement timeout, which would make it send again into a full queue.
 *
 * Running sends are stored by the send batcher (features/messages/send-batcher.ts) on connections of
 * its own; a send runs until its batch has committed, so a user's next send joins a later batch.
 *
 * One queue per process; a user connected to two processes has a lane in each.
 */
export interface SendQueueOptions {
  /** Sends running at once, i.e. waiting for or in a batch (they share the batcher's connections). */
  concurrency: number;
  /** Sends waiting, all users together. */
  maxQueued: number;
  /** Sends waiting for one user. */
  perUserMax: number;
  /** Longest a send waits for its turn, in milliseconds; below clients' ack timeout (web app: 10 s). */
  maxWaitMs: number;
}

/** A place in a user's lane, taken when the event arrives. */
export interface SendTicket {
  /**
   * Runs `work` in this ticket's turn and resolves with its result. Rejects with `server/busy`,
   * without running it, when the queue or the user's lane is full.
   */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Gives the place up (the event was refused before its turn); harmless after run(). */
  cancel(): void;
}

export interface SendQueue {
  /** Takes the next place in `userId`'s lane; call it synchronously when the event arrives. */
  take(userId: number): SendTicket;
  /** Sends waiting (admitted, not yet running) and running, for tests and diagnostics. */
  stats(): { queued: number; running: number };
}

interface Entry {
  state: 'reserved' | 'admitted' | 'running' | 'gone';
  work?: () => Promise<unknown>;
  resolve?: (value: unknown) => void;
  reject?: (reason: unknown) => void;
  /** Refuses the send once it has waited `maxWaitMs`. */
  expiry?: ReturnType<typeof setTimeout>;
  /**
   * Under NODE_ENV 'test' only: where run() was called, given as the refusal's `cause`, so that a
   * refusal nobody handled (Vitest reports it) names its caller; busy errors carry no stack of their own.
   */
  origin?: Error;
}

const TRACE_ORIGINS = process.env.NODE_ENV === 'test';

interface Lane {
  entries: Entry[];
  running: boolean;
  /** Admitted entries waiting in this lane. */
  queued: number;
}

export function createSendQueue({
  concurrency,
  maxQueued,
  perUserMax,
  maxWaitMs,
}: SendQueueOptions): SendQueue {
  const lanes = new Map<number, Lane>();
  /** Users whose lane head is admitted and who have nothing running: served first come, first served. */
  const turns: number[] = [];
  const inTurns = new Set<number>();
  let queued = 0;
  let running = 0;

  function offerTurn(userId: number, lane: Lane): void {
    if (lane.running || inTurns.has(userId) || lane.entries[0]?.state !== 'admitted') return;
    turns.push(userId);
    inTurns.add(userId);
  }

  function dropGoneHeads(userId: number, lane: Lane): void {
    while (lane.entries[0]?.state === 'gone') lane.entries.shift();
    if (lane.entries.length === 0 && !lane.running) lanes.delete(userId);
  }

  function pump(): void {
    while (running < concurrency && turns.length > 0) {
      const userId = turns.shift()!;
      inTurns.delete(userId);
      const lane = lanes.get(userId);
      const entry = lane?.entries[0];
      if (!lane || entry?.state !== 'admitted') continue;
      lane.entries.shift();
      lane.queued -= 1;
      queued -= 1;
      lane.running = true;
      running += 1;
      entry.state = 'running';
      clearTimeout(entry.expiry);
      entry.work!()
        .then(entry.resolve, entry.reject)
        .finally(() => {
          running -= 1;
          lane.running = false;
          dropGoneHeads(userId, lane);
          // Back of the line: everyone else waiting gets a turn before this user's next send.
          offerTurn(userId, lane);
          pump();
        });
    }
  }

  /** Refuses `entry` and every admitted send behind it in its lane: they waited too long. */
  function expire(userId: number, lane: Lane, entry: Entry): void {
    const from = lane.entries.indexOf(entry);
    if (from < 0 || entry.state !== 'admitted') return;
    for (const behind of lane.entries.slice(from)) {
      if (behind.state !== 'admitted') continue;
      clearTimeout(behind.expiry);
      behind.state = 'gone';
      lane.queued -= 1;
      queued -= 1;
      const refusal = busy('Messages are waiting too long to be stored; try again shortly');
      if (behind.origin) refusal.cause = behind.origin;
      behind.reject!(refusal);
    }
    dropGoneHeads(userId, lane);
    offerTurn(userId, lane);
    pump();
  }

  return {
    take(userId) {
      let lane = lanes.get(userId);
      if (!lane) {
        lane = { entries: [], running: false, queued: 0 };
        lanes.set(userId, lane);
      }
      const entry: Entry = { state: 'reserved' };
      lane.entries.push(entry);
      const owner = lane;

      const leave = () => {
        if (entry.state !== 'reserved' && entry.state !== 'admitted') return;
        if (entry.state === 'admitted') {
          clearTimeout(entry.expiry);
          owner.queued -= 1;
          queued -= 1;
        }
        entry.state = 'gone';
        dropGoneHeads(userId, owner);
        offerTurn(userId, owner);
        pump();
      };

      return {
        run<T>(work: () => Promise<T>): Promise<T> {
          if (entry.state !== 'reserved') return Promise.reject(new Error('a send ticket runs once'));
          if (queued >= maxQueued || owner.queued >= perUserMax) {
            leave();
            return Promise.reject(busy('Too many messages are waiting to be stored; try again shortly'));
          }
          return new Promise<T>((resolve, reject) => {
            entry.state = 'admitted';
            entry.work = work;
            if (TRACE_ORIGINS) entry.origin = new Error('the send that waited too long was queued here');
            entry.resolve = resolve as (value: unknown) => void;
            entry.reject = reject;
            owner.queued += 1;
            queued += 1;
            offerTurn(userId, owner);
            pump();
            // Only a send that has to wait gets a timer; one that runs at once costs none.
            if (entry.state === 'admitted') {
              entry.expiry = setTimeout(() => expire(userId, owner, entry), maxWaitMs);
              entry.expiry.unref?.();
            }
          });
        },
        cancel: leave,
      };
    },
    stats: () => ({ queued, running }),
  };
}
