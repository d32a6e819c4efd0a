import type { ApiError } from './errors.js';
import type { Conversation, MarkReadPayload, ReadState } from './schemas/conversations.js';
import type { Message, SendMessagePayload } from './schemas/messages.js';

/** Every client-to-server event is acknowledged with exactly one of these. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ApiError };
export type AckCallback<T> = (response: Ack<T>) => void;

/** Event names, so code never spells one twice. */
export const ClientEvent = {
  MessageSend: 'message:send',
  ConversationRead: 'conversation:read',
} as const;

export const ServerEvent = {
  MessageNew: 'message:new',
  ConversationNew: 'conversation:new',
  ConversationRead: 'conversation:read',
} as const;

export interface ClientToServerEvents {
  /** Store a message; the ack carries the stored message (the same one for every retry of a clientMsgId). */
  'message:send': (payload: SendMessagePayload, ack: AckCallback<Message>) => void;
  /** Move the caller's read position forward (never back); a seq past the newest message is refused. */
  'conversation:read': (payload: MarkReadPayload, ack: AckCallback<ReadState>) => void;
}

export interface ServerToClientEvents {
  /** A message stored in one of the user's conversations (the sender's other tabs get it too). */
  'message:new': (message: Message) => void;
  /** The user was added to a conversation; the socket has already joined its room. */
  'conversation:new': (conversation: Conversation) => void;
  /** The user's read position moved (in this or another tab/device): clear unread badges. */
  'conversation:read': (state: ReadState) => void;
}

/** What the server keeps on each socket after the handshake. */
export interface SocketData {
  userId: number;
  sessionId: string;
}

/** `err.data` of a Socket.IO connect_error raised by Parley's handshake. */
export interface ConnectErrorData {
  code: ApiError['code'];
}

/** The server refuses socket frames larger than this (bytes). */
export const SOCKET_MAX_FRAME_BYTES = 64 * 1024;
