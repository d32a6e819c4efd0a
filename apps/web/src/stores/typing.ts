import { TYPING_EXPIRY_MS, type TypingUpdate } from '@parley/shared';
import { defineStore } from 'pinia';
import { reactive } from 'vue';

/**
 * Who is typing where, from others' `typing:update`s. An indicator goes away on typing:stop, when
 * that person's message arrives, or after TYPING_EXPIRY_MS without a refresh (a typist who vanished).
 */
export const useTypingStore = defineStore('typing', () => {
  /** conversationId → ids of the people typing there, in the order they started. */
  const byConversation = reactive(new Map<number, number[]>());
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  const timerKey = (conversationId: number, userId: number) => `${conversationId}:${userId}`;

  function stopped(conversationId: number, userId: number): void {
    const key = timerKey(conversationId, userId);
    clearTimeout(timers.get(key));
    timers.delete(key);
    const typists = byConversation.get(conversationId);
    if (!typists?.includes(userId)) return;
    const remaining = typists.filter((id) => id !== userId);
    if (remaining.length > 0) byConversation.set(conversationId, remaining);
    else byConversation.delete(conversationId);
  }

  function started(conversationId: number, userId: number): void {
    const key = timerKey(conversationId, userId);
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(() => stopped(conversationId, userId), TYPING_EXPIRY_MS),
    );
    const typists = byConversation.get(conversationId) ?? [];
    if (!typists.includes(userId)) byConversation.set(conversationId, [...typists, userId]);
  }

  function apply(update: TypingUpdate): void {
    if (update.typing) started(update.conversationId, update.userId);
    else stopped(update.conversationId, update.userId);
  }

  function typingIn(conversationId: number): readonly number[] {
    return byConversation.get(conversationId) ?? [];
  }

  /** Disconnected: nobody's refreshes reach us any more. */
  function clearAll(): void {
    for (const timer of timers.values()) clearTimeout(timer);
    timers.clear();
    byConversation.clear();
  }

  return { byConversation, apply, stopped, typingIn, clearAll };
});
