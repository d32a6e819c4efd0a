import { MESSAGE_TEXT_MAX, UPLOAD_MAX_BYTES_DEFAULT, type ReplyPreview } from '@parley/shared';
import { markRaw, reactive, watch } from 'vue';
import type { AttachmentToSend } from '@/stores/outgoing';

/** Image types the server keeps as images (re-encoded, shown inline); any other file goes as a file. */
const IMAGE_TYPES = /^image\/(jpeg|png|webp|gif)$/;

/** Why a file was not attached: empty, or over the default upload limit (the server stays the judge). */
export type AttachRefusal = 'message.attachEmpty' | 'message.attachTooLarge';

/**
 * What each conversation's composer holds while the user is elsewhere: the text being written, the
 * message it replies to, and the file to send with it. Module state, so it outlives the composer of a
 * conversation left and comes back with it; cleared from memory when the user signs out. The texts
 * are also kept in localStorage per user (`parley.drafts.<userId>`), so a reload, a crash or a closed
 * tab loses nothing half-written; the outbox keeps what was sent the same way, per user.
 */
const texts = reactive(new Map<number, string>());
const replies = reactive(new Map<number, ReplyPreview>());
const attachments = reactive(new Map<number, AttachmentToSend>());
/** The last file refused per conversation (an i18n key), shown until another is attached or removed. */
const refusals = reactive(new Map<number, AttachRefusal>());

const STORAGE_PREFIX = 'parley.drafts.';
/** How long after the last keystroke the texts are written to storage (and at once when the page goes). */
const SAVE_DELAY_MS = 300;
/** Whose texts these are, once restored; null while signed out (nothing is saved then). */
let storedFor: number | null = null;
let saveTimer: ReturnType<typeof setTimeout> | undefined;

/** Writes the texts for their user now: a JSON object of conversation id to text, or nothing if none. */
function saveTexts(): void {
  clearTimeout(saveTimer);
  saveTimer = undefined;
  if (storedFor === null) return;
  const written = Object.fromEntries([...texts].filter(([, text]) => text.trim() !== ''));
  try {
    if (Object.keys(written).length === 0) localStorage.removeItem(STORAGE_PREFIX + storedFor);
    else localStorage.setItem(STORAGE_PREFIX + storedFor, JSON.stringify(written));
  } catch {
    // Storage full or refused (a private window): the drafts stay in memory for this page.
  }
}

watch(texts, () => {
  if (storedFor === null) return;
  clearTimeout(saveTimer);
  saveTimer = setTimeout(saveTexts, SAVE_DELAY_MS);
});
if (typeof window !== 'undefined') window.addEventListener('pagehide', () => saveTexts());

/** The saved texts of `userId`, or none when nothing usable is stored. */
function readTexts(userId: number): Array<[number, string]> {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(STORAGE_PREFIX + userId) ?? '{}');
    if (typeof parsed !== 'object' || parsed === null) return [];
    return Object.entries(parsed).flatMap(([id, text]) =>
      /^[1-9][0-9]*$/.test(id) && typeof text === 'string' && text !== ''
        ? [[Number(id), text.slice(0, MESSAGE_TEXT_MAX)] as [number, string]]
        : [],
    );
  } catch {
    return [];
  }
}

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
    /** Signed in as `userId`: their saved texts come back, and from now on each change is saved. */
    restore(userId: number): void {
      for (const [conversationId, text] of readTexts(userId)) texts.set(conversationId, text);
      storedFor = userId;
    },
    /** Signed out: nothing written for the previous user stays in memory (their saved texts stay theirs). */
    reset(): void {
      if (saveTimer !== undefined) saveTexts();
      storedFor = null;
      texts.clear();
      replies.clear();
      attachments.clear();
      refusals.clear();
    },
  };
}
