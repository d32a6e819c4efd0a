/**
 * How far this client has seen a conversation's changes (messages sent, edited, deleted, reacted to).
 *
 * Every change gets the conversation's next changeSeq and reaches a connected client exactly once,
 * as a broadcast or as the acknowledgement of its own action. Broadcasts relayed by different server
 * processes, or an ack overtaking a broadcast, can arrive out of order, and one can be lost with a
 * process, so the position sent to `conversation:sync` (the "sync mark", docs/protocol.md) is the
 * highest changeSeq up to which nothing is missing, not the highest seen.
 */
export class ChangeTracker {
  /** Every change up to here has been seen. */
  private contiguous = 0;
  /** Changes seen past a gap; the gap closes when the missing one arrives. */
  private readonly ahead = new Set<number>();

  get position(): number {
    return this.contiguous;
  }

  /** A change past the position was seen while one before it was not: something was missed. */
  get hasHole(): boolean {
    return this.ahead.size > 0;
  }

  /** One change seen: a message carries the change that last touched it. */
  see(changeSeq: number): void {
    if (changeSeq <= this.contiguous) return;
    this.ahead.add(changeSeq);
    this.absorb();
  }

  /** Everything up to `changeSeq` is known (a sync page, or a snapshot read before a history page). */
  advanceTo(changeSeq: number): void {
    if (changeSeq <= this.contiguous) return;
    this.contiguous = changeSeq;
    for (const seen of this.ahead) if (seen <= changeSeq) this.ahead.delete(seen);
    this.absorb();
  }

  private absorb(): void {
    while (this.ahead.delete(this.contiguous + 1)) this.contiguous += 1;
  }
}
