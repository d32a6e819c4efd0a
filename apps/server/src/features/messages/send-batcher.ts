import type { Message } from '@parley/shared';
import type { Pool } from 'mariadb';
import { busy } from '../../lib/app-error.js';
import { storeBatch, type PendingMessage } from './message-batch-store.js';

/**
 * Group commit for `message:send`. Sends are stored in batches, one transaction each
 * (message-batch-store.ts), so a burst costs one commit, one fsync of the redo log, and three round
 * trips instead of several per message. A send that finds nothing being written is stored at once
 * (no added latency when the server is quiet); otherwise it waits for up to `waitMs` (or until
 * `maxBatch` have gathered) for others to join it. At most `connections` batches are written at
 * once; while they are, new sends gather into the next batch.
 *
 * Composition with the send queue (lib/send-queue.ts): the queue runs one send per user at a time
 * and `submit` resolves only once its batch has committed, so a user's next message can join a batch
 * only after the previous one was stored: per-user order holds across batches.
 */
export interface SendBatcherOptions {
  /** Milliseconds the first send of a batch waits for others to join it. */
  waitMs: number;
  /** Messages per batch at most. */
  maxBatch: number;
  /** Batches written at once; the store pool has this many connections. */
  connections: number;
  /**
   * Milliseconds a send may wait for a batch to take it (every connection busy) before it is refused
   * as `server/busy`, like a query waiting for a pooled connection.
   */
  admissionTimeoutMs: number;
}

export interface SendBatcher {
  /**
   * Stores one message (or finds the one stored first with its (senderId, clientMsgId)) and resolves
   * with it. Rejects with the message's own refusal (AppError), or with the batch's database error,
   * which lib/db-failures.ts classifies: every message of a failed batch is rolled back and retryable.
   */
  submit(message: PendingMessage): Promise<Message>;
  /** Stores what is waiting and resolves when no batch is in flight. */
  drain(): Promise<void>;
}

export interface SendBatcherDeps {
  pool: Pool;
  /** Reads already stored messages (duplicates of a retry) by id. */
  readMessages: (ids: number[]) => Promise<Message[]>;
  clock?: () => Date;
}

interface Waiting {
  message: PendingMessage;
  resolve: (message: Message) => void;
  reject: (reason: unknown) => void;
  deadline: NodeJS.Timeout;
}

export function createSendBatcher(
  { pool, readMessages, clock = () => new Date() }: SendBatcherDeps,
  { waitMs, maxBatch, connections, admissionTimeoutMs }: SendBatcherOptions,
): SendBatcher {
  let pending: Waiting[] = [];
  let inFlight = 0;
  /** The oldest waiting send has waited its `waitMs` (or the batch is full): write as soon as a connection is free. */
  let due = false;
  let timer: NodeJS.Timeout | null = null;
  let idle: Array<() => void> = [];

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    while (due && inFlight < connections && pending.length > 0) {
      const batch = pending.slice(0, maxBatch);
      pending = pending.slice(batch.length);
      due = pending.length >= maxBatch;
      for (const entry of batch) clearTimeout(entry.deadline);
      void run(batch);
    }
    if (pending.length > 0 && !due) timer = setTimeout(markDue, waitMs);
    if (pending.length === 0) due = false;
    if (inFlight === 0 && pending.length === 0) {
      for (const resolve of idle) resolve();
      idle = [];
    }
  }

  function markDue(): void {
    due = true;
    flush();
  }

  async function run(batch: Waiting[]): Promise<void> {
    inFlight += 1;
    try {
      const outcomes = await storeBatch(
        pool,
        batch.map((entry) => entry.message),
        clock(),
      );
      const duplicateIds = outcomes.flatMap((outcome) =>
        outcome.kind === 'duplicate' ? [outcome.messageId] : [],
      );
      const duplicates =
        duplicateIds.length > 0
          ? new Map((await readMessages(duplicateIds)).map((message) => [message.id, message]))
          : new Map<number, Message>();
      outcomes.forEach((outcome, index) => {
        const entry = batch[index]!;
        if (outcome.kind === 'stored') entry.resolve(outcome.message);
        else if (outcome.kind === 'refused') entry.reject(outcome.error);
        else {
          const message = duplicates.get(outcome.messageId);
          if (message) entry.resolve(message);
          else entry.reject(new Error(`stored message ${outcome.messageId} could not be read back`));
        }
      });
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      inFlight -= 1;
      flush();
    }
  }

  return {
    submit(message) {
      return new Promise<Message>((resolve, reject) => {
        const entry: Waiting = {
          message,
          resolve,
          reject,
          deadline: setTimeout(() => {
            const at = pending.indexOf(entry);
            if (at === -1) return;
            pending.splice(at, 1);
            reject(busy('Every connection for storing messages is in use; try again shortly'));
          }, admissionTimeoutMs),
        };
        pending.push(entry);
        // With nothing being written there is nothing to wait behind: store at once. Batches
        // form while others are being written (or for `waitMs` on a spare connection).
        if (pending.length >= maxBatch || inFlight === 0) due = true;
        if (due) flush();
        else timer ??= setTimeout(markDue, waitMs);
      });
    },

    drain() {
      due = true;
      return new Promise<void>((resolve) => {
        idle.push(resolve);
        flush();
      });
    },
  };
}
