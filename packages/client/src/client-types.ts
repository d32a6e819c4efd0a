import type {
  Conversation,
  DeleteMessagePayload,
  EditMessagePayload,
  Message,
  Presence,
  ReactPayload,
  RateLimited,
  ReadState,
  Receipt,
  SessionEnded,
  SetPresencePayload,
  TypingUpdate,
} from '@parley/shared';
import type { ParleyAuth } from './auth.js';
import type { BackoffOptions } from './backoff.js';
import type { Outbox, OutboxEntry, SendOptions } from './outbox.js';
import type { Clock, Logger } from './ports.js';
import type { RequestResult } from './request.js';
import type { OutboxStorage } from './storage.js';
import type { SyncEngine } from './sync.js';
import type { ApplyOutcome, Timeline } from './timeline.js';
import type { Uploader } from './upload.js';
import type { ConnectionChange, ConnectionState, ContractViolation, Transport } from './transport.js';

// The public types of createParleyClient (client.ts): its options, its events and its face.

/** How a copy of a message reached the client (`history`: a page its caller fetched and gave to hold()). */
export type Via = 'live' | 'sync' | 'ack' | 'history';

/** Every copy of a message the client got, and what merging it did (see Timeline.apply). */
export interface MessageCopy {
  message: Message;
  via: Via;
  outcome: ApplyOutcome;
  /** The copy held before, unless it was new. */
  previous?: Message;
}

/** What a ParleyClient tells its subscribers (`client.on(name, listener)`). */
export interface ParleyClientEvents {
  /** The connection state changed (see ConnectionState). */
  connection: ConnectionChange;
  /** A message new to this client (live, acknowledged or caught up), once per message. */
  'message:added': MessageCopy;
  /** A newer version of a message held (edited, deleted, reacted to). */
  'message:changed': MessageCopy;
  /** Every copy, duplicates and conflicts included: for tests and diagnostics. */
  'message:copy': MessageCopy;
  /** A conversation was listed or announced (conversation:new); its messages are caught up from the start. */
  conversation: Conversation;
  /**
   * The server refused this conversation's sync mark (a restored database): what was held is
   * dropped; with `catchUp: 'followed'` it is no longer followed either (load and follow it again).
   */
  'conversation:reset': { conversationId: number };
  /** The user's own read position moved (here or on another device). */
  read: ReadState;
  /** A member's delivery or read position moved. */
  receipt: Receipt;
  /** An outbox entry changed state. */
  outbox: OutboxEntry;
  /**
   * Once after each connect: the contacts who are online or away, and every direct peer (offline ones
   * with lastSeenAt). Replaces what was known; a contact it leaves out is offline.
   */
  'presence:snapshot': Presence[];
  /** People whose presence changed since the last batch (or who were just introduced), each once. */
  presence: Presence[];
  typing: TypingUpdate;
  /** The server ended this session: sign in again. */
  'session:ended': SessionEnded;
  'rate:limited': RateLimited;
  /** With `validate`: something the server sent does not match the shared contract. */
  'contract:violation': ContractViolation;
}

export interface ParleyClientOptions {
  /** The server's origin, e.g. `https://chat.example.com`. */
  url: string;
  auth: ParleyAuth;
  /** Where unsent messages are kept (default: memory, lost with the process). */
  storage?: OutboxStorage;
  /**
   * How files go to POST /api/uploads (default `fetchUploader`, progress only at start and end; a
   * browser passes `xhrUploader` from `@parley/client/browser` for progress as the bytes go out).
   */
  uploader?: Uploader;
  clock?: Clock;
  logger?: Logger;
  /** Socket.IO's path (default `/socket.io`). */
  path?: string;
  /** Conversations to catch up on from the start, besides those the server lists and announces. */
  conversations?: number[];
  /**
   * Which conversations are caught up. `all` (default): every one listed, announced or heard of,
   * from its start (bots, tests, the bench). `followed`: only those given to follow(), from the
   * changeSeq given (a UI that loads windows of history over HTTP and holds only what it shows).
   */
  catchUp?: 'all' | 'followed';
  /** Fetch the conversation list (HTTP) on every connect and track every conversation in it (default true). */
  discover?: boolean;
  /** Check what the server sends against the shared contract (development and tests; default false). */
  validate?: boolean;
  /** How long an acknowledgement may take (ms, default 10 000: the server answers well within it). */
  ackTimeoutMs?: number;
  /** Reconnection back-off (default 1 s doubling to 10 s, ±50 %). */
  reconnect?: BackoffOptions;
  /** Back-off of outbox and catch-up retries (default 1 s doubling to 30 s, ±50 %). */
  retry?: BackoffOptions;
  /** How long a hole in live changes may stay open before a catch-up asks for it (ms, default 1 000). */
  holeDelayMs?: number;
  /** Report `conversation:delivered` for messages others send (default true). */
  reportDelivery?: boolean;
  /**
   * Who signs in (a user id). When given, only a message of this sender settles an outbox entry
   * with its clientMsgId: another member repeating our clientMsgId cannot pass for our message.
   */
  userId?: number;
  /** Makes clientMsgIds (default crypto.randomUUID). */
  newId?: () => string;
}

/** The public face of the engine; see README.md for the lifecycle and an example. */
export interface ParleyClient {
  readonly transport: Transport;
  readonly outbox: Outbox;
  readonly sync: SyncEngine;
  readonly connection: ConnectionState;
  /** Recent connection and catch-up events, newest last (at most 200), for diagnostics. */
  readonly journal: readonly string[];
  on<K extends keyof ParleyClientEvents>(
    event: K,
    listener: (payload: ParleyClientEvents[K]) => void,
  ): () => void;
  /**
   * Restores the outbox from storage, connects, and resolves after the first catch-up. Rejects
   * when no connection is made within `timeoutMs` (the client keeps trying meanwhile).
   */
  start(options?: { timeoutMs?: number }): Promise<void>;
  /** Connects (again) after disconnect(); resolves once connected and caught up, like start(). */
  connect(options?: { timeoutMs?: number }): Promise<void>;
  /** Goes offline on purpose: nothing is sent or received until connect(). The outbox keeps its messages. */
  disconnect(): void;
  /**
   * What the runtime knows about the network (a browser's `online`/`offline` events): offline drops
   * the connection at once instead of waiting for a missed ping; online reconnects without waiting
   * out the back-off.
   */
  setNetwork(online: boolean): void;
  /** Flushes pending read/delivery reports and closes for good. */
  stop(): void;
  /** Queues a message; see Outbox for the delivery promise. */
  send(conversationId: number, text: string, options?: SendOptions): OutboxEntry;
  edit(payload: EditMessagePayload): Promise<RequestResult<Message>>;
  delete(payload: DeleteMessagePayload): Promise<RequestResult<Message>>;
  react(payload: ReactPayload): Promise<RequestResult<Message>>;
  /** The user has seen messages up to `seq` (throttled, never moves back); acknowledged as a `read` event. */
  markRead(conversationId: number, seq: number): void;
  /**
   * Messages up to `seq` reached this device (throttled, never moves back); acknowledged as a
   * `receipt` event. The client reports this itself unless `reportDelivery` is false.
   */
  markDelivered(conversationId: number, seq: number): void;
  /** Sends the read and delivery positions still waiting for their interval now (a page being hidden). */
  flushReports(): void;
  /**
   * With `catchUp: 'followed'`: catch this conversation up from now on, every change up to
   * `changeSeq` being held already (read the conversation's changeSeq before fetching its page).
   * Replaces the mark it had.
   */
  follow(conversationId: number, changeSeq: number): void;
  /** Stops catching a conversation up (its window was dropped). */
  unfollow(conversationId: number): void;
  /**
   * Merges messages the caller fetched itself (a page of history over HTTP) into their timelines,
   * emitting `message:added`/`message:changed` with via `history`. Moves no sync mark.
   */
  hold(messages: readonly Message[]): void;
  setPresence(status: SetPresencePayload['status']): Promise<RequestResult<null>>;
  /**
   * Follows one group's members' presence (the group on screen; null: none), on this connection and
   * every later one: the client watches it again after each `presence:snapshot`, which the server
   * sends after every connect. Its answer (members online or away now) is emitted as `presence`;
   * their changes follow in `presence`. A large group's members are not contacts (docs/protocol.md,
   * "Presence and typing"), so without a watch nothing is heard of them. It stops watching a group
   * we are out of: on `conversation:removed`, or when a watch is refused `conversation/not_found`.
   */
  watchPresence(conversationId: number | null): Promise<RequestResult<Presence[]>>;
  /** Typing started or stopped in a conversation (the caller repeats start every TYPING_REFRESH_MS). */
  typing(conversationId: number, typing: boolean): Promise<RequestResult<null>>;
  /** The messages held of a conversation, by seq (empty until some arrive). */
  timeline(conversationId: number): Timeline;
  /** Conversations listed or announced so far. */
  conversations(): Conversation[];
  /** Every conversation caught up on: given, listed, announced, or heard of through a message. */
  conversationIds(): number[];
  /** A catch-up now, after any running one; true when complete. */
  catchUp(): Promise<boolean>;
}
