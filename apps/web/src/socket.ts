import {
  ClientEvent,
  ErrorCode,
  isErrorCode,
  isRetryableErrorCode,
  ServerEvent,
  type Ack,
  type ClientEventAck,
  type ClientEventName,
  type ClientEventPayload,
  type ClientToServerEvents,
  type ConnectErrorData,
  type DeleteMessagePayload,
  type EditMessagePayload,
  type MarkReadPayload,
  type Message,
  type ReactPayload,
  type ReadState,
  type Receipt,
  type SendMessagePayload,
  type ServerToClientEvents,
  type SetPresencePayload,
  type SyncPayload,
  type SyncResponse,
} from '@parley/shared';
import { backoffDelay, requestWithAck } from '@parley/client';
import { io, type Socket } from 'socket.io-client';
import { useCatchUpStore } from '@/stores/catchUp';
import { useConnectionStore } from '@/stores/connection';
import { useConversationsStore } from '@/stores/conversations';
import { useMessagesStore } from '@/stores/messages';
import { useOutboxStore } from '@/stores/outbox';
import { usePresenceStore } from '@/stores/presence';
import { useReceiptsStore } from '@/stores/receipts';
import { useSessionStore } from '@/stores/session';
import { useToastsStore } from '@/stores/toasts';
import { useTypingStore } from '@/stores/typing';

export type ParleySocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** How long an acknowledgement may take before the attempt counts as unanswered. */
export const ACK_TIMEOUT_MS = 10_000;
/** Reconnection: exponential back-off from 1 s to 30 s, each delay spread by ±50 %. */
const RECONNECTION = { reconnectionDelay: 1000, reconnectionDelayMax: 30_000, randomizationFactor: 0.5 };

let socket: ParleySocket | null = null;
/** Requests waiting for an acknowledgement; a disconnect answers them all at once. */
const inFlight = new Set<() => void>();
let handshakeRetry: ReturnType<typeof setTimeout> | undefined;
let handshakeAttempts = 0;
let networkWatched = false;

function retryAfterOf(error: Error): number {
  const data: unknown = 'data' in error ? error.data : undefined;
  const retryAfterMs =
    typeof data === 'object' && data !== null ? (data as ConnectErrorData).retryAfterMs : 0;
  return typeof retryAfterMs === 'number' && retryAfterMs > 0 ? retryAfterMs : 0;
}

function connectErrorCode(error: Error): ErrorCode | null {
  const data: unknown = 'data' in error ? error.data : undefined;
  if (typeof data !== 'object' || data === null || !('code' in data)) return null;
  const code = (data as Partial<ConnectErrorData>).code;
  return isErrorCode(code) ? code : null;
}

/**
 * Emits a client event and resolves with its acknowledgement (@parley/client's requestWithAck). Never
 * rejects: not connected, a disconnect before the answer, or no answer in time all resolve as
 * `server/unavailable` (the outcome is unknown, so the caller may retry as is).
 */
function request<E extends ClientEventName>(
  event: E,
  payload: ClientEventPayload<E>,
  timeoutMs = ACK_TIMEOUT_MS,
): Promise<Ack<ClientEventAck<E>>> {
  if (!socket)
    return Promise.resolve({ ok: false, error: { code: ErrorCode.Unavailable, message: 'not connected' } });
  return requestWithAck(socket, event, payload, { timeoutMs, pending: inFlight });
}

/** The back-off, and never sooner than the server asked (`retryAfterMs` of a `server/busy` refusal). */
function scheduleHandshakeRetry(target: ParleySocket, retryAfterMs = 0): void {
  clearTimeout(handshakeRetry);
  const backoff = backoffDelay(handshakeAttempts++, {
    baseMs: RECONNECTION.reconnectionDelay,
    maxMs: RECONNECTION.reconnectionDelayMax,
    jitter: RECONNECTION.randomizationFactor,
  });
  const delay = Math.max(backoff, retryAfterMs * (1 + Math.random() / 2));
  handshakeRetry = setTimeout(() => {
    if (socket === target && !target.connected) target.connect();
  }, delay);
}

function bindListeners(target: ParleySocket): void {
  const connection = useConnectionStore();
  const conversations = useConversationsStore();
  const messages = useMessagesStore();
  const session = useSessionStore();
  const outbox = useOutboxStore();
  const catchUp = useCatchUpStore();
  const receipts = useReceiptsStore();
  const presence = usePresenceStore();
  const typing = useTypingStore();
  const toasts = useToastsStore();

  target.on('connect', () => {
    handshakeAttempts = 0;
    clearTimeout(handshakeRetry);
    connection.setConnected();
    void presence.reassertOwnStatus();
    outbox.resume();
    void catchUp.run();
  });

  target.on('disconnect', (reason) => {
    for (const drop of [...inFlight]) drop();
    typing.clearAll();
    presence.forget();
    if (reason === 'io client disconnect') return;
    connection.setReconnecting();
    // The server hung up on purpose (this session logged out elsewhere, or it is restarting):
    // only come back if still signed in.
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
    } else if (code !== null && isRetryableErrorCode(code)) {
      // The server could not take us right now (unavailable, busy); Socket.IO does not retry a
      // refused handshake itself.
      connection.setReconnecting();
      scheduleHandshakeRetry(target, retryAfterOf(error));
    } else if (code !== null || !target.active) {
      connection.setRefused(code);
    } else {
      connection.setReconnecting();
    }
  });

  target.io.on('reconnect_attempt', () => connection.setReconnecting());

  // The server ends a socket whose session is over (expired, logged out elsewhere, account
  // deactivated) and says so just before it disconnects: back to the login screen.
  target.on(ServerEvent.SessionEnded, () => session.expire());

  target.on(ServerEvent.MessageNew, (message) => {
    const me = session.user?.id ?? null;
    messages.receive(message);
    conversations.applyMessage(message, me);
    typing.stopped(message.conversationId, message.sender.id);
    if (message.sender.id === me) {
      // Sent from another tab, or by this one before a reload: nothing left to send.
      void outbox.settle(message);
      receipts.applyOwnMessage(message);
    } else {
      receipts.reportDelivered(message.conversationId, message.seq);
    }
  });

  target.on(ServerEvent.MessageUpdated, (message) => {
    messages.update(message);
    conversations.applyUpdate(message, session.user?.id ?? null);
  });

  target.on(ServerEvent.ConversationNew, (conversation) => conversations.added(conversation));

  // Group administration: the shared state after a change, and our own removal.
  target.on(ServerEvent.ConversationUpdated, (state) => conversations.applyGroupState(state));
  target.on(ServerEvent.ConversationRemoved, (removed) => conversations.markRemoved(removed));

  target.on(ServerEvent.ConversationRead, (state) => {
    conversations.applyReadState(state);
    receipts.applyOwnRead(state);
  });

  target.on(ServerEvent.ReceiptUpdate, (receipt) => receipts.apply(receipt));

  target.on(ServerEvent.TypingUpdate, (update) => typing.apply(update));

  target.on(ServerEvent.PresenceSnapshot, (snapshot) => presence.replace(snapshot));
  target.on(ServerEvent.PresenceChanges, (changes) => presence.apply(changes));

  target.on(ServerEvent.RateLimited, ({ retryAfterMs }) => {
    toasts.show('toast.rateLimited');
    connection.setRateLimited(retryAfterMs);
    outbox.pauseFor(retryAfterMs);
  });
}

/** The browser knows before Socket.IO does: drop a dead connection at once, come back as soon as we can. */
function watchNetwork(): void {
  if (networkWatched || typeof window === 'undefined') return;
  networkWatched = true;
  const connection = useConnectionStore();
  connection.setOnline(navigator.onLine);
  window.addEventListener('offline', () => {
    connection.setOnline(false);
    // Without this the socket would wait for a ping timeout (up to 40 s) to notice.
    socket?.io.engine?.close();
  });
  window.addEventListener('online', () => {
    connection.setOnline(true);
    reconnectSocket();
  });
}

/** Opens the one socket for the signed-in session (the handshake authenticates from the cookie). */
export function connectSocket(): ParleySocket {
  watchNetwork();
  if (!socket) {
    socket = io({
      path: '/socket.io',
      withCredentials: true,
      autoConnect: false,
      // WebSocket first: one connection, held by one server process, so several processes behind
      // a plain (non-sticky) balancer serve it. Long-polling only where WebSocket cannot get
      // through, and that needs a sticky balancer (README, "Running several processes").
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      ...RECONNECTION,
    });
    bindListeners(socket);
  }
  if (!socket.connected) {
    useConnectionStore().setConnecting();
    socket.connect();
  }
  return socket;
}

/** Skips the remaining back-off and tries now. */
export function reconnectSocket(): void {
  if (socket && !socket.connected) {
    socket.disconnect();
    connectSocket();
  }
}

export function disconnectSocket(): void {
  clearTimeout(handshakeRetry);
  if (!socket) return;
  const closing = socket;
  socket = null;
  for (const drop of [...inFlight]) drop();
  closing.removeAllListeners();
  closing.io.removeAllListeners();
  closing.disconnect();
  useConnectionStore().reset();
}

export function isSocketConnected(): boolean {
  return socket?.connected ?? false;
}

export function emitSendMessage(payload: SendMessagePayload): Promise<Ack<Message>> {
  return request(ClientEvent.MessageSend, payload);
}

export function emitEditMessage(payload: EditMessagePayload): Promise<Ack<Message>> {
  return request(ClientEvent.MessageEdit, payload);
}

export function emitDeleteMessage(payload: DeleteMessagePayload): Promise<Ack<Message>> {
  return request(ClientEvent.MessageDelete, payload);
}

export function emitReact(payload: ReactPayload): Promise<Ack<Message>> {
  return request(ClientEvent.MessageReact, payload);
}

export function emitSync(payload: SyncPayload): Promise<Ack<SyncResponse>> {
  return request(ClientEvent.ConversationSync, payload);
}

export function emitDelivered(payload: MarkReadPayload): Promise<Ack<Receipt>> {
  return request(ClientEvent.ConversationDelivered, payload);
}

/** Moves our read position on the server (other tabs and devices clear their badges from it). */
export function emitMarkRead(payload: MarkReadPayload): Promise<Ack<ReadState>> {
  return request(ClientEvent.ConversationRead, payload);
}

export function emitTyping(conversationId: number, typing: boolean): Promise<Ack<null>> {
  return request(typing ? ClientEvent.TypingStart : ClientEvent.TypingStop, { conversationId });
}

export function emitPresence(payload: SetPresencePayload): Promise<Ack<null>> {
  return request(ClientEvent.PresenceSet, payload);
}
