import type { Attachment, UserSummary } from '@parley/shared';
import { computed, ref, watch, type Ref } from 'vue';
import { focusSensibly } from '@/lib/focus';
import type { TimelineMessage } from '@/stores/messages';

/** One image the viewer can show: a stored, undeleted image message of the conversation. */
export interface ViewerImage {
  /** The message's key (stable across its outgoing → stored switch). */
  key: string;
  attachment: Attachment;
  caption: string;
  sender: UserSummary;
  createdAt: string;
}

/**
 * The image viewer of one message list: the images of the conversation the client holds, oldest
 * first (what next and previous step through), which one is open, and where focus returns on close:
 * the thumbnail of the image last shown if it is on screen, else the one it was opened from, else
 * somewhere sensible (lib/focus.ts).
 */
export function useImageViewing(
  timeline: Ref<readonly TimelineMessage[]>,
  scroller: Ref<HTMLElement | null>,
) {
  const images = computed<ViewerImage[]>(() =>
    timeline.value.flatMap((message) =>
      message.attachment?.kind === 'image' && message.deletedAt === null
        ? [
            {
              key: message.key,
              attachment: message.attachment,
              caption: message.text,
              sender: message.sender,
              createdAt: message.createdAt,
            },
          ]
        : [],
    ),
  );
  /** The key of the message whose image is open; null while the viewer is closed. */
  const current = ref<string | null>(null);
  let opener: HTMLElement | null = null;

  function open(message: Pick<TimelineMessage, 'key'>): void {
    opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    current.value = message.key;
  }

  // The open image was deleted (or left the window the client holds): nothing to show, so close.
  watch(images, (list) => {
    if (current.value !== null && !list.some((image) => image.key === current.value)) current.value = null;
  });

  function thumbnailOf(key: string): HTMLElement | null {
    return (
      [...(scroller.value?.querySelectorAll<HTMLElement>('[data-image-key]') ?? [])].find(
        (element) => element.dataset.imageKey === key,
      ) ?? null
    );
  }

  /** The viewer's `closeAutoFocus`: focus is placed here instead of where it was before opening. */
  function restoreFocus(event: Event, lastShown: string | null): void {
    event.preventDefault();
    const target = (lastShown !== null ? thumbnailOf(lastShown) : null) ?? opener;
    opener = null;
    focusSensibly(target);
  }

  return { images, current, open, restoreFocus };
}
