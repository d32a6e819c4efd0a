import { TYPING_REFRESH_MS } from '@parley/shared';
import { watch } from 'vue';
import { useConnectionStore } from '@/stores/connection';
import { useParleyClientStore } from '@/stores/parleyClient';

/**
 * Tells the conversation that we are typing: typing:start when typing begins and again at most every
 * TYPING_REFRESH_MS while it goes on; typing:stop on send, on clearing the text, on blur and when
 * leaving the conversation, once per start. Typing is best effort: nothing is sent while rate limited.
 */
export function useTypingReporter(conversationId: () => number, now: () => number = Date.now) {
  const connection = useConnectionStore();
  const parley = useParleyClientStore();
  const emitTyping = (id: number, typing: boolean) => parley.client?.typing(id, typing);
  let typingIn: number | null = null;
  let lastStart = 0;

  function stop(): void {
    if (typingIn === null) return;
    const id = typingIn;
    typingIn = null;
    if (!connection.isRateLimited(now())) void emitTyping(id, false);
  }

  function changed(text: string): void {
    if (text.trim() === '') {
      stop();
      return;
    }
    const id = conversationId();
    if (typingIn !== null && typingIn !== id) stop();
    // A new message after a send starts a new session at once: the indicator went away with the message.
    if (typingIn === id && now() - lastStart < TYPING_REFRESH_MS) return;
    if (connection.isRateLimited(now())) return;
    typingIn = id;
    lastStart = now();
    void emitTyping(id, true);
  }

  watch(conversationId, stop);

  return { changed, stop };
}
