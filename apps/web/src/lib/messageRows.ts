import { isSameDay } from '@/composables/useDateFormat';
import type { TimelineMessage } from '@/stores/messages';

/** Messages from one sender this close together read as one run. */
const GROUP_WINDOW_MS = 5 * 60 * 1000;

/**
 * One row per message. The day separator and the "New messages" divider are part of the row they
 * stand above: a separate row would, at the very top, be the row the view anchors to while older
 * pages are prepended, and a day's separator moves to the new first message of that day.
 */
export interface MessageRow {
  key: string;
  message: TimelineMessage;
  /** The message's date when it is the first of its day in the window. */
  dayStartsAt: string | null;
  /** The first message from someone else after the read position the conversation was opened with. */
  unreadStarts: boolean;
  groupStart: boolean;
  groupEnd: boolean;
}

function continues(previous: TimelineMessage | undefined, next: TimelineMessage): boolean {
  return (
    previous !== undefined &&
    previous.sender.id === next.sender.id &&
    isSameDay(previous.createdAt, next.createdAt) &&
    Date.parse(next.createdAt) - Date.parse(previous.createdAt) < GROUP_WINDOW_MS
  );
}

export function messageRows(
  timeline: readonly TimelineMessage[],
  unreadAfterSeq: number | null,
  me: number | null,
): MessageRow[] {
  let dividerPlaced = unreadAfterSeq === null;
  return timeline.map((message, index) => {
    const previous = timeline[index - 1];
    const next = timeline[index + 1];
    const unreadStarts =
      !dividerPlaced && message.seq !== null && message.seq > unreadAfterSeq! && message.sender.id !== me;
    if (unreadStarts) dividerPlaced = true;
    const dayStarts = !previous || !isSameDay(previous.createdAt, message.createdAt);
    return {
      key: message.key,
      message,
      dayStartsAt: dayStarts ? message.createdAt : null,
      unreadStarts,
      groupStart: dayStarts || unreadStarts || !continues(previous, message),
      groupEnd: next === undefined || !continues(message, next),
    };
  });
}
