import type { ApiError, ErrorCode } from './errors.js';
import type { Conversation, MarkReadPayload, ReadState, Receipt } from './schemas/conversations.js';
import type { ConversationRemoved, GroupState } from './schemas/groups.js';
import type {
  DeleteMessagePayload,
  EditMessagePayload,
  Message,
  ReactPayload,
  SendMessagePayload,
  SyncPayload,
  SyncResponse,
} from './schemas/messages.js';
import type { Presence, SetPresencePayload, TypingPayload, TypingUpdate } from './schemas/presence.js';

/** Every client-to-server event is acknowledged with exactly one of these. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ApiError };
export type AckCallback<T> = (response: Ack<T>) => void;

/** Event names, so code never spells one twice. */
export const ClientEvent = {
  MessageSend: 'message:send',
  MessageEdit: 'message:edit',
  MessageDelete: 'message:delete',
  MessageReact: 'message:react',
  ConversationSync: 'conversation:sync',
  ConversationDelivered: 'conversation:delivered',
  ConversationRead: 'conversation:read',
  TypingStart: 'typing:start',
  TypingStop: 'typing:stop',
  PresenceSet: 'presence:set',
} as const satisfies Record<string, keyof ClientToServerEvents>;

export const ServerEvent = {
  MessageNew: 'message:new',
  MessageUpdated: 'message:updated',
  ConversationNew: 'conversation:new',
  ConversationRead: 'conversation:read',
  ConversationUpdated: 'conversation:updated',
  ConversationRemoved: 'conversation:removed',
  ReceiptUpdate: 'receipt:update',
  TypingUpdate: 'typing:update',
  PresenceUpdate: 'presence:update',
  RateLimited: 'rate:limited',
  SessionEnded: 'session:ended',
} as const satisfies Record<string, keyof ServerToClientEvents>;

export interface ClientToServerEvents {
  /** Store a message; the ack carries the stored message (the same one for every retry of a clientMsgId). */
  'message:send': (payload: SendMessagePayload, ack: AckCallback<Message>) => void;
  /** Change the text of one's own message; others get message:updated. */
  'message:edit': (payload: EditMessagePayload, ack: AckCallback<Message>) => void;
  /** Delete one's own message for everyone (its text is erased); others get message:updated. */
  'message:delete': (payload: DeleteMessagePayload, ack: AckCallback<Message>) => void;
  /** Set or clear one reaction; others get message:updated. */
  'message:react': (payload: ReactPayload, ack: AckCallback<Message>) => void;
  /** Catch-up after every (re)connect: what changed in each conversation after the changeSeq the client holds. */
  'conversation:sync': (payload: SyncPayload, ack: AckCallback<SyncResponse>) => void;
  /** A device of the caller received messages up to seq. */
  'conversation:delivered': (payload: MarkReadPayload, ack: AckCallback<Receipt>) => void;
  /** Move the caller's read position forward (never back); a seq past the newest message is refused. */
  'conversation:read': (payload: MarkReadPayload, ack: AckCallback<ReadState>) => void;
  'typing:start': (payload: TypingPayload, ack: AckCallback<null>) => void;
  'typing:stop': (payload: TypingPayload, ack: AckCallback<null>) => void;
  /** This tab became idle (away) or active again (online). */
  'presence:set': (payload: SetPresencePayload, ack: AckCallback<null>) => void;
}

export interface ServerToClientEvents {
  /** A message stored in one of the user's conversations (the sender's other tabs get it too). */
  'message:new': (message: Message) => void;
  /** A message was edited, deleted or reacted to: replace the copy with the same id if its changeSeq is older. */
  'message:updated': (message: Message) => void;
  /** The user was added to a conversation; the socket has already joined its room. */
  'conversation:new': (conversation: Conversation) => void;
  /** The user's own read position moved (in this or another tab/device): clear unread badges. */
  'conversation:read': (state: ReadState) => void;
  /**
   * A group's settings, members or roles changed: its shared state now. Sent to the room after the
   * system message that records the change (which catch-up also returns).
   */
  'conversation:updated': (state: GroupState) => void;
  /** The user is no longer in the conversation; their sockets have left its room. Keep what is held. */
  'conversation:removed': (removed: ConversationRemoved) => void;
  /** A member's delivery or read position moved: update ticks and "read by". */
  'receipt:update': (receipt: Receipt) => void;
  'typing:update': (update: TypingUpdate) => void;
  /** Presence of people the user shares a conversation with; the whole set once after connecting, then changes in batches. */
  'presence:update': (updates: Presence[]) => void;
  /** The client sent too many events; the refused event's ack says request/rate_limited too. */
  'rate:limited': (info: { event: string; retryAfterMs: number }) => void;
  /**
   * Sent just before the server disconnects the socket because its session is over: expired, logged
   * out, or the account deactivated. Sign in again; reconnecting with the same cookie is refused.
   */
  'session:ended': (reason: SessionEnded) => void;
}

/** Why a socket's session ended: `auth/unauthenticated` (expired, logged out) or `auth/deactivated`. */
export interface SessionEnded {
  code: typeof ErrorCode.Unauthenticated | typeof ErrorCode.AccountDeactivated;
  message: string;
}

/** What the server keeps on each socket after the handshake. */
export interface SocketData {
  userId: number;
  sessionId: string;
  /** When the session ends (ms since the epoch); the socket is disconnected then. */
  sessionExpiresAt: number;
}

/** `err.data` of a Socket.IO connect_error raised by Parley's handshake. */
export interface ConnectErrorData {
  code: ApiError['code'];
  /** With `server/busy`: try the handshake again after this long (ms). */
  retryAfterMs?: number;
}

/** The server refuses socket frames larger than this (bytes). */
export const SOCKET_MAX_FRAME_BYTES = 64 * 1024;
