import type { Timeline } from '@parley/client';
import type {
  Attachment,
  Message,
  MessageGeneration,
  Reaction,
  ReplyPreview,
  SystemEvent,
  UserSummary,
} from '@parley/shared';
import { HISTORY_PAGE_MAX } from '@parley/shared';
import { defineStore } from 'pinia';
import { markRaw, reactive } from 'vue';
import * as conversationsApi from '@/api/conversations';
import { replyPreviewOf } from '@/lib/replyPreview';
import { useConversationsStore, type LoadStatus } from './conversations';
import { useOutgoingStore, type OutgoingMessage, type OutgoingUpload } from './outgoing';
import { useParleyClientStore } from './parleyClient';
import { usePeopleStore } from './people';

export type { OutgoingMessage } from './outgoing';

/**
 * Messages loaded before a jump target (a search result, a quoted message, the first unread of a long
 * backlog), with JUMP_PAGE in all: enough on either side that the list, landing there, is further
 * than its load-ahead distance from both ends and fetches no page before the reader scrolls. With
 * 20 before and 29 after, it fetched older pages at once, and on a loaded machine the first of them
 * was not held in place: the view drifted up to the oldest messages, page after page.
 */
const JUMP_CONTEXT = 45;
const JUMP_PAGE = HISTORY_PAGE_MAX;
/** Pages fetched to close a seq gap before giving up and reloading the newest page. */
const GAP_FILL_PAGES = 5;
const GAP_PAGE_SIZE = 100;

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
  /** An image, file or voice message's upload (the text is then its caption), else null. */
  attachment: Attachment | null;
  state: DeliveryState;
  errorCode: string | null;
  /** Ours, not stored yet, with a file: its local copy and upload progress (null otherwise). */
  upload: OutgoingUpload | null;
}

/**
 * The part of one conversation on screen: a window of consecutive seqs over the client's timeline
 * (which holds every copy the client has, newest version of each). It reaches the newest message
 * unless `hasNewer` (after jumping back to an old message); live messages extend it only then.
 */
export interface ConversationThread {
  /** The window's messages, sorted by seq, consecutive. Each is replaced, never mutated. */
  stored: Message[];
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
    attachment: message.attachment,
    state: 'sent',
    errorCode: null,
    upload: null,
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
    attachment: null,
  };
}

/** The seqs the window spans; `to < from` when it is empty. */
interface WindowRange {
  from: number;
  to: number;
}

/** A change shown before the server confirms it (a reaction), over the copy it was made from. */
interface LocalPatch {
  baseChangeSeq: number;
  message: Message;
}

/**
 * The message windows the views show, a read model over the @parley/client's timelines: which seqs
 * are on screen per conversation, paging them in over HTTP (older, newer, around a jump target,
 * across a gap), with quotes computed when read and reactions shown before they are confirmed.
 * Delivery, catch-up and the messages themselves are the client's; this store never speaks the
 * protocol. Fed by client.ts (`show` for every message added or changed).
 */
export const useMessagesStore = defineStore('messages', () => {
  const conversations = useConversationsStore();
  const outgoing = useOutgoingStore();
  const parley = useParleyClientStore();
  const people = usePeopleStore();
  const threads = reactive(new Map<number, ConversationThread>());

  // Bookkeeping no view renders, kept out of the reactive state.
  const ranges = new Map<number, WindowRange>();
  const patches = new Map<number, LocalPatch>();
  /** The quoted version each reply was last shown with, so unchanged rows keep their object. */
  const quoted = new WeakMap<Message, { quote: Message; shown: Message }>();
  const gapFills = new Map<number, Promise<void>>();

  function thread(conversationId: number): ConversationThread {
    let existing = threads.get(conversationId);
    if (!existing) {
      threads.set(conversationId, {
        stored: [],
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

  function timelineOf(conversationId: number): Timeline | null {
    return parley.client?.timeline(conversationId) ?? null;
  }

  /** A message as shown: with a pending local change, and its quote as the quoted message is now. */
  function shown(message: Message, held: Timeline): Message {
    const patch = patches.get(message.id);
    if (patch) {
      if (patch.baseChangeSeq === message.changeSeq) return patch.message;
      patches.delete(message.id);
    }
    const quote = message.replyTo ? held.byId(message.replyTo.id) : undefined;
    if (!message.replyTo || !quote) return message;
    const cached = quoted.get(message);
    if (cached?.quote === quote) return cached.shown;
    const preview = replyPreviewOf(quote);
    const same =
      message.replyTo.excerpt === preview.excerpt &&
      message.replyTo.deleted === preview.deleted &&
      message.replyTo.attachmentKind === preview.attachmentKind;
    const result = same ? message : markRaw({ ...message, replyTo: { ...message.replyTo, ...preview } });
    quoted.set(message, { quote, shown: result });
    return result;
  }

  /** Rebuilds a window's messages from the timeline. */
  function refresh(conversationId: number): void {
    const current = threads.get(conversationId);
    const range = ranges.get(conversationId);
    const held = timelineOf(conversationId);
    if (!current || !range || !held) return;
    const list: Message[] = [];
    for (let seq = range.from; seq <= range.to; seq += 1) {
      const message = held.bySeqNumber(seq);
      if (!message) break;
      list.push(markRaw(shown(message, held)));
    }
    const same = list.length === current.stored.length && list.every((m, i) => m === current.stored[i]);
    if (!same) current.stored = list;
  }

  /** Takes in the messages that follow the window, while it reaches the newest. */
  function extend(conversationId: number): void {
    const current = threads.get(conversationId);
    const range = ranges.get(conversationId);
    const held = timelineOf(conversationId);
    if (!current || !range || !held || current.hasNewer) return;
    while (held.bySeqNumber(range.to + 1)) range.to += 1;
  }

  /** Sets the window to a page just fetched (already held by the client). */
  function setRange(conversationId: number, page: readonly Message[], fallbackFrom: number): void {
    const first = page[0]?.seq ?? fallbackFrom;
    ranges.set(conversationId, { from: first, to: page.at(-1)?.seq ?? first - 1 });
  }

  function timeline(conversationId: number): TimelineMessage[] {
    const current = threads.get(conversationId);
    if (!current) return [];
    // Senders as they are called now (stores/people.ts), not as when they sent.
    const stored = current.stored.map((message) => {
      const row = toTimeline(message);
      row.sender = people.current(row.sender);
      const quote = row.replyTo;
      if (quote && people.current(quote.sender) !== quote.sender) {
        row.replyTo = { ...quote, sender: people.current(quote.sender) };
      }
      return row;
    });
    // Pending messages belong after the newest one; a window of old history does not show them.
    if (current.hasNewer) return stored;
    return stored.concat(outgoing.of(conversationId).map(outgoingToTimeline));
  }

  function find(conversationId: number, messageId: number): Message | undefined {
    return threads.get(conversationId)?.stored.find((message) => message.id === messageId);
  }

  function findBySeq(conversationId: number, seq: number): Message | undefined {
    const stored = threads.get(conversationId)?.stored;
    const from = ranges.get(conversationId)?.from;
    if (!stored || from === undefined) return undefined;
    const found = stored[seq - from];
    return found?.seq === seq ? found : undefined;
  }

  /**
   * The client added or changed a message (live, acknowledged, caught up or paged in): the window
   * follows it when it is the next one, and a seq past the next fetches what was missed.
   */
  function show(message: Message): void {
    const conversationId = message.conversationId;
    const current = threads.get(conversationId);
    const range = ranges.get(conversationId);
    if (!current || !range || current.status !== 'ready') return;
    if (!current.hasNewer && message.seq > range.to) {
      extend(conversationId);
      // seq is gapless on the server: a message past the next one means some were missed.
      if (message.seq > range.to) void fillGap(conversationId);
    }
    refresh(conversationId);
  }

  /** Shows a local change at once (a reaction), before the server confirms it with a new changeSeq. */
  function patchLocally(
    conversationId: number,
    messageId: number,
    patch: (message: Message) => Message,
  ): Message | null {
    const before = find(conversationId, messageId);
    if (!before) return null;
    patches.set(messageId, { baseChangeSeq: before.changeSeq, message: markRaw(patch(before)) });
    refresh(conversationId);
    return before;
  }

  /** Takes back a change made by `patchLocally` (the server refused it). */
  function revertLocally(original: Message): void {
    if (patches.get(original.id)?.baseChangeSeq === original.changeSeq) patches.delete(original.id);
    refresh(original.conversationId);
  }

  /**
   * Loads the conversation: the newest page, or the page starting just before `aroundSeq`
   * (opening at the first unread message of a long backlog). From then on the client catches it
   * up from the conversation's changeSeq as read before the page was fetched.
   */
  async function loadInitial(conversationId: number, aroundSeq?: number): Promise<void> {
    const current = thread(conversationId);
    if (current.status === 'loading' || current.status === 'ready') return;
    current.status = 'loading';
    // Read before the page is fetched, so every change up to it is in the page (or outside the window).
    const baseline = conversations.get(conversationId)?.changeSeq ?? 0;
    try {
      const after = aroundSeq === undefined ? null : Math.max(0, aroundSeq - 1 - JUMP_CONTEXT);
      const page = await conversationsApi.fetchHistory(
        conversationId,
        after === null ? null : { after },
        after === null ? undefined : JUMP_PAGE,
      );
      const client = parley.client;
      if (current.status !== 'loading' || !client) return;
      client.hold(page.messages);
      setRange(conversationId, page.messages, (after ?? 0) + 1);
      current.hasOlder = after === null ? page.hasMore : after > 0;
      current.hasNewer = after === null ? false : page.hasMore;
      current.status = 'ready';
      current.epoch += 1;
      client.follow(conversationId, baseline);
      extend(conversationId);
      refresh(conversationId);
    } catch (error) {
      if (current.status === 'loading') current.status = 'error';
      throw error;
    }
  }

  /**
   * Drops the window and loads the newest page again (too far behind, leaving old history, or a
   * sync mark the server refused). Catch-up starts again from the server's own changeSeq.
   */
  async function reload(conversationId: number): Promise<void> {
    const current = thread(conversationId);
    conversations.replace(await conversationsApi.fetchConversation(conversationId));
    parley.client?.unfollow(conversationId);
    ranges.delete(conversationId);
    current.status = 'idle';
    current.stored = [];
    current.hasOlder = false;
    current.hasNewer = false;
    current.loadingOlder = false;
    current.loadingNewer = false;
    current.epoch += 1;
    await loadInitial(conversationId);
  }

  /** Adds the page just older than the window. */
  async function loadOlder(conversationId: number): Promise<void> {
    const current = thread(conversationId);
    const range = ranges.get(conversationId);
    if (current.status !== 'ready' || !current.hasOlder || current.loadingOlder || !range) return;
    if (range.to < range.from) return;
    const epoch = current.epoch;
    current.loadingOlder = true;
    try {
      const page = await conversationsApi.fetchHistory(conversationId, { before: range.from });
      if (current.epoch !== epoch) return;
      const older = page.messages.filter((message) => message.seq < range.from);
      parley.client?.hold(older);
      range.from = older[0]?.seq ?? range.from;
      current.hasOlder = page.hasMore;
      refresh(conversationId);
    } finally {
      if (current.epoch === epoch) current.loadingOlder = false;
    }
  }

  /** Adds the page just newer than a window of old history; reaching the end re-attaches it to live messages. */
  async function loadNewer(conversationId: number): Promise<void> {
    const current = thread(conversationId);
    const range = ranges.get(conversationId);
    if (current.status !== 'ready' || !current.hasNewer || current.loadingNewer || !range) return;
    if (range.to < range.from) return;
    const epoch = current.epoch;
    current.loadingNewer = true;
    try {
      const page = await conversationsApi.fetchHistory(conversationId, { after: range.to });
      if (current.epoch !== epoch) return;
      const newer = page.messages.filter((message) => message.seq > range.to);
      parley.client?.hold(newer);
      range.to = newer.at(-1)?.seq ?? range.to;
      current.hasNewer = page.hasMore;
      extend(conversationId);
      refresh(conversationId);
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
    const page = await conversationsApi.fetchHistory(conversationId, { after }, JUMP_PAGE);
    if (current.epoch !== epoch) return;
    parley.client?.hold(page.messages);
    setRange(conversationId, page.messages, after + 1);
    current.hasOlder = after > 0;
    current.hasNewer = page.hasMore;
    current.loadingOlder = false;
    current.loadingNewer = false;
    current.epoch += 1;
    extend(conversationId);
    refresh(conversationId);
  }

  /**
   * Fetches the messages between the newest in the window and one that arrived past a gap (seq is
   * gapless, so a gap always means something was missed). Too far behind: reload the newest page.
   */
  function fillGap(conversationId: number): Promise<void> {
    const running = gapFills.get(conversationId);
    if (running) return running;
    const work = (async () => {
      const current = thread(conversationId);
      const epoch = current.epoch;
      for (let page = 0; page < GAP_FILL_PAGES; page += 1) {
        const range = ranges.get(conversationId);
        const held = timelineOf(conversationId);
        if (!range || !held || current.hasNewer || current.status !== 'ready') return;
        if (held.lastSeq <= range.to) return;
        const fetched = await conversationsApi.fetchHistory(
          conversationId,
          { after: range.to },
          GAP_PAGE_SIZE,
        );
        if (current.epoch !== epoch) return;
        parley.client?.hold(fetched.messages);
        extend(conversationId);
        refresh(conversationId);
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
    ranges.clear();
    patches.clear();
    gapFills.clear();
  }

  return {
    threads,
    thread,
    timeline,
    find,
    findBySeq,
    show,
    patchLocally,
    revertLocally,
    loadInitial,
    reload,
    loadOlder,
    loadNewer,
    jumpTo,
    fillGap,
    reset,
  };
});
