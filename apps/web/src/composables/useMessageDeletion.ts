import { ref, type Ref } from 'vue';
import { focusSensibly } from '@/lib/focus';
import { useMessageActionsStore } from '@/stores/messageActions';
import type { TimelineMessage } from '@/stores/messages';

/**
 * "Delete this message?": which message the dialog asks about, deleting it once confirmed, and where
 * focus goes when the dialog closes. Cancelled: back to the message's bubble inside `scroller`
 * (its toolbar comes back with keyboard focus). Deleted: somewhere sensible (the composer).
 */
export function useMessageDeletion(scroller: Ref<HTMLElement | null>) {
  const actions = useMessageActionsStore();
  /** The message the dialog is open for; null while it is closed. */
  const asking = ref<TimelineMessage | null>(null);
  // Kept apart from `asking` (the dialog's open state): closing the dialog and confirming happen in one click.
  let target: TimelineMessage | null = null;
  /** The message the dialog was about, and whether it was deleted: decides where focus returns. */
  let focusAfter: { message: TimelineMessage; confirmed: boolean } | null = null;

  function request(message: TimelineMessage): void {
    target = message;
    focusAfter = { message, confirmed: false };
    asking.value = message;
  }

  function cancel(): void {
    asking.value = null;
  }

  async function confirm(): Promise<void> {
    const message = target;
    if (focusAfter) focusAfter.confirmed = true;
    target = null;
    asking.value = null;
    if (message?.id) await actions.remove(message.conversationId, message.id);
  }

  /** The dialog's `closeAutoFocus`: focus is placed here instead of where it was before. */
  function restoreFocus(event: Event): void {
    event.preventDefault();
    const about = focusAfter;
    focusAfter = null;
    const bubble =
      about && !about.confirmed && about.message.id !== null
        ? scroller.value?.querySelector<HTMLElement>(
            `[data-message-id="${about.message.id}"] [data-testid="message-bubble"][tabindex]`,
          )
        : null;
    focusSensibly(bubble);
  }

  return { asking, request, cancel, confirm, restoreFocus };
}
