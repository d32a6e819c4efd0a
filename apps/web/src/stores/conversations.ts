import {
  CONVERSATION_PAGE_MAX,
  type Conversation,
  type ConversationRemoved,
  type CreateGroupBody,
  type GroupState,
  type Message,
  type NotificationSettings,
  type NotificationSettingsBody,
  type ReadState,
  type UserSummary,
} from '@parley/shared';
import { defineStore } from 'pinia';
import { computed, reactive, ref, watchEffect } from 'vue';
import * as conversationsApi from '@/api/conversations';
import { useReceiptsStore } from './receipts';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

/** Conversations in the list's first page: enough to fill the screen, quick to read. */
export const FIRST_PAGE = 50;

/** Latest activity: the newest message, or creation for a conversation nobody has written in yet. */
export function lastActivity(conversation: Conversation): number {
  return Date.parse(conversation.lastMessage?.createdAt ?? conversation.createdAt);
}

/** setTimeout's longest wait (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

function byActivityDesc(a: Conversation, b: Conversation): number {
  return lastActivity(b) - lastActivity(a) || b.id - a.id;
}

export const useConversationsStore = defineStore('conversations', () => {
  const byId = reactive(new Map<number, Conversation>());
  const status = ref<LoadStatus>('idle');
  /** The conversation on screen. */
  const openId = ref<number | null>(null);
  /** Whether the page is visible: a conversation open in a background tab is not being read. */
  const pageVisible = ref(true);
  /** Whether the window has focus: a visible window behind another one is not being read either. */
  const windowFocused = ref(true);
  /**
   * Whether the open conversation's list is at its newest message (the message list says so): a
   * message arriving then is followed into view, so it is read as it arrives.
   */
  const viewingLatest = ref(false);
  const fetching = new Map<number, Promise<Conversation | null>>();
  /**
   * Conversations whose unread count may be wrong: a live message arrived out of seq order or after
   * a gap, or an unread one was deleted. Only a fetched copy at least as new as ours settles it.
   */
  const countInDoubt = new Set<number>();
  /** Groups the user was removed from (or left) while the app was open: kept, read-only, to say so. */
  const removed = reactive(new Map<number, ConversationRemoved['reason']>());
  /** Conversations with a refetch of their count in flight (at most one each). */
  const refetching = new Set<number>();
  /** For each `load` under way, the conversations heard of live since it began (see `load`). */
  const heardDuringLoads = new Set<Set<number>>();

  const sorted = computed(() => [...byId.values()].sort(byActivityDesc));
  /**
   * The time "muted now" is judged at (ms since the epoch): moved on when the next notification mute
   * runs out, so a conversation muted for 8 hours comes back in the list and the title's count while
   * the app stays open, without a clock ticking for every component.
   */
  const muteClock = ref(Date.now());
  watchEffect((onCleanup) => {
    const at = muteClock.value;
    let next = Infinity;
    for (const conversation of byId.values()) {
      const until = conversation.notificationsMutedUntil;
      const end = until === null ? Infinity : Date.parse(until);
      if (end > at && end < next) next = end;
    }
    if (next === Infinity) return;
    const timer = setTimeout(() => (muteClock.value = Date.now()), Math.min(next - at, LONGEST_TIMER_MS));
    onCleanup(() => clearTimeout(timer));
  });

  /**
   * Whether the person has silenced this conversation's notifications (notificationsMutedUntil still
   * ahead): no desktop notification, a struck-out bell in the list, and its unread messages leave the
   * tab title's count alone. Reactive, also to the mute running out.
   */
  function notificationsMuted(conversation: Conversation): boolean {
    const until = conversation.notificationsMutedUntil;
    return until !== null && Date.parse(until) > muteClock.value;
  }

  /** What the tab's title counts: the unread messages of conversations not silenced. */
  const totalUnread = computed(() =>
    sorted.value.reduce((sum, c) => sum + (notificationsMuted(c) ? 0 : c.unreadCount), 0),
  );

  /** Someone is looking at the page: its tab visible and its window focused. */
  function isAttentive(): boolean {
    return pageVisible.value && windowFocused.value;
  }

  /** Incoming messages of this conversation are read as they arrive. */
  function isReading(id: number): boolean {
    return openId.value === id && isAttentive() && viewingLatest.value;
  }

  function get(id: number): Conversation | undefined {
    return byId.get(id);
  }

  /**
   * A copy fetched before live events we have already applied (a slow fetch racing them) must not
   * roll back anything those events brought. Every field but the read positions and receipts changes
   * only together with a message: a group change writes its system message in the same transaction
   * (features/groups/group-change.ts), and `conversation:updated` follows that message on the same
   * socket. So the copy that has seen the later message is the newer one, its settings, members and
   * mute included; a fetched copy behind ours keeps ours (a `conversation:updated` still on its way
   * brings the rest). Read positions only move forward. The one exception is the person's own
   * `notificationsMutedUntil`, changed without a message: a fetch answered before a change and
   * received after its `conversation:notifications` shows the choice before it until the next fetch.
   */
  function merged(fetched: Conversation, known: Conversation | undefined): Conversation {
    if (!known) return fetched;
    const lastReadSeq = Math.max(known.lastReadSeq, fetched.lastReadSeq);
    const ahead = known.lastSeq > fetched.lastSeq;
    const newer = ahead ? known : fetched;
    return {
      ...newer,
      receipts: fetched.receipts,
      changeSeq: Math.max(known.changeSeq, fetched.changeSeq),
      lastReadSeq,
      unreadCount: lastReadSeq >= newer.lastSeq ? 0 : newer.unreadCount,
    };
  }

  /**
   * Takes the server's copy as it is, even where it is behind ours: after the server refused our
   * sync mark as ahead of it (a database restored from backup), ours is what is wrong.
   */
  function replace(conversation: Conversation): void {
    byId.set(conversation.id, conversation);
    useReceiptsStore().ingest(conversation);
  }

  /**
   * Takes a fetched copy. A copy older than ours keeps our count, which is right only if we counted
   * every message since from a sound base; when that is in doubt the count is fetched again, until a
   * copy at least as new as ours (a consistent snapshot of the server's count) settles it.
   */
  function upsert(conversation: Conversation): void {
    const known = byId.get(conversation.id);
    const behind = known !== undefined && known.lastSeq > conversation.lastSeq;
    byId.set(conversation.id, merged(conversation, known));
    if (!behind) countInDoubt.delete(conversation.id);
    else if (countInDoubt.has(conversation.id)) refetch(conversation.id);
    useReceiptsStore().ingest(conversation);
    if (isReading(conversation.id)) markRead(conversation.id);
  }

  /**
   * Reads the whole list a page at a time, most recently active first; the list shows once the first
   * page is in. A conversation no page listed is gone (we left, or were removed), unless we heard of
   * it live while the pages were read: one that becomes active meanwhile moves ahead of the pages
   * still to come, and its `message:new` (or `conversation:new`) is what brings it.
   */
  async function load(): Promise<void> {
    if (status.value !== 'ready') status.value = 'loading';
    const listed = new Set<number>();
    const heard = new Set<number>();
    heardDuringLoads.add(heard);
    try {
      let cursor: string | null = null;
      do {
        const limit: number = cursor === null ? FIRST_PAGE : CONVERSATION_PAGE_MAX;
        const page = await conversationsApi.fetchConversationPage(cursor, limit);
        for (const conversation of page.conversations) {
          listed.add(conversation.id);
          // Listed again: we were added back.
          removed.delete(conversation.id);
          upsert(conversation);
        }
        status.value = 'ready';
        cursor = page.nextCursor;
      } while (cursor !== null);
      for (const id of [...byId.keys()]) {
        if (!listed.has(id) && !heard.has(id) && !removed.has(id)) byId.delete(id);
      }
    } catch (error) {
      if (status.value !== 'ready') status.value = 'error';
      throw error;
    } finally {
      heardDuringLoads.delete(heard);
    }
  }

  /** A live event about this conversation: proof, to every load under way, that it is ours. */
  function heardLive(id: number): void {
    for (const heard of heardDuringLoads) heard.add(id);
  }

  /** The known copy, or one fetched once however many callers ask at the same time. */
  function ensure(id: number): Promise<Conversation | null> {
    const known = byId.get(id);
    if (known) return Promise.resolve(known);
    let pending = fetching.get(id);
    if (!pending) {
      pending = conversationsApi
        .fetchConversation(id)
        .then((conversation) => {
          upsert(conversation);
          return byId.get(id) ?? conversation;
        })
        .finally(() => fetching.delete(id));
      fetching.set(id, pending);
    }
    return pending;
  }

  /** Moves the conversation to the top and counts the message as unread unless it is ours or on screen. */
  function applyMessage(message: Message, currentUserId: number | null): void {
    heardLive(message.conversationId);
    const conversation = byId.get(message.conversationId);
    if (!conversation) {
      // A conversation we have not heard of yet: its fetched copy already includes this message.
      ensure(message.conversationId).catch(() => undefined);
      return;
    }
    if (message.seq <= conversation.lastSeq) {
      // Concurrent sends can be announced out of seq order (each after its own commit). An earlier
      // message arriving after a later one was never counted; whether a repeat was, only the server
      // knows, so its count is fetched rather than guessed.
      if (message.sender.id !== currentUserId && message.seq > conversation.lastReadSeq) {
        refetch(conversation.id);
      }
      return;
    }

    const isOwn = message.sender.id === currentUserId;
    // System messages (group changes) are not counted as unread, as on the server.
    const counted = !isOwn && message.type !== 'system';
    const reading = isReading(message.conversationId);
    const system = message.system;
    const mutedUntil =
      system?.kind === 'member_muted' && system.target.id === currentUserId
        ? system.until
        : conversation.mutedUntil;
    // The server stamps the archive with the message's own time; conversation:updated follows.
    const archivedAt =
      system?.kind === 'group_archived'
        ? message.createdAt
        : system?.kind === 'group_unarchived'
          ? null
          : conversation.archivedAt;
    // Messages in between were never seen live (a gap while the list was loading, or sends of other
    // processes overtaken by our own acknowledgement): counting this one alone would lose them.
    if (message.seq > conversation.lastSeq + 1 && !reading) refetch(conversation.id);
    byId.set(conversation.id, {
      ...conversation,
      lastMessage: message,
      lastSeq: message.seq,
      changeSeq: Math.max(conversation.changeSeq, message.changeSeq),
      lastReadSeq: reading ? message.seq : conversation.lastReadSeq,
      unreadCount: reading ? 0 : counted ? conversation.unreadCount + 1 : conversation.unreadCount,
      mutedUntil,
      archivedAt,
    });
  }

  /** `conversation:updated`: a group's settings, members, roles or archived state changed. */
  function applyGroupState(state: GroupState): void {
    const conversation = byId.get(state.conversationId);
    if (!conversation) return;
    const { conversationId: _id, ...shared } = state;
    byId.set(conversation.id, { ...conversation, ...shared });
  }

  /**
   * `user:updated`: someone renamed. Every conversation they are a member of shows the new name
   * (titles, avatars, typing, member lists, the preview's sender).
   */
  function applyUser(user: UserSummary): void {
    for (const conversation of byId.values()) {
      if (!conversation.members.some((member) => member.id === user.id)) continue;
      const last = conversation.lastMessage;
      byId.set(conversation.id, {
        ...conversation,
        members: conversation.members.map((member) =>
          member.id === user.id ? { ...member, ...user } : member,
        ),
        lastMessage: last?.sender.id === user.id ? { ...last, sender: user } : last,
      });
    }
  }

  /**
   * `conversation:new`: a conversation we were added to, perhaps one we had been removed from while
   * the app was open (added back after an unban): it is ours again, no longer read-only.
   */
  function added(conversation: Conversation): void {
    heardLive(conversation.id);
    removed.delete(conversation.id);
    upsert(conversation);
  }

  /** `conversation:removed`: keep what we hold, read-only, and say why. */
  function markRemoved({ conversationId, reason }: ConversationRemoved): void {
    if (byId.has(conversationId)) removed.set(conversationId, reason);
  }

  /**
   * An edit, deletion or reaction: the preview may change, and a deleted unread message no longer
   * counts as unread. Whether it was counted (already deleted before?) only the server knows, so
   * the conversation is fetched again rather than guessed at; a repeated event fetches harmlessly.
   */
  function applyUpdate(message: Message, me: number | null): void {
    const conversation = byId.get(message.conversationId);
    if (!conversation) return;
    const last = conversation.lastMessage;
    if (last && last.id === message.id && last.changeSeq < message.changeSeq) {
      byId.set(conversation.id, { ...conversation, lastMessage: message });
    }
    if (message.deletedAt && message.sender.id !== me && message.seq > conversation.lastReadSeq) {
      refetch(conversation.id);
    }
  }

  /**
   * Takes the server's unread count and read position for a conversation whose count is in doubt.
   * One fetch at a time per conversation; `upsert` fetches again while the answer is older than ours.
   */
  function refetch(id: number): void {
    countInDoubt.add(id);
    if (refetching.has(id)) return;
    refetching.add(id);
    conversationsApi.fetchConversation(id).then(
      (conversation) => {
        refetching.delete(id);
        upsert(conversation);
      },
      (error: unknown) => {
        refetching.delete(id);
        console.warn('refreshing the unread count failed', error);
      },
    );
  }

  /** Our read position moved in another tab or device. Positions only move forward. */
  function applyReadState(state: ReadState): void {
    const conversation = byId.get(state.conversationId);
    if (!conversation || state.lastReadSeq < conversation.lastReadSeq) return;
    byId.set(conversation.id, {
      ...conversation,
      lastReadSeq: state.lastReadSeq,
      unreadCount: state.unreadCount,
    });
  }

  /**
   * The version of the latest notification choice heard for each conversation: the answer to this
   * tab's own change and the events of several tabs' changes arrive in any order.
   */
  const notificationVersions = new Map<number, number>();

  /** The person's notification choice for a conversation, from this tab or another; older ones lose. */
  function applyNotificationSettings(settings: NotificationSettings): void {
    if (settings.version <= (notificationVersions.get(settings.conversationId) ?? 0)) return;
    notificationVersions.set(settings.conversationId, settings.version);
    const conversation = byId.get(settings.conversationId);
    if (!conversation) return;
    byId.set(conversation.id, { ...conversation, notificationsMutedUntil: settings.notificationsMutedUntil });
  }

  /** Mutes or unmutes the conversation's notifications (every device; rejects with ApiRequestError). */
  async function setNotifications(id: number, body: NotificationSettingsBody): Promise<void> {
    applyNotificationSettings(await conversationsApi.setNotifications(id, body));
  }

  function markRead(id: number): void {
    const conversation = byId.get(id);
    if (
      !conversation ||
      (conversation.unreadCount === 0 && conversation.lastReadSeq === conversation.lastSeq)
    )
      return;
    byId.set(id, { ...conversation, unreadCount: 0, lastReadSeq: conversation.lastSeq });
  }

  /**
   * The message list has shown the conversation up to `seq` to someone looking at it. The position
   * only moves forward, and not at all while the page is hidden or its window unfocused.
   * `unreadLeft` is the list's count of what stays unread (the server's answer corrects it).
   * Returns whether the position moved.
   */
  function markReadUpTo(id: number, seq: number, unreadLeft: number): boolean {
    const conversation = byId.get(id);
    if (!conversation || !isAttentive() || seq <= conversation.lastReadSeq) return false;
    const lastReadSeq = Math.min(seq, conversation.lastSeq);
    byId.set(id, {
      ...conversation,
      lastReadSeq,
      unreadCount: lastReadSeq >= conversation.lastSeq ? 0 : Math.min(unreadLeft, conversation.unreadCount),
    });
    return true;
  }

  /** Opening does not read yet: the message list says what has been on screen. */
  function setOpen(id: number | null): void {
    if (openId.value !== id) viewingLatest.value = false;
    openId.value = id;
  }

  function setPageVisible(visible: boolean): void {
    pageVisible.value = visible;
  }

  function setWindowFocused(focused: boolean): void {
    windowFocused.value = focused;
  }

  function setViewingLatest(viewing: boolean): void {
    viewingLatest.value = viewing;
  }

  async function openDirect(username: string): Promise<Conversation> {
    const conversation = await conversationsApi.openDirect(username);
    upsert(conversation);
    return byId.get(conversation.id) ?? conversation;
  }

  async function createGroup(body: CreateGroupBody): Promise<Conversation> {
    const conversation = await conversationsApi.createGroup(body);
    upsert(conversation);
    return conversation;
  }

  function reset(): void {
    byId.clear();
    // Versions count one user's changes: the next person's start again.
    notificationVersions.clear();
    fetching.clear();
    countInDoubt.clear();
    removed.clear();
    status.value = 'idle';
    openId.value = null;
    viewingLatest.value = false;
  }

  return {
    byId,
    status,
    openId,
    pageVisible,
    windowFocused,
    viewingLatest,
    sorted,
    totalUnread,
    notificationsMuted,
    isAttentive,
    isReading,
    get,
    replace,
    upsert,
    load,
    ensure,
    applyMessage,
    applyUpdate,
    applyGroupState,
    applyUser,
    added,
    markRemoved,
    removed,
    applyReadState,
    applyNotificationSettings,
    setNotifications,
    markRead,
    markReadUpTo,
    setOpen,
    setPageVisible,
    setWindowFocused,
    setViewingLatest,
    createGroup,
    openDirect,
    reset,
  };
});
