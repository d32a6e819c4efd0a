import {
  ClientEvent,
  ErrorCode,
  ServerEvent,
  type Ack,
  type ClientToServerEvents,
  type ConnectErrorData,
  type MarkReadPayload,
  type Message,
  type ReadState,
  type SendMessagePayload,
  type ServerToClientEvents,
} from '@parley/shared';
import { io, type Socket } from 'socket.io-client';
import { useConnectionStore } from '@/stores/connection';
import { useConversationsStore } from '@/stores/conversations';
import { useMessagesStore } from '@/stores/messages';
import { useSessionStore } from '@/stores/session';

export type ParleySocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export const SEND_TIMEOUT_MS = 10_000;

const knownCodes: ReadonlySet<string> = new Set(Object.values(ErrorCode));

let socket: ParleySocket | null = null;

function connectErrorCode(error: Error): ErrorCode | null {
  const data: unknown = 'data' in error ? error.data : undefined;
  if (typeof data !== 'object' || data === null || !('code' in data)) return null;
  const code = (data as Partial<ConnectErrorData>).code;
  return typeof code === 'string' && knownCodes.has(code) ? code : null;
}

/** After a drop we may have missed messages: refresh the list and the loaded threads. */
async function resync(): Promise<void> {
  const conversations = useConversationsStore();
  const messages = useMessagesStore();
  await Promise.allSettled([
    conversations.load(),
    ...[...messages.threads.keys()].map((conversationId) => messages.syncLatest(conversationId)),
  ]);
}

function bindListeners(target: ParleySocket): void {
  const connection = useConnectionStore();
  const conversations = useConversationsStore();
  const messages = useMessagesStore();
  const session = useSessionStore();

  target.on('connect', () => {
    const isReconnect = connection.everConnected;
    connection.setConnected();
    if (isReconnect) void resync();
  });

  target.on('disconnect', (reason) => {
    if (reason === 'io client disconnect') return;
    connection.setReconnecting();
    // The server hung up on purpose (e.g. this session logged out elsewhere): only come back if still signed in.
    if (reason === 'io server disconnect') {
      void session.refresh().then((user) => {
        if (user && socket === target) target.connect();
      });
    }
  });

  target.on('connect_error', (error) => {
    const code = connectErrorCode(error);
    if (code === ErrorCode.Unauthenticated || code === ErrorCode.AccountDeactivated) {
      session.expire();
    } else if (code !== null || !target.active) {
      connection.setRefused(code);
    } else {
      connection.setReconnecting();
    }
  });

  target.io.on('reconnect_attempt', () => connection.setReconnecting());

  target.on(ServerEvent.MessageNew, (message) => {
    messages.receive(message);
    conversations.applyMessage(message, session.user?.id ?? null);
  });

  target.on(ServerEvent.MessageUpdated, (message) => {
    messages.update(message);
    conversations.applyUpdate(message);
  });

  target.on(ServerEvent.ConversationNew, (conversation) => {
    conversations.upsert(conversation);
  });

  target.on(ServerEvent.ConversationRead, (state) => {
    conversations.applyReadState(state);
  });
}

/** Opens the one socket for the signed-in session (the handshake authenticates from the cookie). */
export function connectSocket(): ParleySocket {
  if (!socket) {
    socket = io({ path: '/socket.io', withCredentials: true, autoConnect: false });
    bindListeners(socket);
  }
  if (!socket.connected) {
    useConnectionStore().setConnecting();
    socket.connect();
  }
  return socket;
}

export function reconnectSocket(): void {
  if (socket && !socket.connected) {
    socket.disconnect();
    connectSocket();
  }
}

export function disconnectSocket(): void {
  if (!socket) return;
  const closing = socket;
  socket = null;
  closing.removeAllListeners();
  closing.io.removeAllListeners();
  closing.disconnect();
  useConnectionStore().reset();
}

export async function emitSendMessage(payload: SendMessagePayload): Promise<Ack<Message>> {
  const target = socket;
  if (!target) return { ok: false, error: { code: ErrorCode.Unavailable, message: 'not connected' } };
  try {
    return await target.timeout(SEND_TIMEOUT_MS).emitWithAck(ClientEvent.MessageSend, payload);
  } catch {
    return { ok: false, error: { code: ErrorCode.Unavailable, message: 'no acknowledgement in time' } };
  }
}

/** Moves our read position on the server (other tabs and devices clear their badges from it). */
export async function emitMarkRead(payload: MarkReadPayload): Promise<Ack<ReadState>> {
  const target = socket;
  if (!target?.connected)
    return { ok: false, error: { code: ErrorCode.Unavailable, message: 'not connected' } };
  try {
    return await target.timeout(SEND_TIMEOUT_MS).emitWithAck(ClientEvent.ConversationRead, payload);
  } catch {
    return { ok: false, error: { code: ErrorCode.Unavailable, message: 'no acknowledgement in time' } };
  }
}
