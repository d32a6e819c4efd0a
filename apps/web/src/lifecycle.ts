import { useDocumentVisibility, useEventListener, useIdle, useTitle, useWindowFocus } from '@vueuse/core';
import { computed, watch } from 'vue';
import type { Router } from 'vue-router';
import { pageTitle } from '@/composables/documentTitle';
import { i18n } from '@/i18n';
import { startClient, stopClient } from '@/client';
import { useComposerDrafts } from '@/components/message/composerDrafts';
import { useConnectionStore } from '@/stores/connection';
import { useConversationsStore } from '@/stores/conversations';
import { useMessagesStore } from '@/stores/messages';
import { useOutgoingStore } from '@/stores/outgoing';
import { usePeopleStore } from '@/stores/people';
import { usePresenceStore } from '@/stores/presence';
import { useReceiptsStore } from '@/stores/receipts';
import { useSessionStore } from '@/stores/session';
import { useTypingStore } from '@/stores/typing';

/** No pointer or keyboard activity for this long makes this tab "away". */
export const IDLE_AFTER_MS = 2 * 60 * 1000;

/**
 * Everything that follows who is signed in: the client, the per-user data, and leaving
 * the chat when the session ends (from this tab, another tab, or the server).
 */
export function installSessionLifecycle(router: Router): void {
  const session = useSessionStore();
  const conversations = useConversationsStore();
  const messages = useMessagesStore();
  const outgoing = useOutgoingStore();
  const drafts = useComposerDrafts();
  const receipts = useReceiptsStore();
  const presence = usePresenceStore();
  const people = usePeopleStore();
  const typing = useTypingStore();

  watch(
    () => session.user?.id ?? null,
    (userId, previousId) => {
      if (userId === previousId) return;
      stopClient();
      outgoing.reset();
      conversations.reset();
      messages.reset();
      drafts.reset();
      receipts.reset();
      presence.reset();
      people.reset();
      typing.clearAll();

      if (userId !== null) {
        drafts.restore(userId);
        conversations.load().catch(() => undefined);
        // Unsent messages from before a reload come back as pending and go out once connected.
        startClient(userId);
        return;
      }

      const current = router.currentRoute.value;
      if (!current.meta.requiresAuth) return;
      const redirect = session.endReason === 'expired' ? { redirect: current.fullPath } : undefined;
      void router.replace({ name: 'login', query: redirect });
    },
  );

  installAttentionTracking();
  installReadReporting();
  installIdleDetection();
  installUnreadTitle();
}

/** A conversation is read only while its page is visible and its window focused. */
function installAttentionTracking(): void {
  const conversations = useConversationsStore();
  const visibility = useDocumentVisibility();
  const focused = useWindowFocus();
  watch(visibility, (state) => conversations.setPageVisible(state === 'visible'), { immediate: true });
  watch(focused, (state) => conversations.setWindowFocused(state), { immediate: true });
}

/**
 * Tells the server about messages read as they arrive at the bottom of the open conversation: the
 * store moves lastReadSeq locally (instant badge), this makes it stick across tabs, devices and
 * reloads, and turns the sender's ticks blue. What is read by scrolling is reported by the message
 * list (useReadTracking).
 */
function installReadReporting(): void {
  const conversations = useConversationsStore();
  const connection = useConnectionStore();
  const receipts = useReceiptsStore();

  watch(
    () => {
      const id = conversations.openId;
      const conversation = id === null ? undefined : conversations.get(id);
      if (!conversation || !conversations.isReading(conversation.id) || connection.status !== 'connected')
        return null;
      return { conversationId: conversation.id, seq: conversation.lastReadSeq };
    },
    (position) => {
      if (position) receipts.reportRead(position.conversationId, position.seq);
    },
  );
  // What waits for the report interval goes out before a reload, a closed tab or a frozen page.
  useEventListener(document, 'visibilitychange', () => {
    if (document.visibilityState === 'hidden') receipts.flushReports();
  });
  useEventListener(window, 'pagehide', () => receipts.flushReports());
}

/**
 * Idle detection: after IDLE_AFTER_MS without pointer or keyboard activity, or as soon as the page
 * is hidden, this tab reports itself away; any activity on a visible page makes it online again.
 */
function installIdleDetection(): void {
  const presence = usePresenceStore();
  const session = useSessionStore();
  const { idle } = useIdle(IDLE_AFTER_MS, {
    events: ['pointermove', 'pointerdown', 'keydown', 'wheel', 'touchstart', 'focus'],
    listenForVisibilityChange: true,
  });
  const visibility = useDocumentVisibility();
  watch([idle, visibility, () => session.user?.id], ([isIdle, state, userId]) => {
    if (userId === undefined) return;
    void presence.setOwnStatus(isIdle || state === 'hidden' ? 'away' : 'online');
  });
}

/** "(3) Design team · Parley": the tab shows where you are and how much is waiting. */
function installUnreadTitle(): void {
  const conversations = useConversationsStore();
  useTitle(
    computed(() => {
      const unread = conversations.totalUnread;
      const appName = i18n.global.t('app.name');
      const base = pageTitle.value ? `${pageTitle.value} · ${appName}` : appName;
      return unread > 0 ? `(${unread > 99 ? '99+' : unread}) ${base}` : base;
    }),
  );
}
