import type { MessageCopy, ParleyClient } from './client.js';

/**
 * Every copy of every message a client got, in order of arrival: what a test needs to prove
 * exactly-once delivery (and what one may log when diagnosing a duplicate).
 */
export interface CopyLog {
  /** Every copy, duplicates included. */
  readonly copies: MessageCopy[];
  /** The first copy of each message (outcome `added`). */
  readonly firsts: MessageCopy[];
  /** Copies that disagree with the one held: a correct server never causes one. */
  readonly conflicts: MessageCopy[];
  /** Copies of one message, however they came. */
  copiesOf(messageId: number): MessageCopy[];
  stop(): void;
}

/** Starts recording the client's `message:copy` events. */
export function recordCopies(client: Pick<ParleyClient, 'on'>): CopyLog {
  const copies: MessageCopy[] = [];
  const firsts: MessageCopy[] = [];
  const conflicts: MessageCopy[] = [];
  const stop = client.on('message:copy', (copy) => {
    copies.push(copy);
    if (copy.outcome === 'added') firsts.push(copy);
    if (copy.outcome === 'conflict') conflicts.push(copy);
  });
  return {
    copies,
    firsts,
    conflicts,
    copiesOf: (messageId) => copies.filter((copy) => copy.message.id === messageId),
    stop,
  };
}
