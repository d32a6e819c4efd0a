import { z, type ZodType } from 'zod';
import { ErrorCode, type ApiError } from './errors.js';
import {
  conversationSchema,
  markReadPayloadSchema,
  notificationSettingsSchema,
  readStateSchema,
  receiptSchema,
} from './schemas/conversations.js';
import { conversationRemovedSchema, groupStateSchema } from './schemas/groups.js';
import {
  deleteMessagePayloadSchema,
  editMessagePayloadSchema,
  messageSchema,
  reactPayloadSchema,
  sendMessagePayloadSchema,
  syncPayloadSchema,
  syncResponseSchema,
} from './schemas/messages.js';
import { userUpdatedSchema } from './schemas/users.js';
import {
  presenceSchema,
  setPresencePayloadSchema,
  typingPayloadSchema,
  typingUpdateSchema,
  watchPresencePayloadSchema,
} from './schemas/presence.js';

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
  PresenceWatch: 'presence:watch',
} as const satisfies Record<string, keyof ClientToServerEvents>;

export const ServerEvent = {
  MessageNew: 'message:new',
  MessageUpdated: 'message:updated',
  ConversationNew: 'conversation:new',
  ConversationRead: 'conversation:read',
  ConversationUpdated: 'conversation:updated',
  ConversationRemoved: 'conversation:removed',
  ConversationNotifications: 'conversation:notifications',
  UserUpdated: 'user:updated',
  ReceiptUpdate: 'receipt:update',
  TypingUpdate: 'typing:update',
  PresenceSnapshot: 'presence:snapshot',
  PresenceChanges: 'presence:changes',
  RateLimited: 'rate:limited',
  SessionEnded: 'session:ended',
} as const satisfies Record<string, keyof ServerToClientEvents>;

/**
 * Every client-to-server event: the schema its payload must match (the server validates with it
 * before anything else) and the schema of the `data` its acknowledgement carries. The server binds
 * handlers from this map (apps/server/src/lib/socket-handler.ts) and @parley/client types its
 * requests from it, so an event is declared here once.
 */
export const clientEventContract = {
  /** Store a message; the ack carries the stored message (the same one for every retry of a clientMsgId). */
  'message:send': { payload: sendMessagePayloadSchema, ack: messageSchema },
  /** Change the text of one's own message; others get message:updated. */
  'message:edit': { payload: editMessagePayloadSchema, ack: messageSchema },
  /** Delete one's own message for everyone (its text is erased); others get message:updated. */
  'message:delete': { payload: deleteMessagePayloadSchema, ack: messageSchema },
  /** Set or clear one reaction; others get message:updated. */
  'message:react': { payload: reactPayloadSchema, ack: messageSchema },
  /** Catch-up after every (re)connect: what changed in each conversation after the changeSeq the client holds. */
  'conversation:sync': { payload: syncPayloadSchema, ack: syncResponseSchema },
  /** A device of the caller received messages up to seq. */
  'conversation:delivered': { payload: markReadPayloadSchema, ack: receiptSchema },
  /** Move the caller's read position forward (never back); a seq past the newest message is refused. */
  'conversation:read': { payload: markReadPayloadSchema, ack: readStateSchema },
  'typing:start': { payload: typingPayloadSchema, ack: z.null() },
  'typing:stop': { payload: typingPayloadSchema, ack: z.null() },
  /** This tab became idle (away) or active again (online). */
  'presence:set': { payload: setPresencePayloadSchema, ack: z.null() },
  /**
   * Follow one group's members' presence while it is on screen (null: stop). The ack lists its members
   * who are online or away now (the rest are offline); their changes then come in `presence:changes`.
   * `conversation/not_found` for a conversation the caller is not a member of.
   */
  'presence:watch': { payload: watchPresencePayloadSchema, ack: z.array(presenceSchema) },
} as const satisfies Record<string, { payload: ZodType; ack: ZodType }>;

/**
 * Why a socket's session ended: `auth/unauthenticated` (expired, logged out), `auth/password_changed`
 * (the password changed elsewhere, or a site admin reset it), `auth/deactivated`, or, for a bot
 * connected with a token, `auth/token_revoked`.
 */
export const sessionEndedSchema = z.object({
  code: z.enum([
    ErrorCode.Unauthenticated,
    ErrorCode.PasswordChanged,
    ErrorCode.AccountDeactivated,
    ErrorCode.TokenRevoked,
  ]),
  message: z.string(),
});
export type SessionEnded = z.infer<typeof sessionEndedSchema>;

/** `rate:limited`: which event was refused, and how long to wait before sending more (ms). */
export const rateLimitedSchema = z.object({ event: z.string(), retryAfterMs: z.number().nonnegative() });
export type RateLimited = z.infer<typeof rateLimitedSchema>;

/**
 * Every server-to-client event and the schema of its one argument. @parley/client can check what
 * arrives against it (in development and tests), so a server that drifts from the contract is caught.
 */
export const serverEventContract = {
  /** A message stored in one of the user's conversations (the sender's other tabs get it too). */
  'message:new': messageSchema,
  /** A message was edited, deleted or reacted to: replace the copy with the same id if its changeSeq is older. */
  'message:updated': messageSchema,
  /** The user was added to a conversation; the socket has already joined its room. */
  'conversation:new': conversationSchema,
  /** The user's own read position moved (in this or another tab/device): clear unread badges. */
  'conversation:read': readStateSchema,
  /**
   * A group's settings, members or roles changed: its shared state now. Sent to the room after the
   * system message that records the change (which catch-up also returns).
   */
  'conversation:updated': groupStateSchema,
  /** The user is no longer in the conversation; their sockets have left its room. Keep what is held. */
  'conversation:removed': conversationRemovedSchema,
  /**
   * The user muted or unmuted a conversation's notifications (in this or another tab or device,
   * `PUT /api/conversations/:id/notifications`): its `notificationsMutedUntil` now, unless an event
   * or answer of a higher `version` has been heard for that conversation.
   */
  'conversation:notifications': notificationSettingsSchema,
  /**
   * Someone the user shares a conversation with, or the user, changed their display name (PATCH
   * /api/me, or a site admin renaming a bot). Sent once per socket, however many conversations are
   * shared. Messages already held keep the old summary until replaced: clients update them.
   */
  'user:updated': userUpdatedSchema,
  /** A member's delivery or read position moved: update ticks and "read by". */
  'receipt:update': receiptSchema,
  'typing:update': typingUpdateSchema,
  /**
   * Once after connecting: everyone the user shares a conversation with who is online or away (the
   * user included; people met only in groups larger than the server's PRESENCE_EAGER_MAX_MEMBERS are
   * left out: they are followed through `presence:watch`), and every direct-conversation peer whatever their status (offline ones with
   * `lastSeenAt`). Anyone else the user shares a conversation with is offline. It replaces whatever
   * the client knew; changes that reach the socket before it are older than it.
   */
  'presence:snapshot': z.array(presenceSchema),
  /**
   * Changes since the last one, for this socket only: every change of the people it shares a
   * conversation with (the large groups' members only while it watches that group) over one window (PRESENCE_BATCH_MS), each person once with where they ended.
   * At most one per window per server process. Also the members of a new conversation, introduced.
   */
  'presence:changes': z.array(presenceSchema),
  /** The client sent too many events; the refused event's ack says request/rate_limited too. */
  'rate:limited': rateLimitedSchema,
  /**
   * Sent just before the server disconnects the socket because its session is over: expired, logged
   * out, or the account deactivated. Sign in again; reconnecting with the same cookie is refused.
   */
  'session:ended': sessionEndedSchema,
} as const satisfies Record<string, ZodType>;

export type ClientEventName = keyof typeof clientEventContract;
/** What a client event carries, as its schema outputs it. */
export type ClientEventPayload<E extends ClientEventName> = z.infer<
  (typeof clientEventContract)[E]['payload']
>;
/** The `data` of a successful acknowledgement of a client event. */
export type ClientEventAck<E extends ClientEventName> = z.infer<(typeof clientEventContract)[E]['ack']>;
export type ServerEventName = keyof typeof serverEventContract;
export type ServerEventPayload<E extends ServerEventName> = z.infer<(typeof serverEventContract)[E]>;

/** Socket.IO's typed view of clientEventContract: every event takes an acknowledgement. */
export type ClientToServerEvents = {
  [E in ClientEventName]: (payload: ClientEventPayload<E>, ack: AckCallback<ClientEventAck<E>>) => void;
};

/** Socket.IO's typed view of serverEventContract. */
export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: ServerEventPayload<E>) => void;
};

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
