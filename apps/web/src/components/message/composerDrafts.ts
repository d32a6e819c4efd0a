import type { ReplyPreview } from '@parley/shared';
import { reactive } from 'vue';

/**
 * What each conversation's composer holds while the user is elsewhere: the text being written and
 * the message it replies to. Module state, so it outlives the composer of a conversation left and
 * comes back with it; cleared when the user signs out.
 */
const texts = reactive(new Map<number, string>());
const replies = reactive(new Map<number, ReplyPreview>());

export function useComposerDrafts() {
  return {
    texts,
    replies,
    /** Signed out: nothing written for the previous user stays. */
    reset(): void {
      texts.clear();
      replies.clear();
    },
  };
}
