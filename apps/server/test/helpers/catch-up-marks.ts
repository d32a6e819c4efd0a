/**
 * Where a catch-up (conversation:sync) starts, per conversation.
 *
 * 'highest-held' is the highest changeSeq of anything held, however it came (the rule
 * schemas/messages.ts states). It loses messages: after a reconnect, live messages flow before the
 * catch-up has completed, so if that catch-up is cut short (a timeout, another crash) the next one
 * starts past what it never brought; and a broadcast lost between processes is skipped for good once
 * a later one arrives (test/faults/redis-outage.test.ts shows it).
 *
 * 'contiguous' is the highest changeSeq below which nothing is missing: a change that arrives ahead
 * of one not yet seen (a gap) does not move it. Every change of a conversation takes the next
 * changeSeq and is broadcast, so a gap is visible, and is a reason to catch up at once.
 */
export type SyncFrom = 'highest-held' | 'contiguous';

export class CatchUpMarks {
  private readonly marks = new Map<number, number>();
  /** 'contiguous' only: changeSeqs held above the mark, waiting for the ones below them. */
  private readonly ahead = new Map<number, Set<number>>();

  constructor(
    private readonly mode: SyncFrom,
    conversationIds: number[],
  ) {
    for (const id of conversationIds) this.add(id);
  }

  add(conversationId: number): void {
    if (!this.marks.has(conversationId)) this.marks.set(conversationId, 0);
  }

  /** Every conversation and the changeSeq its catch-up starts after. */
  snapshot(): Map<number, number> {
    return new Map(this.marks);
  }

  /** True while some change is held whose predecessors are not ('contiguous' only). */
  get hasGap(): boolean {
    return [...this.ahead.values()].some((set) => set.size > 0);
  }

  /** A change arrived (live, acknowledged or in a catch-up page). */
  held(conversationId: number, changeSeq: number): void {
    const mark = this.marks.get(conversationId) ?? 0;
    if (this.mode === 'highest-held') {
      this.marks.set(conversationId, Math.max(mark, changeSeq));
      return;
    }
    if (changeSeq > mark) this.aheadOf(conversationId).add(changeSeq);
    this.advance(conversationId, mark);
  }

  /** A catch-up page brought everything up to changeSeq. */
  complete(conversationId: number, changeSeq: number): void {
    const mark = Math.max(this.marks.get(conversationId) ?? 0, changeSeq);
    if (this.mode === 'highest-held') {
      this.marks.set(conversationId, mark);
      return;
    }
    this.advance(conversationId, mark);
  }

  private aheadOf(conversationId: number): Set<number> {
    const ahead = this.ahead.get(conversationId) ?? new Set<number>();
    this.ahead.set(conversationId, ahead);
    return ahead;
  }

  private advance(conversationId: number, from: number): void {
    const ahead = this.aheadOf(conversationId);
    let mark = from;
    for (const changeSeq of ahead) if (changeSeq <= mark) ahead.delete(changeSeq);
    while (ahead.delete(mark + 1)) mark += 1;
    this.marks.set(conversationId, mark);
  }
}
