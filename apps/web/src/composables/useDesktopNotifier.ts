import type { Conversation, Message } from '@parley/shared';
import { useEventListener, useIntervalFn } from '@vueuse/core';
import { computed, onScopeDispose, watch } from 'vue';
import { useRouter } from 'vue-router';
import { useConversationDisplay } from '@/composables/useConversationDisplay';
import { truncateGraphemes } from '@/lib/graphemes';
import { useConversationsStore } from '@/stores/conversations';
import { useNotificationsStore } from '@/stores/notifications';
import { useSessionStore } from '@/stores/session';

/** A notice's text at most, in grapheme clusters (no emoji cut in two); the browser may cut it further. */
const BODY_MAX = 180;

/** How often a tab repeats what it is reading, and how old that word may be before it is ignored. */
const ATTENTION_REPEAT_MS = 20_000;
const ATTENTION_STALE_MS = 50_000;

/** What each tab tells the others: the conversation it shows someone at its newest message, if any. */
interface Attention {
  tab: string;
  reading: number | null;
  /** A tab that has just opened asks the others where they are. */
  ask?: boolean;
}

/**
 * Announces others' new messages as desktop notifications (stores/notifications.ts shows them) while
 * the person is not reading their conversation, in this tab or in another tab of the app (tabs tell
 * each other over a BroadcastChannel). Not announced: one's own messages, group changes, conversations
 * whose notifications are muted, and what a catch-up brings after a reconnect (client.ts passes
 * only live messages, `notifications.incoming`).
 * A click focuses the tab and opens the conversation at the message; reading the conversation
 * anywhere takes its notice away. Call once, from the app's root component.
 */
export function useDesktopNotifier(): void {
  const router = useRouter();
  const display = useConversationDisplay();
  const conversations = useConversationsStore();
  const notifications = useNotificationsStore();
  const session = useSessionStore();

  const tab = crypto.randomUUID();
  /** Other tabs of the app in this browser: what each is reading, and when it last said so. */
  const elsewhere = new Map<string, { reading: number | null; at: number }>();
  const reading = computed(() => {
    const id = conversations.openId;
    return id !== null && conversations.isReading(id) ? id : null;
  });
  // Each message handled as it comes (a ref of the latest, as VueUse's useBroadcastChannel keeps,
  // would lose one of two that arrive in the same tick).
  const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('parley-attention');
  const tell = (attention: Omit<Attention, 'tab'>) => channel?.postMessage({ tab, ...attention });
  if (channel) {
    channel.onmessage = ({ data }: MessageEvent<Attention>) => {
      if (data.tab === tab) return;
      elsewhere.set(data.tab, { reading: data.reading, at: Date.now() });
      if (data.ask) tell({ reading: reading.value });
    };
  }
  watch(reading, (id) => tell({ reading: id }));
  tell({ reading: reading.value, ask: true });
  // A tab that crashed or was killed says nothing more: it is forgotten once its word is stale. A tab
  // being read is visible, so its timer runs on time (browsers slow the timers of hidden tabs only).
  useIntervalFn(() => tell({ reading: reading.value }), ATTENTION_REPEAT_MS);
  useEventListener(window, 'pagehide', () => tell({ reading: null }));
  onScopeDispose(() => channel?.close());

  function readElsewhere(conversationId: number): boolean {
    const now = Date.now();
    for (const [other, { reading: read, at }] of elsewhere) {
      if (now - at > ATTENTION_STALE_MS) elsewhere.delete(other);
      else if (read === conversationId) return true;
    }
    return false;
  }

  function announce(message: Message): void {
    if (!notifications.enabled) return;
    const me = session.user?.id;
    if (message.sender.id === me || message.type === 'system' || message.deletedAt) return;
    const known = conversations.get(message.conversationId);
    if (known) return announceIn(known, message);
    // Not listed yet (the list still loading): whether it is muted, and its name, come with it.
    conversations
      .ensure(message.conversationId)
      .then((fetched) => {
        if (fetched && session.user?.id === me && notifications.enabled) announceIn(fetched, message);
      })
      .catch(() => undefined);
  }

  function announceIn(conversation: Conversation, message: Message): void {
    if (conversations.notificationsMuted(conversation) || conversation.lastReadSeq >= message.seq) return;
    if (conversations.isReading(message.conversationId) || readElsewhere(message.conversationId)) return;
    const shortened = truncateGraphemes(display.summary(message), BODY_MAX);
    const inGroup = conversation.kind === 'group';
    notifications.show({
      conversationId: message.conversationId,
      title: inGroup ? display.title(conversation) : message.sender.displayName,
      body: inGroup ? `${message.sender.displayName}: ${shortened}` : shortened,
      onOpen: () =>
        void router.push({
          name: 'conversation',
          params: { id: message.conversationId },
          query: { seq: message.seq },
        }),
    });
  }

  onScopeDispose(notifications.onIncoming(announce));

  // A notice of a conversation read since (here or on another device) has nothing left to say.
  watch(
    () => notifications.showing.filter((id) => (conversations.get(id)?.unreadCount ?? 0) === 0),
    (read) => read.forEach((id) => notifications.close(id)),
  );
}
