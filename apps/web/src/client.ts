import { createParleyClient, type ParleyClient } from '@parley/client';
import { IndexedDbOutboxStorage, xhrUploader } from '@parley/client/browser';
import { ErrorCode, ServerEvent, type Conversation } from '@parley/shared';
import { migrateLegacyOutbox } from '@/storage/legacyOutbox';
import { useConnectionStore } from '@/stores/connection';
import { useConversationsStore } from '@/stores/conversations';
import { useMessagesStore } from '@/stores/messages';
import { useNotificationsStore } from '@/stores/notifications';
import { useOutgoingStore } from '@/stores/outgoing';
import { useParleyClientStore } from '@/stores/parleyClient';
import { usePeopleStore } from '@/stores/people';
import { usePresenceStore } from '@/stores/presence';
import { useReceiptsStore } from '@/stores/receipts';
import { useSessionStore } from '@/stores/session';
import { useToastsStore } from '@/stores/toasts';
import { useTypingStore } from '@/stores/typing';
import { watch, type WatchStopHandle } from 'vue';

/** Handshake refusals that mean this session is over: back to the login screen. */
const SESSION_OVER: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.Unauthenticated,
  ErrorCode.AccountDeactivated,
]);

let current: ParleyClient | null = null;
let networkWatched = false;
/** Stops following the open group's presence (set by bind, called by stopClient). */
let unwatchOpenGroup: WatchStopHandle | null = null;

/**
 * Feeds the stores from the client: every read model in stores/ is written here and by its own
 * actions, never by the protocol directly. Events the client does not model (group changes) are
 * read from its transport.
 */
function bind(client: ParleyClient): void {
  const connection = useConnectionStore();
  const conversations = useConversationsStore();
  const messages = useMessagesStore();
  const outgoing = useOutgoingStore();
  const session = useSessionStore();
  const receipts = useReceiptsStore();
  const presence = usePresenceStore();
  const people = usePeopleStore();
  const typing = useTypingStore();
  const toasts = useToastsStore();
  const notifications = useNotificationsStore();
  const me = () => session.user?.id ?? null;
  const live = () => current === client;

  /** What reached this device while it was away: the newest message of every conversation listed. */
  function reportDelivered(listed: readonly Conversation[]): void {
    for (const conversation of listed) {
      const last = conversation.lastMessage;
      if (!last || last.sender.id === me()) continue;
      receipts.reportDelivered(conversation.id, conversation.lastSeq);
    }
  }

  // The group on screen is watched for its members' presence: a large group's members are not
  // contacts, so nothing else tells of them (docs/protocol.md, "Presence and typing"). The client
  // watches it again on every new connection.
  unwatchOpenGroup?.();
  unwatchOpenGroup = watch(
    () => {
      const id = conversations.openId;
      return id !== null && conversations.get(id)?.kind === 'group' ? id : null;
    },
    (groupId, before) => {
      // Nothing to stop watching on a new client.
      if (groupId !== null || before != null) void client.watchPresence(groupId);
    },
    { immediate: true },
  );

  let wasConnected = false;
  client.on('connection', ({ state, code }) => {
    if (!live()) return;
    if (state === 'connected') {
      wasConnected = true;
      connection.setConnected();
      void presence.reassertOwnStatus();
      // The client catches up the open windows itself; the list (unread counts, receipts, new
      // conversations) is fetched again.
      conversations.load().then(
        () => live() && reportDelivered(conversations.sorted),
        () => undefined,
      );
      return;
    }
    if (wasConnected) {
      wasConnected = false;
      // Nobody's typing refreshes or presence changes reach us now; the next connection starts afresh.
      typing.clearAll();
      presence.forget();
    }
    if (state === 'connecting') connection.setConnecting();
    else if (state === 'reconnecting') connection.setReconnecting();
    else if (state === 'refused') {
      if (code && SESSION_OVER.has(code)) session.expire();
      else connection.setRefused(code ?? null);
    }
  });

  client.on(
    'session:ended',
    ({ code }) =>
      live() && session.expire(code === ErrorCode.PasswordChanged ? 'password_changed' : 'expired'),
  );

  client.on('message:added', ({ message, via }) => {
    if (!live()) return;
    messages.show(message);
    // Announced as it arrives; what a catch-up brings after a reconnect is not, one by one.
    if (via === 'live') notifications.incoming(message);
  });
  client.on('message:changed', ({ message }) => live() && messages.show(message));
  client.on('conversation:reset', ({ conversationId }) => {
    if (live()) messages.reload(conversationId).catch(() => undefined);
  });

  client.on('outbox', (entry) => {
    if (!live()) return;
    outgoing.apply(entry);
    if (entry.state === 'sent' && entry.message) {
      conversations.applyMessage(entry.message, me());
      receipts.applyOwnMessage(entry.message);
    }
  });

  // Every copy announced live, after the client has merged it.
  client.transport.onServer(ServerEvent.MessageNew, (message) => {
    if (!live()) return;
    conversations.applyMessage(message, me());
    typing.stopped(message.conversationId, message.sender.id);
    if (message.sender.id === me()) receipts.applyOwnMessage(message);
    else receipts.reportDelivered(message.conversationId, message.seq);
  });
  client.transport.onServer(ServerEvent.MessageUpdated, (message) => {
    if (live()) conversations.applyUpdate(message, me());
  });
  client.transport.onServer(ServerEvent.ConversationNew, (conversation) => {
    if (live()) conversations.added(conversation);
  });
  // Group administration: the shared state after a change, and our own removal.
  client.transport.onServer(ServerEvent.ConversationUpdated, (state) => {
    if (live()) conversations.applyGroupState(state);
  });
  client.transport.onServer(ServerEvent.ConversationNotifications, (settings) => {
    if (live()) conversations.applyNotificationSettings(settings);
  });
  client.transport.onServer(ServerEvent.ConversationRemoved, (removed) => {
    if (live()) conversations.markRemoved(removed);
  });
  // Someone renamed (or we did, in another tab): wherever they are shown.
  client.transport.onServer(ServerEvent.UserUpdated, ({ user }) => {
    if (!live()) return;
    people.apply(user);
    conversations.applyUser(user);
    session.applySummary(user);
  });

  client.on('read', (state) => {
    if (!live()) return;
    conversations.applyReadState(state);
    receipts.applyOwnRead(state);
  });
  client.on('receipt', (receipt) => live() && receipts.apply(receipt));
  client.on('typing', (update) => live() && typing.apply(update));
  client.on('presence:snapshot', (snapshot) => live() && presence.replace(snapshot));
  client.on('presence', (changes) => live() && presence.apply(changes));
  client.on('rate:limited', ({ retryAfterMs }) => {
    if (!live()) return;
    toasts.show('toast.rateLimited');
    connection.setRateLimited(retryAfterMs);
  });
}

/**
 * The browser knows before Socket.IO does: drop a dead connection at once, come back as soon as we
 * can, and try again at once when the person returns to the tab while it waits to reconnect.
 */
function watchNetwork(): void {
  if (networkWatched || typeof window === 'undefined') return;
  networkWatched = true;
  const connection = useConnectionStore();
  connection.setOnline(navigator.onLine);
  window.addEventListener('offline', () => {
    connection.setOnline(false);
    current?.setNetwork(false);
  });
  window.addEventListener('online', () => {
    connection.setOnline(true);
    current?.setNetwork(true);
  });
  // Someone coming back to the tab should not wait out the rest of a back-off (up to 10 s).
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && navigator.onLine && current?.connection === 'reconnecting')
      current.setNetwork(true);
  });
}

/**
 * Creates the one @parley/client for a signed-in user (the handshake authenticates with the
 * browser's cookie), binds its events to the stores and starts it: unsent messages saved before a
 * reload (moved over once from the storage the app used before) come back and go out once connected.
 */
export function startClient(userId: number): ParleyClient {
  stopClient();
  watchNetwork();
  const storage = new IndexedDbOutboxStorage({ userId });
  const client = createParleyClient({
    url: window.location.origin,
    auth: { kind: 'browser' },
    storage,
    // XMLHttpRequest reports upload progress as the bytes go out; fetch cannot.
    uploader: xhrUploader,
    userId,
    // The app loads windows of history over HTTP and follows only those; it lists conversations itself.
    catchUp: 'followed',
    discover: false,
    // Delivery is reported for others' live messages and each listed conversation's newest (bind()).
    reportDelivery: false,
    validate: import.meta.env.DEV,
    logger: { debug: () => {}, warn: (message, details) => console.warn(message, details) },
  });
  current = client;
  bind(client);
  useParleyClientStore().attach(client);
  useConnectionStore().setConnecting();
  void migrateLegacyOutbox(userId, storage)
    .then(() => (current === client ? client.start() : undefined))
    // No connection within the start timeout: the client keeps trying, and the banner says so.
    .catch(() => undefined);
  return client;
}

/** Signed out: reports still waiting go out, the connection closes; unsent messages stay saved for this user. */
export function stopClient(): void {
  const client = current;
  if (!client) return;
  useNotificationsStore().closeAll();
  current = null;
  unwatchOpenGroup?.();
  unwatchOpenGroup = null;
  useParleyClientStore().attach(null);
  client.stop();
  useConnectionStore().reset();
}

/** Skips what is left of the reconnection back-off and tries now (the banner's "Retry now"). */
export function reconnectNow(): void {
  current?.setNetwork(true);
}
