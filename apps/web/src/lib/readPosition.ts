import type { TimelineMessage } from '@/stores/messages';

/** A rendered message row: its seq (null while pending) and its bottom edge, in client pixels. */
export interface RowEdge {
  seq: number | null;
  bottom: number;
}

/** Rows whose bottom edge is this close below the viewport still count: layout is fractional. */
const EDGE_TOLERANCE_PX = 1;

/**
 * The highest seq among rows whose bottom edge lies inside the viewport `[top, bottom]` (client
 * pixels), or null when none does. A row is read once its end has been on screen: for rows shorter
 * than the viewport that is the row wholly visible, and a row taller than the viewport counts once
 * the reader has scrolled to its end.
 */
export function lastSeenSeq(
  rows: Iterable<RowEdge>,
  viewport: { top: number; bottom: number },
): number | null {
  let seen: number | null = null;
  for (const { seq, bottom } of rows) {
    if (seq === null || bottom <= viewport.top || bottom > viewport.bottom + EDGE_TOLERANCE_PX) continue;
    if (seen === null || seq > seen) seen = seq;
  }
  return seen;
}

/**
 * How many messages stay unread once the read position moves from `fromSeq` to `toSeq`: the
 * `unreadCount` less the loaded messages in between that count as unread (from someone else, not
 * deleted). Messages of that range that are not loaded cannot be counted here, so this may be high
 * until the server answers with the exact count; never below zero.
 */
export function unreadAfterReading(
  timeline: readonly Pick<TimelineMessage, 'seq' | 'sender' | 'deletedAt'>[],
  read: { fromSeq: number; toSeq: number; unreadCount: number; me: number | null },
): number {
  let counted = 0;
  for (const message of timeline) {
    if (message.seq === null || message.seq <= read.fromSeq || message.seq > read.toSeq) continue;
    if (message.sender.id !== read.me && !message.deletedAt) counted += 1;
  }
  return Math.max(0, read.unreadCount - counted);
}
