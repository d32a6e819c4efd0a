import type {
  Message,
  MessageGeneration,
  Reaction,
  ReplyPreview,
  SyncResult,
  SystemEvent,
  UserSummary,
} from '@parley/shared';
import { ChangeTracker } from '@parley/client';
import { defineStore } from 'pinia';
import { markRaw, reactive } from 'vue';
import * as conversationsApi from '@/api/conversations';
import { replyPreviewOf } from '@/lib/replyPreview';
import { useCatchUpStore } from './catchUp';
import { useConversationsStore, type LoadStatus } from './conversations';

/** Messages shown before a jump target, so it does not sit at the very top of what was loaded. */
const JUMP_CONTEXT = 20;
/** Pages fetched to close a seq gap before giving up and reloading the newest page. */
const GAP_FILL_PAGES = 5;
const GAP_PAGE_SIZE = 100;
/** Live copies kept for messages outside the loaded window (see `recent`). */
const RECENT_MAX = 300;

/** A message of ours the server has not stored yet (the outbox owns its persistence). */
export interface OutgoingMessage {
  conversationId: number;
  clientMsgId: string;
  sender: UserSummary;
  text: string;
  replyTo: ReplyPreview | null;
  createdAt: string;
  state: 'sending' | 'failed';
  /** Why it failed, for the words under it. */
  errorCode: string | null;
}

export type DeliveryState = 'sent' | OutgoingMessage['state'];

/** What the message list renders: stored messages by seq, then our outgoing ones in the order typed. */
export interface TimelineMessage {
  /** Stable across the outgoing → stored switch, so the row is not re-created. */
  key: string;
  id: number | null;
  seq: number | null;
  changeSeq: number;
  conversationId: number;
  clientMsgId: string;
  sender: UserSummary;
  text: string;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
  /** Deleted by a group admin rather than its sender. */
  removedByAdmin: boolean;
  /** A group change (rendered by MessageSystemNotice), else null. */
  system: SystemEvent | null;
  replyTo: ReplyPreview | null;
  reactions: Reaction[];
  /** A companion's reply still streaming in, or one it could not write (with a retry). */
  generation: MessageGeneration | null;
  state: DeliveryState;
  errorCode: string | null;
}

/**
 * The loaded part of one conversation: a window of consecutive seqs. It reaches the newest message
 * unless `hasNewer` (after jumping back to an old message); live messages are appended only then.
 */
export interface ConversationThread {
  /** Sorted by seq, consecutive, no duplicates. Each message is replaced, never mutated. */
  stored: Message[];
  outgoing: OutgoingMessage[];
  hasOlder: boolean;
  hasNewer: boolean;
  status: LoadStatus;
  loadingOlder: boolean;
  loadingNewer: boolean;
  /** Bumped whenever the window is replaced rather than extended, so views land afresh. */
  epoch: number;
}

export function messageKey(senderId: number, clientMsgId: string): string {
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

function newer(a: Message, b: Message | undefined): Message {
  return b && b.changeSeq > a.changeSeq ? b : a;
}

export function toTimeline(message: Message): TimelineMessage {
  return {
    key: messageKey(message.sender.id, message.clientMsgId),
    id: message.id,
    seq: message.seq,
    changeSeq: message.changeSeq,
    conversationId: message.conversationId,
    clientMsgId: message.clientMsgId,
    sender: message.sender,
    text: message.text,
    createdAt: message.createdAt,
    editedAt: message.editedAt,
    deletedAt: message.deletedAt,
    removedByAdmin: message.removedByAdmin,
    system: message.system,
    replyTo: message.replyTo,
    reactions: message.reactions,
    generation: message.generation,
    state: 'sent',
    errorCode: null,
  };
}

function outgoingToTimeline(message: OutgoingMessage): TimelineMessage {
  return {
    ...message,
    key: messageKey(message.sender.id, message.clientMsgId),
    id: null,
    seq: null,
    changeSeq: 0,
    editedAt: null,
    deletedAt: null,
    removedByAdmin: false,
    system: null,
    reactions: [],
    generation: null,
  };
}

export const useMessagesStore = defineStore('messages', () => {
  const conversations = useConversationsStore();
  const threads = reactive(new Map<number, ConversationThread>());
  const drafts = reactive(new Map<number, string>());
  /** The message each conversation's composer is replying to. */
  const replyDrafts = reactive(new Map<number, ReplyPreview>());

  // Bookkeeping that no view renders, so it stays out of the reactive state.
  const trackers = new Map<number, ChangeTracker>();
  /**
   * The latest copy of messages seen live but not in the window (a message that arrived while the
   * first page was loading, a change to an old message, a message past a gap): a page fetched
   * later may predate them, and the newer copy must win.
   */
  const recent = new Map<number, Map<number, Message>>();
  const gapFills = new Map<number, Promise<void>>();

  function thread(conversationId: number): ConversationThread {
    let existing = threads.get(conversationId);
    if (!existing) {
      threads.set(conversationId, {
        stored: [],
        outgoing: [],
        hasOlder: false,
        hasNewer: false,
        status: 'idle',
        loadingOlder: false,
        loadingNewer: false,
        epoch: 0,
      });
      existing = threads.get(conversationId)!;
    }
    return existing;
  }

  function tracker(conversationId: number): ChangeTracker {
    let existing = trackers.get(conversationId);
    if (!existing) {
      existing = new ChangeTracker();
      trackers.set(conversationId, existing);
    }
    return existing;
  }

  /** The changeSeq to catch up from (the sync mark): every change up to it has been seen. */
  function watermark(conversationId: number): number {
    return trackers.get(conversationId)?.position ?? 0;
  }

  /** Whether a change was seen past one that never arrived (catch-up should run for it). */
  function hasHole(conversationId: number): boolean {
    return trackers.get(conversationId)?.hasHole ?? false;
  }

  /** A change of a loaded conversation arrived past a missing one: ask catch-up for what was missed. */
  function seen(message: Message): void {
    // Only loaded conversations have a sync mark; loading one sets it from the server.
    if (threads.get(message.conversationId)?.status !== 'ready') return;
    const changes = tracker(message.conversationId);
    changes.see(message.changeSeq);
    if (changes.hasHole && threads.get(message.conversationId)?.status === 'ready')
      useCatchUpStore().syncSoon(message.conversationId);
  }

  /** Conversations whose messages are loaded, the ones catch-up must bring up to date. */
  function loadedConversationIds(): number[] {
    return [...threads].filter(([, current]) => current.status === 'ready').map(([id]) => id);
  }

  function timeline(conversationId: number): TimelineMessage[] {
    const current = threads.get(conversationId);
    if (!current) return [];
    const stored = current.stored.map(toTimeline);
    // Pending messages belong after the newest one; a window of old history does not show them.
    if (current.hasNewer) return stored;
    return stored.concat(current.outgoing.map(outgoingToTimeline));
  }

  function find(conversationId: number, messageId: number): Message | undefined {
    const current = threads.get(conversationId);
    return current?.stored.find((message) => message.id === messageId);
  }

  function findBySeq(conversationId: number, seq: number): Message | undefined {
    const stored = threads.get(conversationId)?.stored;
    if (!stored) return undefined;
    const found = stored[insertionIndex(stored, seq)];
    return found?.seq === seq ? found : undefined;
  }

  function remember(message: Message): void {
    let byId = recent.get(message.conversationId);
    if (!byId) {
      byId = new Map();
      recent.set(message.conversationId, byId);
    }
    byId.set(message.id, newer(message, byId.get(message.id)));
    if (byId.size > RECENT_MAX) byId.delete(byId.keys().next().value!);
  }

  function fresh(message: Message): Message {
    return markRaw(newer(message, recent.get(message.conversationId)?.get(message.id)));
  }

  type Placement = 'added' | 'replaced' | 'known' | 'outside' | 'gap';

  /** Puts a message where it belongs in the window, if it belongs there. */
  function place(message: Message): Placement {
    const current = threads.get(message.conversationId);
    if (!current || current.status !== 'ready') {
      remember(message);
      return 'outside';
    }
    const stored = current.stored;
    const index = insertionIndex(stored, message.seq);
    const atIndex = stored[index];
    if (atIndex?.seq === message.seq) {
      if (message.changeSeq <= atIndex.changeSeq) return 'known';
      stored.splice(index, 1, markRaw(message));
      return 'replaced';
    }
    const last = stored.at(-1)?.seq ?? 0;
    if (!current.hasNewer && message.seq === last + 1) {
      stored.push(markRaw(message));
      return 'added';
    }
    remember(message);
    return !current.hasNewer && message.seq > last ? 'gap' : 'outside';
  }

  /** Brings in live copies that now fit: newer versions of held messages, and the ones that follow. */
  function absorbRecent(conversationId: number): void {
    const current = threads.get(conversationId);
    const byId = recent.get(conversationId);
    if (!current || current.status !== 'ready' || !byId) return;
    const candidates = [...byId.values()].sort((a, b) => a.seq - b.seq);
    for (const message of candidates) {
      const placement = place(message);
      if (placement === 'added' || placement === 'replaced' || placement === 'known') byId.delete(message.id);
    }
  }

  function removeOutgoing(message: Message): void {
    const current = threads.get(message.conversationId);
    if (!current) return;
    const index = current.outgoing.findIndex(
      (pending) => pending.clientMsgId === message.clientMsgId && pending.sender.id === message.sender.id,
    );
    if (index !== -1) current.outgoing.splice(index, 1);
  }

  /** Quotes are computed when read: a change to a quoted message changes the replies that show it. */
  function refreshQuotes(changed: Message): void {
    const current = threads.get(changed.conversationId);
    if (!current) return;
    const preview = replyPreviewOf(changed);
    current.stored.forEach((message, index) => {
      if (message.replyTo?.id !== changed.id) return;
      if (message.replyTo.excerpt === preview.excerpt && message.replyTo.deleted === preview.deleted) return;
      current.stored.splice(index, 1, markRaw({ ...message, replyTo: { ...message.replyTo, ...preview } }));
    });
    for (const pending of current.outgoing) {
      if (pending.replyTo?.id === changed.id) pending.replyTo = preview;
    }
    const reply = replyDrafts.get(changed.conversationId);
    if (reply?.id === changed.id) replyDrafts.set(changed.conversationId, preview);
  }

  /**
   * A stored message from the server (live, acknowledged, or caught up): replaces our outgoing copy,
   * goes into the window if it belongs there, and a seq gap fetches what was missed.
   * Returns true when it was new to the window.
   */
  function receive(message: Message): boolean {
    seen(message);
    removeOutgoing(message);
    const placement = place(message);
    if (placement === 'gap') void fillGap(message.conversationId);
    // A changed message (caught up, maybe older than the window) may be quoted by replies we hold.
    if (placement === 'replaced' || placement === 'outside') refreshQuotes(message);
    return placement === 'added';
  }

  /** An edited, deleted or reacted-to message: replaces our copy unless ours is as new or newer. */
  function update(message: Message): void {
    seen(message);
    // A change to a message we never got: its message:new was missed, and the gap fill fetches it.
    if (place(message) === 'gap') void fillGap(message.conversationId);
    refreshQuotes(message);
  }

  /** Shows a local change at once (a reaction), before the server confirms it with a new changeSeq. */
  function patchLocally(
    conversationId: number,
    messageId: number,
    patch: (message: Message) => Message,
  ): Message | null {
    const current = threads.get(conversationId);
    if (!current) return null;
    const index = current.stored.findIndex((message) => message.id === messageId);
    const before = current.stored[index];
    if (!before) return null;
    current.stored.splice(index, 1, markRaw(patch(before)));
    return before;
  }

  /** Puts back a copy replaced by `patchLocally` if nothing newer came meanwhile. */
  function revertLocally(original: Message): void {
    const current = threads.get(original.conversationId);
    const index = current?.stored.findIndex((message) => message.id === original.id) ?? -1;
    const held = current?.stored[index];
    if (current && held && held.changeSeq === original.changeSeq) current.stored.splice(index, 1, original);
  }

  /** One `conversation:sync` result: merge by id (the higher changeSeq wins), then everything up to its changeSeq is known. */
  function applySync(result: SyncResult): void {
    // The page's changes are complete up to its changeSeq: move the mark first, so they show no hole.
    tracker(result.conversationId).advanceTo(result.changeSeq);
    for (const message of result.messages) receive(message);
  }

  function addOutgoing(outgoing: OutgoingMessage): void {
    const current = thread(outgoing.conversationId);
    if (!current.outgoing.some((pending) => pending.clientMsgId === outgoing.clientMsgId))
      current.outgoing.push(outgoing);
  }

  function findOutgoing(conversationId: number, clientMsgId: string): OutgoingMessage | undefined {
    return threads.get(conversationId)?.outgoing.find((pending) => pending.clientMsgId === clientMsgId);
  }

  function setOutgoingState(
    conversationId: number,
    clientMsgId: string,
    state: OutgoingMessage['state'],
    errorCode: string | null = null,
  ): void {
    const pending = findOutgoing(conversationId, clientMsgId);
    if (!pending) return;
    pending.state = state;
    pending.errorCode = errorCode;
  }

  function discardOutgoing(conversationId: number, clientMsgId: string): void {
    const current = threads.get(conversationId);
    if (!current) return;
    const index = current.outgoing.findIndex((pending) => pending.clientMsgId === clientMsgId);
    if (index !== -1) current.outgoing.splice(index, 1);
  }

  /** Replaces the window with a page, keeping the newer of each fetched and live copy. */
  function replaceWindow(current: ConversationThread, page: readonly Message[]): void {
    current.stored.splice(0, current.stored.length, ...page.map(fresh));
    current.epoch += 1;
  }

  /**
   * Loads the conversation: the newest page, or the page starting just before `aroundSeq`
   * (opening at the first unread message of a long backlog).
   */
  async function loadInitial(conversationId: number, aroundSeq?: number): Promise<void> {
    const current = thread(conversationId);
    if (current.status === 'loading' || current.status === 'ready') return;
    current.status = 'loading';
    // Read before the page is fetched, so every change up to it is in the page (or outside the window).
    const baseline = conversations.get(conversationId)?.changeSeq ?? 0;
    try {
      const after = aroundSeq === undefined ? null : Math.max(0, aroundSeq - 1 - JUMP_CONTEXT);
      const page = await conversationsApi.fetchHistory(conversationId, after === null ? null : { after });
      if (current.status !== 'loading') return;
      replaceWindow(current, page.messages);
      current.hasOlder = after === null ? page.hasMore : after > 0;
      current.hasNewer = after === null ? false : page.hasMore;
      current.status = 'ready';
      tracker(conversationId).advanceTo(baseline);
      absorbRecent(conversationId);
    } catch (error) {
      if (current.status === 'loading') current.status = 'error';
      throw error;
    }
  }

  /**
   * Drops the window and loads the newest page again (too far behind, leaving old history, or a
   * sync mark the server refused). The sync mark starts again from the server's own changeSeq.
   */
  async function reload(conversationId: number): Promise<void> {
    const current = thread(conversationId);
    conversations.replace(await conversationsApi.fetchConversation(conversationId));
    trackers.delete(conversationId);
    current.status = 'idle';
    current.stored.splice(0, current.stored.length);
    current.hasOlder = false;
    current.hasNewer = false;
    current.loadingOlder = false;
    current.loadingNewer = false;
    current.epoch += 1;
    await loadInitial(conversationId);
  }

  /** Adds the page just older than the window; prepending keeps seq order by construction. */
  async function loadOlder(conversationId: number): Promise<void> {
    const current = thread(conversationId);
    const oldest = current.stored[0];
    if (current.status !== 'ready' || !current.hasOlder || current.loadingOlder || !oldest) return;
    const epoch = current.epoch;
    current.loadingOlder = true;
    try {
      const page = await conversationsApi.fetchHistory(conversationId, { before: oldest.seq });
      if (current.epoch !== epoch) return;
      const older = page.messages.filter((message) => message.seq < oldest.seq).map(fresh);
      current.stored.splice(0, 0, ...older);
      current.hasOlder = page.hasMore;
    } finally {
      if (current.epoch === epoch) current.loadingOlder = false;
    }
  }

  /** Adds the page just newer than a window of old history; reaching the end re-attaches it to live messages. */
  async function loadNewer(conversationId: number): Promise<void> {
    const current = thread(conversationId);
    const newest = current.stored.at(-1);
    if (current.status !== 'ready' || !current.hasNewer || current.loadingNewer || !newest) return;
    const epoch = current.epoch;
    current.loadingNewer = true;
    try {
      const page = await conversationsApi.fetchHistory(conversationId, { after: newest.seq });
      if (current.epoch !== epoch) return;
      current.stored.push(...page.messages.filter((message) => message.seq > newest.seq).map(fresh));
      current.hasNewer = page.hasMore;
      absorbRecent(conversationId);
    } finally {
      if (current.epoch === epoch) current.loadingNewer = false;
    }
  }

  /** Makes sure `seq` is in the window, loading the history around it instead when it is not. */
  async function jumpTo(conversationId: number, seq: number): Promise<void> {
    const current = thread(conversationId);
    if (current.status !== 'ready') {
      await loadInitial(conversationId, seq);
      return;
    }
    if (findBySeq(conversationId, seq)) return;
    const epoch = current.epoch;
    const after = Math.max(0, seq - 1 - JUMP_CONTEXT);
    const page = await conversationsApi.fetchHistory(conversationId, { after });
    if (current.epoch !== epoch) return;
    replaceWindow(current, page.messages);
    current.hasOlder = after > 0;
    current.hasNewer = page.hasMore;
    current.loadingOlder = false;
    current.loadingNewer = false;
    absorbRecent(conversationId);
  }

  /**
   * Fetches the messages between the newest held and one that arrived past a gap (seq is gapless,
   * so a gap always means something was missed). Too far behind: reload the newest page.
   */
  function fillGap(conversationId: number): Promise<void> {
    const running = gapFills.get(conversationId);
    if (running) return running;
    const work = (async () => {
      const current = thread(conversationId);
      const epoch = current.epoch;
      for (let page = 0; page < GAP_FILL_PAGES; page += 1) {
        const last = current.stored.at(-1)?.seq ?? 0;
        const pending = [...(recent.get(conversationId)?.values() ?? [])].some(
          (message) => message.seq > last,
        );
        if (!pending || current.hasNewer || current.status !== 'ready') return;
        const fetched = await conversationsApi.fetchHistory(conversationId, { after: last }, GAP_PAGE_SIZE);
        if (current.epoch !== epoch) return;
        for (const message of fetched.messages) place(fresh(message));
        absorbRecent(conversationId);
        if (!fetched.hasMore) return;
      }
      await reload(conversationId);
    })()
      .catch((error: unknown) => console.warn('could not fetch missed messages', error))
      .finally(() => gapFills.delete(conversationId));
    gapFills.set(conversationId, work);
    return work;
  }

  function reset(): void {
    threads.clear();
    drafts.clear();
    replyDrafts.clear();
    trackers.clear();
    recent.clear();
    gapFills.clear();
  }

  return {
    threads,
    drafts,
    replyDrafts,
    thread,
    timeline,
    find,
    findBySeq,
    watermark,
    hasHole,
    loadedConversationIds,
    receive,
    update,
    patchLocally,
    revertLocally,
    applySync,
    addOutgoing,
    findOutgoing,
    setOutgoingState,
    discardOutgoing,
    loadInitial,
    reload,
    loadOlder,
    loadNewer,
    jumpTo,
    fillGap,
    reset,
  };
});
