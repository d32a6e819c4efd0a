import type { Virtualizer } from '@tanstack/vue-virtual';
import { useResizeObserver, useTimeoutFn } from '@vueuse/core';
import { computed, nextTick, onMounted, ref, watch, type ComputedRef, type Ref } from 'vue';
import type { MessageRow } from '@/lib/messageRows';
import { useMessagesStore, type ConversationThread } from '@/stores/messages';

/** "At the bottom" within this distance: new messages are followed and count as read. */
export const BOTTOM_SLACK_PX = 48;
/** Start fetching the next page this far before reaching an end of what is loaded. */
const LOAD_AHEAD_PX = 800;
/** How long a message jumped to stays highlighted. */
const HIGHLIGHT_MS = 1600;

/** Where to bring the reader once the rows it needs are loaded. */
export type Landing = { kind: 'end' } | { kind: 'unread' } | { kind: 'seq'; seq: number };

export interface MessageListLandingOptions {
  scroller: Ref<HTMLElement | null>;
  virtualizer: Ref<Virtualizer<HTMLElement, HTMLElement>>;
  conversationId: Ref<number>;
  thread: ComputedRef<ConversationThread | undefined>;
  /** The rows the list renders, in order; `unreadStarts` marks the unread divider. */
  rows: ComputedRef<readonly MessageRow[]>;
  /** Land at the unread divider rather than at the newest message. */
  startAtUnread: boolean;
  /** Land at this message instead, centred and highlighted (a search result's); first when given. */
  startAtSeq?: number | null;
  /**
   * Called once the view has been taken to message `seq` (a first landing there or a jump), with its
   * row as rendered (`[data-seq]`), or null if it did not render within a few frames.
   */
  onArrived?: (seq: number, row: HTMLElement | null) => void;
}

/** Frames to wait for a jump's target row to render after the scroll that brings it in. */
const ARRIVAL_FRAMES = 30;

/**
 * Where the message list is and where it is going: the first landing (at a given message, the unread
 * divider or the newest message), jumps to a quoted message or back to the latest, fetching older and newer
 * pages as the reader nears an end, and following the newest message while at the bottom.
 *
 * `settled` is false from the start of a landing or jump until the view has stopped where it was
 * taken: what flashes past meanwhile has not been read. `atBottom` is within BOTTOM_SLACK_PX of the
 * end. Call `onScroll` from the scroller's scroll event. Must be called from a component's setup.
 */
export function useMessageListLanding(options: MessageListLandingOptions) {
  const { scroller, virtualizer, conversationId, thread, rows } = options;
  const messages = useMessagesStore();
  const status = computed(() => thread.value?.status ?? 'idle');

  const landing = ref<Landing | null>(
    options.startAtSeq
      ? { kind: 'seq', seq: options.startAtSeq }
      : options.startAtUnread
        ? { kind: 'unread' }
        : { kind: 'end' },
  );
  const landed = ref(false);
  const settling = ref(false);
  /** Set while the history around a jump target loads, so the window change does not land at the end. */
  const jumping = ref(false);
  const atBottom = ref(true);
  const highlightedSeq = ref<number | null>(null);
  const unhighlight = useTimeoutFn(() => (highlightedSeq.value = null), HIGHLIGHT_MS, { immediate: false });

  function measureAtBottom(): boolean {
    const el = scroller.value;
    if (!el) return true;
    return el.scrollHeight - el.scrollTop - el.clientHeight <= BOTTOM_SLACK_PX;
  }

  function maybeLoadMore(): void {
    const el = scroller.value;
    const current = thread.value;
    if (!el || !current || current.status !== 'ready' || !landed.value) return;
    if (el.scrollTop < LOAD_AHEAD_PX && current.hasOlder && !current.loadingOlder)
      messages.loadOlder(conversationId.value).catch(() => undefined);
    const fromBottom = el.scrollHeight - el.scrollTop - el.clientHeight;
    if (fromBottom < LOAD_AHEAD_PX && current.hasNewer && !current.loadingNewer)
      messages.loadNewer(conversationId.value).catch(() => undefined);
  }

  function onScroll(): void {
    atBottom.value = measureAtBottom();
    maybeLoadMore();
  }

  function scrollToEnd(behavior: 'auto' | 'smooth' = 'auto'): void {
    if (rows.value.length === 0) return;
    virtualizer.value.scrollToIndex(rows.value.length - 1, { align: 'end', behavior });
    atBottom.value = true;
  }

  function highlight(seq: number): void {
    unhighlight.stop();
    highlightedSeq.value = null;
    void nextTick(() => {
      highlightedSeq.value = seq;
      unhighlight.start();
    });
  }

  /** Tells `onArrived` of the row of `seq` once it is rendered (the virtualizer mounts it after the scroll). */
  function arrive(seq: number, frames = ARRIVAL_FRAMES): void {
    const row = scroller.value?.querySelector<HTMLElement>(`[data-seq="${seq}"]`) ?? null;
    if (row || frames === 0) options.onArrived?.(seq, row);
    else requestAnimationFrame(() => arrive(seq, frames - 1));
  }

  async function land(): Promise<void> {
    const target = landing.value;
    if (!target || status.value !== 'ready' || !scroller.value) return;
    let index = -1;
    if (target.kind === 'unread') index = rows.value.findIndex((row) => row.unreadStarts);
    if (target.kind === 'seq') index = rows.value.findIndex((row) => row.message.seq === target.seq);
    settling.value = true;
    landing.value = null;
    await nextTick();
    if (index === -1) {
      scrollToEnd();
    } else {
      virtualizer.value.scrollToIndex(index, { align: target.kind === 'seq' ? 'center' : 'start' });
      if (target.kind === 'seq') {
        highlight(target.seq);
        arrive(target.seq);
      }
    }
    // Let the scroll settle before deciding whether more pages are needed or the newest is on screen.
    requestAnimationFrame(() => {
      landed.value = true;
      settling.value = false;
      atBottom.value = measureAtBottom();
      maybeLoadMore();
    });
  }

  watch([status, () => rows.value.length, landing], () => void land(), { flush: 'post' });
  // A page arrived but the view is still near an edge (a short page, a fast fling): fetch the next one.
  watch(
    () => rows.value.length,
    () => requestAnimationFrame(maybeLoadMore),
    { flush: 'post' },
  );
  onMounted(() => void land());

  // The window was replaced (a jump, a catch-up that had to reload): land afresh.
  watch(
    () => thread.value?.epoch,
    (epoch, previous) => {
      if (previous !== undefined && epoch !== previous && !landing.value && !jumping.value)
        landing.value = { kind: 'end' };
    },
  );

  // While at the bottom, every new row is followed. The virtualizer follows an append only when the
  // last row changes: a message stored while one of ours is still pending (last, after the stored
  // ones) is inserted before it, and the view stayed where it was, above the new end, leaving what
  // arrived below the fold and unread (seen with five people sending at once). `atBottom` still
  // says where the reader was before the rows changed: no scroll has been measured since.
  watch(
    () => rows.value.length,
    (length, previous) => {
      if (length > previous && landed.value && !landing.value && atBottom.value) scrollToEnd();
    },
    { flush: 'post' },
  );

  // A resize (the composer growing, the keyboard opening) must not lift the newest message out of view.
  useResizeObserver(scroller, () => {
    if (atBottom.value && landed.value) scrollToEnd();
  });

  /** Back to the newest messages: reloaded first when the loaded window does not reach them. */
  async function jumpToLatest(): Promise<void> {
    if (thread.value?.hasNewer) {
      landing.value = { kind: 'end' };
      await messages.reload(conversationId.value).catch(() => undefined);
      return;
    }
    scrollToEnd('smooth');
  }

  /** To message `seq`, centred and highlighted; its history is loaded around it when it is not. */
  async function jumpTo(seq: number): Promise<void> {
    if (!messages.findBySeq(conversationId.value, seq)) {
      jumping.value = true;
      try {
        await messages.jumpTo(conversationId.value, seq);
      } catch {
        return;
      } finally {
        jumping.value = false;
      }
    }
    landing.value = { kind: 'seq', seq };
  }

  const settled = computed(() => landed.value && !settling.value && !jumping.value && landing.value === null);
  /** At the newest message of the conversation, with nothing newer left to load. */
  const viewingLatest = computed(
    () => landed.value && atBottom.value && status.value === 'ready' && !thread.value?.hasNewer,
  );
  const showJump = computed(() => landed.value && (!atBottom.value || !!thread.value?.hasNewer));

  return {
    landed,
    settled,
    atBottom,
    viewingLatest,
    showJump,
    highlightedSeq,
    onScroll,
    scrollToEnd,
    jumpTo,
    jumpToLatest,
  };
}
