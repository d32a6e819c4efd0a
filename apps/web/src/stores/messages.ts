import type { Message, UserSummary } from '@parley/shared';
import { defineStore } from 'pinia';
import { reactive } from 'vue';
import * as conversationsApi from '@/api/conversations';
import type { LoadStatus } from './conversations';

/** A message of ours the server has not stored yet. */
export interface OutgoingMessage {
  conversationId: number;
  clientMsgId: string;
  sender: UserSummary;
  text: string;
  createdAt: string;
  state: 'sending' | 'failed';
}

export type DeliveryState = 'sent' | OutgoingMessage['state'];

/** What the message list renders: stored messages by seq, then our outgoing ones in the order we wrote them. */
export interface TimelineMessage {
  /** Stable across the outgoing → stored switch, so the row is not re-created. */
  key: string;
  id: number | null;
  seq: number | null;
  conversationId: number;
  clientMsgId: string;
  sender: UserSummary;
  text: string;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
  state: DeliveryState;
}

export interface ConversationThread {
  /** Sorted by seq, no duplicates. */
  stored: Message[];
  outgoing: OutgoingMessage[];
  hasMore: boolean;
  status: LoadStatus;
  loadingOlder: boolean;
}

function messageKey(senderId: number, clientMsgId: string): string {
  return `${senderId}:${clientMsgId}`;
}

/** Index at which a message with this seq belongs in a seq-sorted list. */
function insertionIndex(list: readonly Message[], seq: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (list[mid]!.seq < seq) low = mid + 1;
    else high = mid;
  }
  return low;
}

export const useMessagesStore = defineStore('messages', () => {
  const threads = reactive(new Map<number, ConversationThread>());
  const drafts = reactive(new Map<number, string>());

  function thread(conversationId: number): ConversationThread {
    let existing = threads.get(conversationId);
    if (!existing) {
      threads.set(conversationId, {
        stored: [],
        outgoing: [],
        hasMore: false,
        status: 'idle',
        loadingOlder: false,
      });
      existing = threads.get(conversationId)!;
    }
    return existing;
  }

  function timeline(conversationId: number): TimelineMessage[] {
    const current = threads.get(conversationId);
    if (!current) return [];
    const stored: TimelineMessage[] = current.stored.map((message) => ({
      key: messageKey(message.sender.id, message.clientMsgId),
      id: message.id,
      seq: message.seq,
      conversationId: message.conversationId,
      clientMsgId: message.clientMsgId,
      sender: message.sender,
      text: message.text,
      createdAt: message.createdAt,
      editedAt: message.editedAt,
      deletedAt: message.deletedAt,
      state: 'sent',
    }));
    const outgoing: TimelineMessage[] = current.outgoing.map((message) => ({
      ...message,
      key: messageKey(message.sender.id, message.clientMsgId),
      id: null,
      seq: null,
      editedAt: null,
      deletedAt: null,
    }));
    return stored.concat(outgoing);
  }

  /**
   * Puts a stored message in its seq slot, replacing our outgoing copy if it is one of ours.
   * Returns false for a message already known by id, seq or (sender, clientMsgId).
   */
  function insert(message: Message): boolean {
    const current = thread(message.conversationId);
    const outgoingIndex = current.outgoing.findIndex(
      (pending) => pending.clientMsgId === message.clientMsgId && pending.sender.id === message.sender.id,
    );
    if (outgoingIndex !== -1) current.outgoing.splice(outgoingIndex, 1);

    const index = insertionIndex(current.stored, message.seq);
    const atIndex = current.stored[index];
    if (atIndex && atIndex.seq === message.seq) {
      // The same message seen again, maybe in a newer state (edited since our copy was fetched).
      if (atIndex.id === message.id && message.changeSeq > atIndex.changeSeq)
        current.stored.splice(index, 1, message);
      return false;
    }
    if (current.stored.some((known) => known.id === message.id)) return false;
    current.stored.splice(index, 0, message);
    return true;
  }

  function insertMany(messages: readonly Message[]): void {
    for (const message of messages) insert(message);
  }

  function addOutgoing(conversationId: number, text: string, sender: UserSummary): OutgoingMessage {
    const outgoing: OutgoingMessage = {
      conversationId,
      clientMsgId: crypto.randomUUID(),
      sender: { id: sender.id, username: sender.username, displayName: sender.displayName },
      text,
      createdAt: new Date().toISOString(),
      state: 'sending',
    };
    thread(conversationId).outgoing.push(outgoing);
    return outgoing;
  }

  function findOutgoing(conversationId: number, clientMsgId: string): OutgoingMessage | undefined {
    return threads.get(conversationId)?.outgoing.find((pending) => pending.clientMsgId === clientMsgId);
  }

  function setOutgoingState(
    conversationId: number,
    clientMsgId: string,
    state: OutgoingMessage['state'],
  ): void {
    const pending = findOutgoing(conversationId, clientMsgId);
    if (pending) pending.state = state;
  }

  function lastStoredSeq(conversationId: number): number {
    return threads.get(conversationId)?.stored.at(-1)?.seq ?? 0;
  }

  async function loadInitial(conversationId: number): Promise<void> {
    const current = thread(conversationId);
    if (current.status === 'loading' || current.status === 'ready') return;
    current.status = 'loading';
    try {
      const page = await conversationsApi.fetchHistory(conversationId);
      insertMany(page.messages);
      current.hasMore = page.hasMore;
      current.status = 'ready';
    } catch (error) {
      current.status = 'error';
      throw error;
    }
  }

  /** Adds the page just older than what we have; prepending keeps seq order by construction. */
  async function loadOlder(conversationId: number): Promise<void> {
    const current = thread(conversationId);
    const oldest = current.stored[0];
    if (!current.hasMore || current.loadingOlder || !oldest) return;
    current.loadingOlder = true;
    try {
      const page = await conversationsApi.fetchHistory(conversationId, oldest.seq);
      insertMany(page.messages);
      current.hasMore = page.hasMore;
    } finally {
      current.loadingOlder = false;
    }
  }

  /**
   * Catches up with the newest page (after a reconnect, or when a seq gap shows we missed something).
   * If even the newest page does not reach what we have, the middle is dropped and paged in again later.
   */
  async function syncLatest(conversationId: number): Promise<void> {
    const current = threads.get(conversationId);
    if (!current || current.status !== 'ready') return;
    const known = lastStoredSeq(conversationId);
    const page = await conversationsApi.fetchHistory(conversationId);
    const first = page.messages[0];
    if (first && known > 0 && first.seq > known + 1) {
      current.stored.splice(0, current.stored.length);
      current.hasMore = page.hasMore;
    }
    insertMany(page.messages);
  }

  /** A message pushed by the server. A seq gap means we missed some: fetch them rather than show a hole. */
  function receive(message: Message): void {
    const current = threads.get(message.conversationId);
    // Not loaded yet: opening the conversation fetches it, so there is nothing to keep.
    if (!current || current.status !== 'ready') return;
    const known = lastStoredSeq(message.conversationId);
    if (known > 0 && message.seq > known + 1) {
      syncLatest(message.conversationId).catch(() => insert(message));
      return;
    }
    insert(message);
  }

  /** An edited, deleted or reacted-to message replaces our copy unless ours is as new or newer. */
  function update(message: Message): void {
    const current = threads.get(message.conversationId);
    if (!current) return;
    const index = current.stored.findIndex((known) => known.id === message.id);
    const known = current.stored[index];
    if (!known || known.changeSeq >= message.changeSeq) return;
    current.stored.splice(index, 1, message);
  }

  function reset(): void {
    threads.clear();
    drafts.clear();
  }

  return {
    threads,
    drafts,
    thread,
    timeline,
    insert,
    insertMany,
    addOutgoing,
    findOutgoing,
    setOutgoingState,
    loadInitial,
    loadOlder,
    syncLatest,
    receive,
    update,
    reset,
  };
});
