import type { Conversation, Member, Message, ReadState, Receipt } from '@parley/shared';
import { defineStore } from 'pinia';
import { reactive } from 'vue';
import { useParleyClientStore } from './parleyClient';
import { useSessionStore } from './session';

/** What a direct conversation's ticks say about one of my messages. */
export type Tick = 'sent' | 'delivered' | 'read';

/** One tick once stored, two once on a device of theirs, two accent-coloured once read. */
export function tickFor(
  otherReceipt: Pick<Receipt, 'lastDeliveredSeq' | 'lastReadSeq'> | undefined,
  seq: number,
): Tick {
  if (!otherReceipt) return 'sent';
  if (otherReceipt.lastReadSeq >= seq) return 'read';
  if (otherReceipt.lastDeliveredSeq >= seq) return 'delivered';
  return 'sent';
}

/** Members other than me whose read position has reached `seq`, in the conversation's member order. */
export function readersOf(
  receipts: ReadonlyMap<number, Receipt> | undefined,
  members: readonly Member[],
  meId: number | null,
  seq: number,
): Member[] {
  if (!receipts) return [];
  return members.filter((member) => member.id !== meId && (receipts.get(member.id)?.lastReadSeq ?? 0) >= seq);
}

/**
 * Every member's delivered and read positions, from each Conversation's receipts and the client's
 * `receipt` and `read` events; our own positions are reported through the client's reporter.
 */
export const useReceiptsStore = defineStore('receipts', () => {
  const session = useSessionStore();
  const parley = useParleyClientStore();
  const byConversation = reactive(new Map<number, Map<number, Receipt>>());

  /** Positions only move forward, whichever order updates arrive in. */
  function apply(receipt: Receipt): void {
    let members = byConversation.get(receipt.conversationId);
    if (!members) {
      byConversation.set(receipt.conversationId, new Map());
      members = byConversation.get(receipt.conversationId)!;
    }
    const known = members.get(receipt.userId);
    if (
      known &&
      known.lastDeliveredSeq >= receipt.lastDeliveredSeq &&
      known.lastReadSeq >= receipt.lastReadSeq
    )
      return;
    const lastReadSeq = Math.max(known?.lastReadSeq ?? 0, receipt.lastReadSeq);
    members.set(receipt.userId, {
      ...receipt,
      lastReadSeq,
      // Reading implies delivery.
      lastDeliveredSeq: Math.max(known?.lastDeliveredSeq ?? 0, receipt.lastDeliveredSeq, lastReadSeq),
    });
  }

  function ingest(conversation: Conversation): void {
    for (const receipt of conversation.receipts) apply(receipt);
  }

  function of(conversationId: number): ReadonlyMap<number, Receipt> | undefined {
    return byConversation.get(conversationId);
  }

  function get(conversationId: number, userId: number): Receipt | undefined {
    return byConversation.get(conversationId)?.get(userId);
  }

  function applyOwn(conversationId: number, lastDeliveredSeq: number, lastReadSeq: number): void {
    const me = session.user?.id;
    if (me !== undefined) apply({ conversationId, userId: me, lastDeliveredSeq, lastReadSeq });
  }

  /** Sending moves the sender's own positions to the message; the server sends no receipt for it. */
  function applyOwnMessage(message: Message): void {
    applyOwn(message.conversationId, message.seq, message.seq);
  }

  function applyOwnRead(state: ReadState): void {
    applyOwn(state.conversationId, state.lastReadSeq, state.lastReadSeq);
  }

  /** Messages up to `seq` reached this device (throttled). */
  function reportDelivered(conversationId: number, seq: number): void {
    if ((get(conversationId, session.user?.id ?? 0)?.lastDeliveredSeq ?? 0) >= seq) return;
    parley.client?.markDelivered(conversationId, seq);
  }

  /** The user has seen messages up to `seq` (throttled). */
  function reportRead(conversationId: number, seq: number): void {
    parley.client?.markRead(conversationId, seq);
  }

  /**
   * Sends the positions still waiting for their interval now. Called when the page is hidden (the
   * last moment a page can count on running, per the Page Lifecycle API), so a reload or a closed
   * tab right after reading does not leave the server behind what was seen.
   */
  function flushReports(): void {
    parley.client?.flushReports();
  }

  function reset(): void {
    byConversation.clear();
  }

  return {
    byConversation,
    apply,
    ingest,
    of,
    get,
    applyOwnMessage,
    applyOwnRead,
    reportDelivered,
    reportRead,
    flushReports,
    reset,
  };
});
