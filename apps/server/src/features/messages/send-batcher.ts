import type { Message } from '@parley/shared';
import type { Pool } from 'mariadb';
import { createLanedGroupCommit, type GroupCommitOptions, type Settled } from '../../lib/group-commit.js';
import { storeBatch, type HeldConversations, type PendingMessage } from './message-batch-store.js';

/**
 * Group commit for `message:send` (lib/group-commit.ts): sends are stored in batches, one
 * transaction each (message-batch-store.ts), so a burst costs one commit, one fsync of the redo log,
 * and one round trip (two when a message is refused) instead of several per message. Batches are formed in lanes by conversation
 * (`connections` lanes, conversationId modulo their number), one batch in flight per lane.
 *
 * Composition with the send queue (lib/send-queue.ts): the queue runs one send per user at a time
 * and `submit` resolves only once its batch has committed, so a user's next message can join a batch
 * only after the previous one was stored: per-user order holds across batches.
 */
export type SendBatcherOptions = Omit<GroupCommitOptions, 'busyMessage' | 'name'>;

export interface SendBatcher {
  /**
   * Stores one message (or finds the one stored first with its (senderId, clientMsgId)) and resolves
   * with it. Rejects with the message's own refusal (AppError), or with the batch's database error,
   * which lib/db-failures.ts classifies: every message of a failed batch is rolled back and retryable.
   */
  submit(message: PendingMessage): Promise<Message>;
  /**
   * Whether `submit` answered with this message as a retry's duplicate (stored earlier) rather than
   * storing it now: what counts things once per message (bots' counts) asks this.
   */
  isReplay(message: Message): boolean;
  /** Stores what is waiting and resolves when no batch is in flight. */
  drain(): Promise<void>;
}

export interface SendBatcherDeps {
  pool: Pool;
  /** Reads already stored messages (duplicates of a retry) by id. */
  readMessages: (ids: number[]) => Promise<Message[]>;
  clock?: () => Date;
}

export function createSendBatcher(
  { pool, readMessages, clock = () => new Date() }: SendBatcherDeps,
  options: SendBatcherOptions,
): SendBatcher {
  const replays = new WeakSet<Message>();
  /** Conversations an outside transaction holds: batches skip them rather than wait (storeBatch). */
  const held: HeldConversations = new Set();
  async function write(batch: PendingMessage[]): Promise<Array<Settled<Message>>> {
    const outcomes = await storeBatch(pool, batch, clock(), held);
    const duplicateIds = outcomes.flatMap((outcome) =>
      outcome.kind === 'duplicate' ? [outcome.messageId] : [],
    );
    const duplicates =
      duplicateIds.length > 0
        ? new Map((await readMessages(duplicateIds)).map((message) => [message.id, message]))
        : new Map<number, Message>();
    return outcomes.map((outcome) => {
      if (outcome.kind === 'stored') return { ok: true, value: outcome.message };
      if (outcome.kind === 'refused' || outcome.kind === 'failed') return { ok: false, error: outcome.error };
      const stored = duplicates.get(outcome.messageId);
      // A copy per duplicate: two retries in one batch are two answers.
      const message = stored ? { ...stored } : undefined;
      if (message) replays.add(message);
      return message
        ? { ok: true, value: message }
        : { ok: false, error: new Error(`stored message ${outcome.messageId} could not be read back`) };
    });
  }

  // One lane per connection, by conversation: two batches written at once never lock the same
  // conversation row, so neither waits for the other's commit (lib/group-commit.ts).
  const commit = createLanedGroupCommit(
    write,
    {
      ...options,
      name: 'message-send',
      busyMessage: 'Every connection for storing messages is in use; try again shortly',
    },
    (message) => message.conversationId,
  );
  return { submit: commit.submit, drain: commit.drain, isReplay: (message) => replays.has(message) };
}
