import { UPLOAD_MAX_BYTES_DEFAULT, type ReplyPreview } from '@parley/shared';
import { markRaw, reactive } from 'vue';
import type { AttachmentToSend } from '@/stores/outgoing';

/** Image types the server keeps as images (re-encoded, shown inline); any other file goes as a file. */
const IMAGE_TYPES = /^image\/(jpeg|png|webp|gif)$/;

/** Why a file was not attached: empty, or over the default upload limit (the server stays the judge). */
export type AttachRefusal = 'message.attachEmpty' | 'message.attachTooLarge';

/**
 * What each conversation's composer holds while the user is elsewhere: the text being written, the
 * message it replies to, and the file to send with it. Module state, so it outlives the composer of a
 * conversation left and comes back with it; cleared when the user signs out.
 */
const texts = reactive(new Map<number, string>());
const replies = reactive(new Map<number, ReplyPreview>());
const attachments = reactive(new Map<number, AttachmentToSend>());
/** The last file refused per conversation (an i18n key), shown until another is attached or removed. */
const refusals = reactive(new Map<number, AttachRefusal>());

/** The upload kind for a picked, pasted or dropped file. */
export function uploadKindOf(file: File): 'image' | 'file' {
  return IMAGE_TYPES.test(file.type) ? 'image' : 'file';
}

export function useComposerDrafts() {
  return {
    texts,
    replies,
    attachments,
    refusals,
    /**
     * Holds `file` to send with the conversation's next message (replacing any held), unless it is
     * empty or larger than UPLOAD_MAX_BYTES_DEFAULT: a fast answer for what the server would refuse.
     */
    attach(conversationId: number, file: File): boolean {
      const refusal: AttachRefusal | null =
        file.size === 0
          ? 'message.attachEmpty'
          : file.size > UPLOAD_MAX_BYTES_DEFAULT
            ? 'message.attachTooLarge'
            : null;
      if (refusal) {
        refusals.set(conversationId, refusal);
        return false;
      }
      refusals.delete(conversationId);
      attachments.set(conversationId, { kind: uploadKindOf(file), file: markRaw(file), fileName: file.name });
      return true;
    },
    detach(conversationId: number): void {
      attachments.delete(conversationId);
      refusals.delete(conversationId);
    },
    /** Signed out: nothing written for the previous user stays. */
    reset(): void {
      texts.clear();
      replies.clear();
      attachments.clear();
      refusals.clear();
    },
  };
}
