import type { Message } from '@parley/shared';

/**
 * What applying a copy of a message did: `added` (new), `changed` (a newer version of one held:
 * higher changeSeq), `known` (the same or an older version: ignored), `conflict` (it disagrees with
 * what is held about something that never changes: seq, conversation, clientMsgId or sender; never
 * happens with a correct server, and is kept out).
 */
export type ApplyOutcome = 'added' | 'changed' | 'known' | 'conflict';

export interface ApplyResult {
  outcome: ApplyOutcome;
  /** The copy held before, for `changed`, `known` and `conflict`. */
  previous?: Message;
}

/**
 * Whether `copy` is a later version of the message than `held`: a message's changeSeq is stamped by
 * each of its changes (docs/protocol.md, `changeSeq`), so the higher one is the newer state, whatever
 * order copies arrive in.
 */
export function isNewerCopy(copy: Message, held: Message): boolean {
  return copy.changeSeq > held.changeSeq;
}

function sameIdentity(a: Message, b: Message): boolean {
  return (
    a.id === b.id &&
    a.seq === b.seq &&
    a.conversationId === b.conversationId &&
    a.clientMsgId === b.clientMsgId &&
    a.sender.id === b.sender.id
  );
}

/**
 * One conversation's stored messages as this client holds them, keyed by seq (1, 2, 3… with no gaps
 * on the server), each the newest version seen (the highest changeSeq wins, whatever order copies
 * arrive in). Messages are replaced, never mutated, so a held reference is a stable snapshot.
 * Pending sends are not here: they are the outbox's (see Outbox).
 */
export class Timeline {
  private readonly bySeq = new Map<number, Message>();
  private readonly seqById = new Map<number, number>();
  private ordered: Message[] | null = [];

  constructor(readonly conversationId: number) {}

  /** Merges one copy (live, acknowledged or caught up). */
  apply(message: Message): ApplyResult {
    const heldSeq = this.seqById.get(message.id);
    const held = this.bySeq.get(heldSeq ?? message.seq);
    if (!held) {
      this.bySeq.set(message.seq, message);
      this.seqById.set(message.id, message.seq);
      this.ordered = null;
      return { outcome: 'added' };
    }
    if (!sameIdentity(held, message)) return { outcome: 'conflict', previous: held };
    if (!isNewerCopy(message, held)) return { outcome: 'known', previous: held };
    this.bySeq.set(message.seq, message);
    this.ordered = null;
    return { outcome: 'changed', previous: held };
  }

  /** Every message held, oldest (lowest seq) first. The array is shared until the next change: do not mutate it. */
  messages(): readonly Message[] {
    this.ordered ??= [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
    return this.ordered;
  }

  bySeqNumber(seq: number): Message | undefined {
    return this.bySeq.get(seq);
  }

  byId(messageId: number): Message | undefined {
    const seq = this.seqById.get(messageId);
    return seq === undefined ? undefined : this.bySeq.get(seq);
  }

  get size(): number {
    return this.bySeq.size;
  }

  /** The highest seq held, 0 when empty. */
  get lastSeq(): number {
    return this.messages().at(-1)?.seq ?? 0;
  }

  /**
   * Seqs missing between the lowest and the highest held (empty when the held range is whole). A
   * client that catches up from the start of a conversation holds 1…lastSeq once it is caught up.
   */
  missingSeqs(): number[] {
    const list = this.messages();
    const missing: number[] = [];
    for (let index = 1; index < list.length; index += 1) {
      for (let seq = list[index - 1]!.seq + 1; seq < list[index]!.seq; seq += 1) missing.push(seq);
    }
    return missing;
  }

  clear(): void {
    this.bySeq.clear();
    this.seqById.clear();
    this.ordered = [];
  }
}
