import { ErrorCode, type Ack, type Message, type Reaction } from '@parley/shared';
import { defineStore } from 'pinia';
import { errorKeyForCode } from '@/i18n/errors';
import { useConnectionStore } from './connection';
import { useConversationsStore } from './conversations';
import { useMessagesStore } from './messages';
import { useParleyClientStore } from './parleyClient';
import { useSessionStore } from './session';
import { useToastsStore } from './toasts';

export function hasReacted(reactions: readonly Reaction[], emoji: string, userId: number): boolean {
  return reactions.some((reaction) => reaction.emoji === emoji && reaction.userIds.includes(userId));
}

/** The reactions after `userId` sets or clears `emoji`, as the server would store them. */
export function withReaction(
  reactions: readonly Reaction[],
  emoji: string,
  userId: number,
  on: boolean,
): Reaction[] {
  const existing = reactions.find((reaction) => reaction.emoji === emoji);
  if (on) {
    if (existing?.userIds.includes(userId)) return [...reactions];
    if (existing)
      return reactions.map((reaction) =>
        reaction === existing ? { emoji, userIds: [...reaction.userIds, userId] } : reaction,
      );
    return [...reactions, { emoji, userIds: [userId] }];
  }
  return reactions
    .map((reaction) =>
      reaction.emoji === emoji
        ? { emoji, userIds: reaction.userIds.filter((id) => id !== userId) }
        : reaction,
    )
    .filter((reaction) => reaction.userIds.length > 0);
}

/**
 * Editing, deleting and reacting: each answered with the changed message, which replaces our copy.
 * Unlike sends they are not queued: while offline they are refused at once, with words that say a
 * connection is needed (`toast.needsConnection`), rather than tried and answered "unavailable".
 */
export const useMessageActionsStore = defineStore('messageActions', () => {
  const messages = useMessagesStore();
  const conversations = useConversationsStore();
  const session = useSessionStore();
  const toasts = useToastsStore();
  const connection = useConnectionStore();
  const parley = useParleyClientStore();

  const notSignedIn: Ack<Message> = {
    ok: false,
    error: { code: ErrorCode.Unauthenticated, message: 'signed out' },
  };

  /** Not connected: says so and returns true, so the caller does not try. */
  function refusedOffline(): boolean {
    if (connection.live) return false;
    toasts.show('toast.needsConnection');
    return true;
  }

  function applied(ack: Ack<Message>): boolean {
    // The client holds the changed message, and its message:changed reaches the messages store.
    if (ack.ok) {
      conversations.applyUpdate(ack.data, session.user?.id ?? null);
      return true;
    }
    // The connection dropped while waiting: that, not a fault of the service, is why it failed.
    const dropped = ack.error.code === ErrorCode.Unavailable && !connection.live;
    toasts.show(dropped ? 'toast.needsConnection' : errorKeyForCode(ack.error.code));
    return false;
  }

  async function edit(conversationId: number, messageId: number, text: string): Promise<boolean> {
    if (refusedOffline()) return false;
    return applied((await parley.client?.edit({ conversationId, messageId, text })) ?? notSignedIn);
  }

  async function remove(conversationId: number, messageId: number): Promise<boolean> {
    if (refusedOffline()) return false;
    return applied((await parley.client?.delete({ conversationId, messageId })) ?? notSignedIn);
  }

  /** Sets the reaction if I have not made it, clears it if I have; shown at once, undone if refused. */
  async function toggleReaction(conversationId: number, messageId: number, emoji: string): Promise<boolean> {
    const me = session.user?.id;
    const message = messages.find(conversationId, messageId);
    if (me === undefined || !message || refusedOffline()) return false;
    const on = !hasReacted(message.reactions, emoji, me);
    const original = messages.patchLocally(conversationId, messageId, (current) => ({
      ...current,
      reactions: withReaction(current.reactions, emoji, me, on),
    }));
    const ok = applied((await parley.client?.react({ conversationId, messageId, emoji, on })) ?? notSignedIn);
    if (!ok && original) messages.revertLocally(original);
    return ok;
  }

  return { edit, remove, toggleReaction };
});
