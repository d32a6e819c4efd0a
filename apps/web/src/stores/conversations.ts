import type { Conversation, CreateGroupBody, Message, ReadState } from '@parley/shared';
import { defineStore } from 'pinia';
import { computed, reactive, ref } from 'vue';
import * as conversationsApi from '@/api/conversations';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

/** Latest activity: the newest message, or creation for a conversation nobody has written in yet. */
export function lastActivity(conversation: Conversation): number {
  return Date.parse(conversation.lastMessage?.createdAt ?? conversation.createdAt);
}

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
  const fetching = new Map<number, Promise<Conversation | null>>();

  const sorted = computed(() => [...byId.values()].sort(byActivityDesc));
  const totalUnread = computed(() => sorted.value.reduce((sum, c) => sum + c.unreadCount, 0));

  /** Incoming messages of this conversation are read as they arrive. */
  function isReading(id: number): boolean {
    return openId.value === id && pageVisible.value;
  }

  function get(id: number): Conversation | undefined {
    return byId.get(id);
  }

  function upsert(conversation: Conversation): void {
    const known = byId.get(conversation.id);
    // A stale copy (e.g. a slow fetch) must not roll back a newer last message.
    if (known && known.lastSeq > conversation.lastSeq) {
      byId.set(conversation.id, { ...conversation, lastMessage: known.lastMessage, lastSeq: known.lastSeq });
    } else {
      byId.set(conversation.id, conversation);
    }
    if (isReading(conversation.id)) markRead(conversation.id);
  }

  async function load(): Promise<void> {
    if (status.value !== 'ready') status.value = 'loading';
    try {
      const conversations = await conversationsApi.fetchConversations();
      byId.clear();
      for (const conversation of conversations) upsert(conversation);
      status.value = 'ready';
    } catch (error) {
      if (status.value !== 'ready') status.value = 'error';
      throw error;
    }
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
    const conversation = byId.get(message.conversationId);
    if (!conversation) {
      // A conversation we have not heard of yet: its fetched copy already includes this message.
      ensure(message.conversationId).catch(() => undefined);
      return;
    }
    if (message.seq <= conversation.lastSeq) return;

    const isOwn = message.sender.id === currentUserId;
    const reading = isReading(message.conversationId);
    byId.set(conversation.id, {
      ...conversation,
      lastMessage: message,
      lastSeq: message.seq,
      changeSeq: Math.max(conversation.changeSeq, message.changeSeq),
      lastReadSeq: reading ? message.seq : conversation.lastReadSeq,
      unreadCount: reading ? 0 : isOwn ? conversation.unreadCount : conversation.unreadCount + 1,
    });
  }

  /** An edit, deletion or reaction: only the preview can change here. */
  function applyUpdate(message: Message): void {
    const conversation = byId.get(message.conversationId);
    const last = conversation?.lastMessage;
    if (!conversation || !last || last.id !== message.id || last.changeSeq >= message.changeSeq) return;
    byId.set(conversation.id, { ...conversation, lastMessage: message });
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

  function markRead(id: number): void {
    const conversation = byId.get(id);
    if (
      !conversation ||
      (conversation.unreadCount === 0 && conversation.lastReadSeq === conversation.lastSeq)
    )
      return;
    byId.set(id, { ...conversation, unreadCount: 0, lastReadSeq: conversation.lastSeq });
  }

  function setOpen(id: number | null): void {
    openId.value = id;
    if (id !== null && pageVisible.value) markRead(id);
  }

  function setPageVisible(visible: boolean): void {
    pageVisible.value = visible;
    if (visible && openId.value !== null) markRead(openId.value);
  }

  async function createGroup(body: CreateGroupBody): Promise<Conversation> {
    const conversation = await conversationsApi.createGroup(body);
    upsert(conversation);
    return conversation;
  }

  function reset(): void {
    byId.clear();
    fetching.clear();
    status.value = 'idle';
    openId.value = null;
  }

  return {
    byId,
    status,
    openId,
    pageVisible,
    sorted,
    totalUnread,
    isReading,
    get,
    upsert,
    load,
    ensure,
    applyMessage,
    applyUpdate,
    applyReadState,
    markRead,
    setOpen,
    setPageVisible,
    createGroup,
    reset,
  };
});
