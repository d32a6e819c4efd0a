// A test client that keeps Parley's delivery promise the way a real client must: an outbox that
// sends in order and retries with the same clientMsgId until acknowledged (outbox.ts), and a
// catch-up (conversation:sync) after every (re)connect and whenever a gap shows, merging by message
// id. It records every copy of every message it gets, so tests can check exactly-once and order.
import {
  ErrorCode,
  type Ack,
  type ClientToServerEvents,
  type ConnectErrorData,
  type Message,
  type ServerToClientEvents,
  type SyncResponse,
} from '@parley/shared';
import { io, type Socket } from 'socket.io-client';
import { CatchUpMarks, type SyncFrom } from './catch-up-marks.js';
import { backoff, Outbox, type OutboxEntry } from './outbox.js';
import { sleep } from './server.js';

export type { SyncFrom } from './catch-up-marks.js';
export type { Attempt, OutboxEntry } from './outbox.js';

type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** How a copy of a message reached the client. */
export type Via = 'live' | 'sync' | 'ack';

export interface Delivery {
  message: Message;
  via: Via;
}

export interface ChatClientOptions {
  url: string;
  cookie: string;
  /** The conversations to catch up on; ones announced by conversation:new are added. */
  conversationIds: number[];
  name?: string;
  /** For message:send and conversation:sync; the web client waits 10 s too. */
  ackTimeoutMs?: number;
  /** Attempts per message before it is shown as failed. */
  maxAttempts?: number;
  /** Time per message before it is shown as failed. */
  giveUpAfterMs?: number;
  /** 'contiguous' unless a test wants the rule the contract states (see catch-up-marks.ts). */
  syncFrom?: SyncFrom;
}

const SYNC_ROUNDS_MAX = 100;
const SYNC_FAILURES_MAX = 20;
const REFUSED_HANDSHAKE_RETRIES_MAX = 200;
/** How long a gap may stay open (a broadcast overtaken by another) before the client asks. */
const GAP_GRACE_MS = 300;
const JOURNAL_MAX = 200;

export class ChatClient {
  readonly name: string;
  readonly socket: ChatSocket;
  /** Every copy of every message, duplicates included, in order of arrival. */
  readonly deliveries: Delivery[] = [];
  /** The first copy of each message, in order of arrival. */
  readonly received: Delivery[] = [];
  /** Copies with a known id that disagree with the one held: must never happen. */
  readonly conflicts: Array<{ held: Message; arrived: Message; via: Via }> = [];
  readonly connectErrors: string[] = [];
  /** Connection and catch-up events, newest last, for failure messages. */
  readonly journal: string[] = [];
  connects = 0;

  private readonly box: Outbox;
  private readonly byId = new Map<number, Message>();
  private readonly marks: CatchUpMarks;
  private readonly ackTimeoutMs: number;
  private gapTimer: NodeJS.Timeout | null = null;
  private syncChain: Promise<boolean> = Promise.resolve(true);
  private refusedHandshakes = 0;
  private closed = false;

  constructor(options: ChatClientOptions) {
    this.name = options.name ?? 'client';
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.marks = new CatchUpMarks(options.syncFrom ?? 'contiguous', options.conversationIds);
    this.socket = io(options.url, {
      transports: ['websocket'],
      forceNew: true,
      autoConnect: false,
      reconnection: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 1_000,
      randomizationFactor: 0.5,
      reconnectionAttempts: 300,
      timeout: 5_000,
      extraHeaders: { cookie: options.cookie },
    });
    this.box = new Outbox(
      {
        isConnected: () => this.socket.connected,
        waitForConnect: (timeoutMs) => this.waitForConnect(timeoutMs),
        send: (payload) => this.socket.timeout(this.ackTimeoutMs).emitWithAck('message:send', payload),
        stored: (message) => this.accept(message, 'ack'),
      },
      { maxAttempts: options.maxAttempts ?? 60, giveUpAfterMs: options.giveUpAfterMs ?? 90_000 },
    );
    this.bind();
  }

  /** Connects and resolves after the first catch-up. */
  async connect(timeoutMs = 15_000): Promise<void> {
    this.socket.connect();
    if (!(await this.waitForConnect(timeoutMs)))
      throw new Error(`${this.name}: no connection within ${timeoutMs} ms`);
    await this.syncChain;
  }

  /** Goes offline on purpose (no automatic reconnection) until connect() is called again. */
  goOffline(): void {
    this.socket.disconnect();
  }

  close(): void {
    this.closed = true;
    this.box.close();
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.socket.disconnect();
  }

  /** Queues a message; it is sent after every message queued before it. */
  send(conversationId: number, text: string): OutboxEntry {
    return this.box.add(conversationId, text);
  }

  /** Every message written, in the order written. */
  get outbox(): readonly OutboxEntry[] {
    return this.box.entries;
  }

  get pending(): OutboxEntry[] {
    return this.box.pending;
  }

  whenOutboxSettled(timeoutMs = 30_000): Promise<void> {
    return this.box.whenSettled(timeoutMs, this.name);
  }

  /** A catch-up now (after the one every connect does); true when it completed. */
  sync(): Promise<boolean> {
    this.syncChain = this.syncChain.then(() => this.syncOnce());
    return this.syncChain;
  }

  /** The messages held for a conversation, by seq. */
  messagesOf(conversationId: number): Message[] {
    return [...this.byId.values()]
      .filter((m) => m.conversationId === conversationId)
      .sort((a, b) => a.seq - b.seq);
  }

  allMessages(): Message[] {
    return [...this.byId.values()];
  }

  /** Copies of one message that arrived, however they came. */
  copiesOf(messageId: number): Delivery[] {
    return this.deliveries.filter((delivery) => delivery.message.id === messageId);
  }

  waitForConnect(timeoutMs: number): Promise<boolean> {
    if (this.socket.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (connected: boolean) => {
        clearTimeout(timer);
        this.socket.off('connect', onConnect);
        resolve(connected);
      };
      const onConnect = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.socket.on('connect', onConnect);
    });
  }

  private note(event: string): void {
    this.journal.push(`${new Date().toISOString().slice(11, 23)} ${event}`);
    if (this.journal.length > JOURNAL_MAX) this.journal.shift();
  }

  private bind(): void {
    this.socket.on('connect', () => {
      this.connects += 1;
      this.refusedHandshakes = 0;
      this.note('connect');
      void this.sync();
    });
    this.socket.on('disconnect', (reason) => {
      this.note(`disconnect: ${reason}`);
      // The server hung up on purpose (a graceful shutdown): come back, as the web client does.
      if (reason === 'io server disconnect' && !this.closed) this.retryConnectLater();
    });
    this.socket.on('connect_error', (error: Error & { data?: ConnectErrorData }) => {
      const code = error.data?.code;
      this.connectErrors.push(code ?? error.message);
      this.note(`connect_error: ${code ?? error.message}`);
      // A refused handshake (e.g. server/unavailable while the database is down) is not retried by
      // socket.io itself; a transport error is.
      if (!this.socket.active && !this.closed && code !== ErrorCode.Unauthenticated) this.retryConnectLater();
    });
    this.socket.on('message:new', (message) => this.accept(message, 'live'));
    this.socket.on('message:updated', (message) => this.accept(message, 'live'));
    this.socket.on('conversation:new', (conversation) => this.marks.add(conversation.id));
  }

  private retryConnectLater(): void {
    this.refusedHandshakes += 1;
    if (this.refusedHandshakes > REFUSED_HANDSHAKE_RETRIES_MAX) return;
    setTimeout(() => {
      if (!this.closed && !this.socket.active) this.socket.connect();
    }, backoff(this.refusedHandshakes));
  }

  private accept(message: Message, via: Via): void {
    this.deliveries.push({ message, via });
    const held = this.byId.get(message.id);
    if (!held) {
      this.byId.set(message.id, message);
      this.received.push({ message, via });
    } else if (
      held.seq !== message.seq ||
      held.conversationId !== message.conversationId ||
      held.clientMsgId !== message.clientMsgId ||
      held.sender.id !== message.sender.id
    ) {
      this.conflicts.push({ held, arrived: message, via });
    } else if (message.changeSeq > held.changeSeq) {
      this.byId.set(message.id, message);
    }
    this.marks.held(message.conversationId, message.changeSeq);
    if (this.marks.hasGap && !this.gapTimer) {
      this.gapTimer = setTimeout(() => {
        this.gapTimer = null;
        if (!this.closed && this.marks.hasGap) void this.sync();
      }, GAP_GRACE_MS);
    }
  }

  /** Pages through conversation:sync from the catch-up marks; false when cut short. */
  private async syncOnce(): Promise<boolean> {
    // Fixed when the catch-up starts and moved only by its own pages: live messages arriving
    // meanwhile must not move a retried or next page past what the catch-up has not brought yet.
    const from = this.marks.snapshot();
    let failures = 0;
    for (let round = 0; round < SYNC_ROUNDS_MAX && from.size > 0; round += 1) {
      if (this.closed || !this.socket.connected) return false;
      const conversations = [...from].map(([conversationId, changeSeq]) => ({ conversationId, changeSeq }));
      let ack: Ack<SyncResponse> | null;
      try {
        ack = await this.socket
          .timeout(this.ackTimeoutMs)
          .emitWithAck('conversation:sync', { conversations });
      } catch {
        ack = null;
      }
      const asked = conversations.map((c) => `${c.conversationId}@${c.changeSeq}`).join(',');
      const answer = ack?.ok
        ? ack.data.results.map((r) => `${r.conversationId}+${r.messages.length}→${r.changeSeq}`).join(',')
        : (ack?.error.code ?? 'no answer');
      this.note(`sync from ${asked}: ${answer}`);
      if (!ack?.ok) {
        failures += 1;
        if (failures > SYNC_FAILURES_MAX) return false;
        await sleep(backoff(failures));
        continue;
      }
      from.clear();
      for (const result of ack.data.results) {
        for (const message of result.messages) this.accept(message, 'sync');
        this.marks.complete(result.conversationId, result.changeSeq);
        if (result.hasMore) from.set(result.conversationId, result.changeSeq);
      }
    }
    return from.size === 0;
  }
}
