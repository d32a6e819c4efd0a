import { useThrottleFn } from '@vueuse/core';
import { nextTick, watch, type Ref } from 'vue';
import { lastSeenSeq, unreadAfterReading, type RowEdge } from '@/lib/readPosition';
import { useConnectionStore } from '@/stores/connection';
import { useConversationsStore } from '@/stores/conversations';
import type { TimelineMessage } from '@/stores/messages';
import { useReceiptsStore } from '@/stores/receipts';

/** How often at most the rows on screen are looked at while scrolling (the server hears less often still). */
export const READ_CHECK_MS = 100;

export interface ReadTrackingOptions {
  /** The scrolling element; its rendered rows carry `data-index`, their index in `seqAt`. */
  scroller: Ref<HTMLElement | null>;
  conversationId: Ref<number>;
  /** The seq of the row at a virtual index (null for a pending message or no such row). */
  seqAt: (index: number) => number | null;
  /** The loaded messages, to count what stays unread. */
  timeline: Ref<readonly TimelineMessage[]>;
  me: Ref<number | null>;
  /** False while the list is landing or jumping: what flashes past then has not been read. */
  settled: Ref<boolean>;
}

/**
 * Moves the read position to what has actually been on screen: the highest seq whose row's bottom
 * edge has been inside the scroller's viewport while the page was visible and its window focused
 * (`lastSeenSeq`). Never back. The store moves at once (badges, title); the server hears it through
 * the receipts store, at most every REPORT_INTERVAL_MS. Call `check` when the rows on screen may
 * have changed (a scroll, a render); it is throttled to READ_CHECK_MS. It also runs by itself when
 * the list settles, the page becomes visible or focused again, and the socket reconnects.
 */
export function useReadTracking(options: ReadTrackingOptions): { check: () => void } {
  const conversations = useConversationsStore();
  const receipts = useReceiptsStore();
  const connection = useConnectionStore();
  /** The furthest this list has shown, to report again after a report was lost. */
  let readHere = 0;

  function rowEdges(scroller: HTMLElement): RowEdge[] {
    return Array.from(scroller.querySelectorAll<HTMLElement>('[data-index]'), (row) => ({
      seq: options.seqAt(Number(row.dataset.index)),
      bottom: row.getBoundingClientRect().bottom,
    }));
  }

  function checkNow(): void {
    const scroller = options.scroller.value;
    const id = options.conversationId.value;
    const conversation = conversations.get(id);
    if (!scroller || !conversation || !options.settled.value || !conversations.isAttentive()) return;
    const top = scroller.getBoundingClientRect().top + scroller.clientTop;
    const seen = lastSeenSeq(rowEdges(scroller), { top, bottom: top + scroller.clientHeight });
    if (seen !== null && seen > conversation.lastReadSeq) {
      const unreadLeft = unreadAfterReading(options.timeline.value, {
        fromSeq: conversation.lastReadSeq,
        toSeq: seen,
        unreadCount: conversation.unreadCount,
        me: options.me.value,
      });
      conversations.markReadUpTo(id, seen, unreadLeft);
    }
    if (seen !== null) readHere = Math.max(readHere, seen);
    // The reporter sends only what is above its last report, so this is cheap when nothing moved.
    if (readHere > 0 && connection.status === 'connected') receipts.reportRead(id, readHere);
  }

  const check = useThrottleFn(checkNow, READ_CHECK_MS, true, true);
  const checkAfterRender = () => void nextTick(() => requestAnimationFrame(() => check()));

  watch(
    [options.settled, () => conversations.isAttentive(), () => connection.status === 'connected'],
    checkAfterRender,
  );
  watch(options.conversationId, () => (readHere = 0));

  return { check: () => void check() };
}
