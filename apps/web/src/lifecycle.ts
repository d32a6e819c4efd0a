import { watch } from 'vue';
import { pageTitle } from '@/composables/documentTitle';
import { i18n } from '@/i18n';
import type { Router } from 'vue-router';
import { connectSocket, disconnectSocket, emitMarkRead } from '@/socket';
import { useConnectionStore } from '@/stores/connection';
import { useConversationsStore } from '@/stores/conversations';
import { useMessagesStore } from '@/stores/messages';
import { useSessionStore } from '@/stores/session';

/**
 * Everything that follows who is signed in: the socket, the per-user data, and leaving
 * the chat when the session ends (from this tab, another tab, or the server).
 */
export function installSessionLifecycle(router: Router): void {
  const session = useSessionStore();
  const conversations = useConversationsStore();
  const messages = useMessagesStore();

  watch(
    () => session.user?.id ?? null,
    (userId, previousId) => {
      if (userId === previousId) return;
      disconnectSocket();
      conversations.reset();
      messages.reset();

      if (userId !== null) {
        connectSocket();
        conversations.load().catch(() => undefined);
        return;
      }

      const current = router.currentRoute.value;
      if (!current.meta.requiresAuth) return;
      const redirect = session.endReason === 'expired' ? { redirect: current.fullPath } : undefined;
      void router.replace({ name: 'login', query: redirect });
    },
  );

  installReadReporting();
  installUnreadTitle();
}

/**
 * Tells the server how far we have read the conversation on screen, once per position: the
 * store moves lastReadSeq locally (instant badge), this makes it stick across tabs and reloads.
 */
function installReadReporting(): void {
  const conversations = useConversationsStore();
  const connection = useConnectionStore();
  const session = useSessionStore();
  const reported = new Map<number, number>();
  watch(
    () => session.user?.id,
    () => reported.clear(),
  );

  const syncVisibility = () => conversations.setPageVisible(document.visibilityState === 'visible');
  document.addEventListener('visibilitychange', syncVisibility);
  syncVisibility();

  watch(
    () => {
      const id = conversations.openId;
      const conversation = id === null ? undefined : conversations.get(id);
      if (!conversation || !conversations.isReading(conversation.id) || connection.status !== 'connected')
        return null;
      return { conversationId: conversation.id, seq: conversation.lastReadSeq };
    },
    (position) => {
      if (!position || position.seq === 0 || (reported.get(position.conversationId) ?? 0) >= position.seq)
        return;
      reported.set(position.conversationId, position.seq);
      void emitMarkRead(position).then((ack) => {
        if (!ack.ok && reported.get(position.conversationId) === position.seq)
          reported.delete(position.conversationId);
      });
    },
  );
}

/** "(3) Design team · Parley": the tab shows where you are and how much is waiting. */
function installUnreadTitle(): void {
  const conversations = useConversationsStore();
  watch(
    () => [conversations.totalUnread, pageTitle.value, i18n.global.locale.value] as const,
    ([unread, title]) => {
      const appName = i18n.global.t('app.name');
      const base = title ? `${title} · ${appName}` : appName;
      document.title = unread > 0 ? `(${unread > 99 ? '99+' : unread}) ${base}` : base;
    },
    { immediate: true },
  );
}
