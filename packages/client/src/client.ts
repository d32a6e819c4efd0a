import {
  ClientEvent,
  ErrorCode,
  ServerEvent,
  type Conversation,
  type ConversationListResponse,
  type Message,
  type Presence,
} from '@parley/shared';
import type { BackoffOptions } from './backoff.js';
import type {
  MessageCopy,
  ParleyClient,
  ParleyClientEvents,
  ParleyClientOptions,
  Via,
} from './client-types.js';
import { Emitter } from './emitter.js';
import { fetchConversationPage } from './http.js';
import { Outbox } from './outbox.js';
import { silentLogger, systemClock } from './ports.js';
import { createPositionReporter } from './receipts.js';
import type { RequestResult } from './request.js';
import { MemoryOutboxStorage } from './storage.js';
import { SyncEngine } from './sync.js';
import { Timeline } from './timeline.js';
import { Transport } from './transport.js';
import { fetchUploader } from './upload.js';

export type {
  MessageCopy,
  ParleyClient,
  ParleyClientEvents,
  ParleyClientOptions,
  Via,
} from './client-types.js';

const JOURNAL_MAX = 200;
const START_TIMEOUT_MS = 30_000;

const defaultBackoff: BackoffOptions = { baseMs: 1000, maxMs: 30_000, jitter: 0.5 };
/**
 * Reconnection waits at most 10 s (the delay at the cap is drawn from 5–10 s): after an outage or a
 * restart the server is back for everyone within seconds, and a 30 s cap left people looking at a
 * stale conversation for up to 30 s after it was (an operator's trial saw 11–17 s). The jitter still
 * spreads a whole fleet's reconnects over 5 s, and a busy server's `server/busy` handshake refusal
 * (with `retryAfterMs`) slows them further.
 */
export const DEFAULT_RECONNECT: BackoffOptions = { baseMs: 1000, maxMs: 10_000, jitter: 0.5 };

/**
 * Creates a client; nothing happens until start(). Framework-free: it emits typed events and keeps
 * the canonical state per conversation (a Timeline); a UI subscribes and renders.
 */
export function createParleyClient(options: ParleyClientOptions): ParleyClient {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const events = new Emitter<ParleyClientEvents>((error, event) =>
    logger.warn('a listener failed', { event: String(event), error: String(error) }),
  );
  const journal: string[] = [];
  const note = (line: string) => {
    journal.push(`${new Date(clock.now()).toISOString().slice(11, 23)} ${line}`);
    if (journal.length > JOURNAL_MAX) journal.shift();
  };
  const timelines = new Map<number, Timeline>();
  const conversations = new Map<number, Conversation>();
  const retry = options.retry ?? defaultBackoff;
  const followedOnly = options.catchUp === 'followed';
  const uploader = options.uploader ?? fetchUploader;
  let stopped = false;

  const transport = new Transport({
    url: options.url,
    ...(options.path !== undefined ? { path: options.path } : {}),
    auth: options.auth,
    clock,
    logger,
    ackTimeoutMs: options.ackTimeoutMs ?? 10_000,
    reconnect: options.reconnect ?? DEFAULT_RECONNECT,
    validate: options.validate ?? false,
  });

  const timeline = (conversationId: number): Timeline => {
    let existing = timelines.get(conversationId);
    if (!existing) {
      existing = new Timeline(conversationId);
      timelines.set(conversationId, existing);
    }
    return existing;
  };

  const sync = new SyncEngine({
    request: (payload) => transport.request(ClientEvent.ConversationSync, payload),
    isConnected: () => transport.connected,
    clock,
    logger,
    retry,
    holeDelayMs: options.holeDelayMs ?? 1000,
    apply: (result) => {
      for (const message of result.messages) ingest(message, 'sync');
    },
    reset: (conversationId) => {
      timelines.get(conversationId)?.clear();
      events.emit('conversation:reset', { conversationId });
    },
    onRefusedMark: followedOnly ? 'drop' : 'restart',
    note,
  });

  const outbox = new Outbox({
    storage: options.storage ?? new MemoryOutboxStorage(),
    clock,
    logger,
    send: (payload) => transport.request(ClientEvent.MessageSend, payload),
    upload: (step) => uploader.upload({ ...step, url: options.url, auth: options.auth }),
    isConnected: () => transport.connected,
    stored: (message) => ingest(message, 'ack'),
    changed: (entry) => events.emit('outbox', entry),
    retry,
    newId: options.newId ?? (() => globalThis.crypto.randomUUID()),
  });

  const delivered = createPositionReporter(
    async (payload) => {
      const ack = await transport.request(ClientEvent.ConversationDelivered, payload);
      if (ack.ok) events.emit('receipt', ack.data);
      return ack.ok;
    },
    { clock },
  );
  const read = createPositionReporter(
    async (payload) => {
      const ack = await transport.request(ClientEvent.ConversationRead, payload);
      if (ack.ok) events.emit('read', ack.data);
      return ack.ok;
    },
    { clock },
  );

  /**
   * A conversation this client should hold: tracked from the start, caught up when first heard of.
   * With `catchUp: 'followed'` only follow() tracks.
   */
  function track(conversationId: number): boolean {
    return followedOnly ? false : sync.track(conversationId);
  }

  function ingest(message: Message, via: Via): void {
    const { outcome, previous } = timeline(message.conversationId).apply(message);
    const copy: MessageCopy = previous ? { message, via, outcome, previous } : { message, via, outcome };
    events.emit('message:copy', copy);
    if (outcome === 'added') {
      events.emit('message:added', copy);
      // Reached this device (live or caught up); ours are delivered by being sent.
      if (
        options.reportDelivery !== false &&
        (via === 'live' || via === 'sync') &&
        !outbox.get(message.clientMsgId)
      )
        delivered.report(message.conversationId, message.seq);
    } else if (outcome === 'changed') events.emit('message:changed', copy);
    else if (outcome === 'conflict')
      logger.warn('a copy of a message disagrees with the one held', { messageId: message.id, via });
    // A page of history says nothing about which changes were seen.
    if (via === 'history') return;
    // A conversation first heard of through a message is caught up from the start.
    if (track(message.conversationId) && transport.connected) void sync.sync([message.conversationId]);
    sync.seen(message);
  }

  function learn(conversation: Conversation): void {
    conversations.set(conversation.id, conversation);
    events.emit('conversation', conversation);
  }

  /**
   * Learns the conversations a page at a time, catching up on each page's new ones before the next:
   * the most recently active come first. A conversation that becomes active meanwhile moves ahead of
   * the pages still to come; its `message:new` tells us of it (see `ingest`).
   */
  async function discover(): Promise<void> {
    let cursor: string | null = null;
    do {
      let page: ConversationListResponse;
      try {
        page = await fetchConversationPage(options.url, options.auth, cursor);
      } catch (error) {
        note(`conversation list failed: ${String(error)}`);
        return;
      }
      const fresh: number[] = [];
      for (const conversation of page.conversations) {
        learn(conversation);
        if (track(conversation.id)) fresh.push(conversation.id);
      }
      if (fresh.length > 0) await sync.sync(fresh);
      cursor = page.nextCursor;
    } while (cursor !== null);
  }

  let firstCatchUp: Promise<boolean> = Promise.resolve(false);

  transport.on('state', (change) => {
    note(`connection: ${change.state}${change.code ? ` (${change.code})` : ''}`);
    events.emit('connection', change);
  });
  transport.on('disconnect', ({ reason }) => note(`disconnect: ${reason}`));
  transport.on('connectError', ({ code, message }) => note(`connect_error: ${code ?? message}`));
  transport.on('contractViolation', (violation) => events.emit('contract:violation', violation));
  transport.on('connect', () => {
    outbox.resume();
    const discovered = options.discover === false ? Promise.resolve() : discover();
    firstCatchUp = Promise.all([sync.sync(), discovered]).then(([complete]) => complete);
  });

  transport.onServer(ServerEvent.MessageNew, (message) => {
    // Ours, sent before a restart or by another path: nothing left to send.
    if (options.userId === undefined || message.sender.id === options.userId) outbox.settle(message);
    ingest(message, 'live');
  });
  transport.onServer(ServerEvent.MessageUpdated, (message) => ingest(message, 'live'));
  transport.onServer(ServerEvent.ConversationNew, (conversation) => {
    learn(conversation);
    if (track(conversation.id)) void sync.sync([conversation.id]);
  });
  transport.onServer(ServerEvent.ConversationRead, (state) => events.emit('read', state));
  transport.onServer(ServerEvent.ReceiptUpdate, (receipt) => events.emit('receipt', receipt));
  transport.onServer(ServerEvent.TypingUpdate, (update) => events.emit('typing', update));
  /**
   * The group whose presence is followed (watchPresence), watched again after every snapshot; null
   * once we are out of it (`conversation:removed`, or a watch refused `conversation/not_found`), so
   * that no reconnect asks again for what the server will refuse.
   */
  let watchedPresence: number | null = null;
  async function watchPresence(conversationId: number | null): Promise<RequestResult<Presence[]>> {
    watchedPresence = conversationId;
    const ack = await transport.request(ClientEvent.PresenceWatch, { conversationId });
    // A later watch replaced this one while it was on its way: its answer is not about the group followed now.
    if (watchedPresence !== conversationId) return ack;
    if (ack.ok) {
      if (ack.data.length > 0) events.emit('presence', ack.data);
    } else if (ack.error.code === ErrorCode.ConversationNotFound) watchedPresence = null;
    return ack;
  }
  transport.onServer(ServerEvent.PresenceSnapshot, (presences) => {
    events.emit('presence:snapshot', presences);
    // After the snapshot, which replaces what was known: a new connection watches nothing yet.
    if (watchedPresence !== null) void watchPresence(watchedPresence);
  });
  transport.onServer(ServerEvent.ConversationRemoved, ({ conversationId }) => {
    if (watchedPresence === conversationId) watchedPresence = null;
  });
  transport.onServer(ServerEvent.PresenceChanges, (changes) => events.emit('presence', changes));
  transport.onServer(ServerEvent.RateLimited, (info) => {
    outbox.pauseFor(info.retryAfterMs);
    events.emit('rate:limited', info);
  });
  transport.onServer(ServerEvent.SessionEnded, (reason) => events.emit('session:ended', reason));

  for (const conversationId of options.conversations ?? []) track(conversationId);

  function whenConnected(timeoutMs: number): Promise<void> {
    if (transport.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let off = () => {};
      const timer = clock.setTimeout(() => {
        off();
        reject(new Error(`no connection within ${timeoutMs} ms (${transport.state.state})`));
      }, timeoutMs);
      off = transport.on('connect', () => {
        clock.clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  async function connect({ timeoutMs = START_TIMEOUT_MS } = {}): Promise<void> {
    transport.connect();
    await whenConnected(timeoutMs);
    // The catch-up the connect started (the connect listener runs before this one resolves).
    await firstCatchUp;
  }

  function updateMessage(result: RequestResult<Message>): RequestResult<Message> {
    if (result.ok) ingest(result.data, 'ack');
    return result;
  }

  return {
    transport,
    outbox,
    sync,
    get connection() {
      return transport.state.state;
    },
    journal,
    on: (event, listener) => events.on(event, listener),
    async start(startOptions) {
      await outbox.restore();
      await connect(startOptions);
    },
    connect,
    disconnect() {
      transport.disconnect();
    },
    setNetwork(online) {
      if (online) transport.reconnectNow();
      else transport.dropConnection();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      delivered.flushAll();
      read.flushAll();
      sync.stop();
      outbox.close();
      // The flushed reports are already written to the socket, ahead of its close.
      delivered.reset();
      read.reset();
      transport.close();
      events.removeAll();
    },
    send: (conversationId, text, sendOptions) => outbox.add(conversationId, text, sendOptions),
    edit: async (payload) => updateMessage(await transport.request(ClientEvent.MessageEdit, payload)),
    delete: async (payload) => updateMessage(await transport.request(ClientEvent.MessageDelete, payload)),
    react: async (payload) => updateMessage(await transport.request(ClientEvent.MessageReact, payload)),
    markRead: (conversationId, seq) => read.report(conversationId, seq),
    markDelivered: (conversationId, seq) => delivered.report(conversationId, seq),
    flushReports() {
      delivered.flushAll();
      read.flushAll();
    },
    follow: (conversationId, changeSeq) => sync.follow(conversationId, changeSeq),
    unfollow: (conversationId) => sync.unfollow(conversationId),
    hold(messages) {
      for (const message of messages) ingest(message, 'history');
    },
    setPresence: (status) => transport.request(ClientEvent.PresenceSet, { status }),
    watchPresence,
    typing: (conversationId, typing) =>
      transport.request(typing ? ClientEvent.TypingStart : ClientEvent.TypingStop, { conversationId }),
    timeline,
    conversations: () => [...conversations.values()],
    conversationIds: () => sync.tracked(),
    catchUp: () => sync.sync(),
  };
}
