import { describe, expect, it } from 'vitest';
import { messageRows } from '@/lib/messageRows';
import { toTimeline } from '@/stores/messages';
import { alice, makeMessage, summaryOf } from '../fixtures';

const at = (day: number, minute: number) => new Date(2026, 0, day, 10, minute).toISOString();

describe('message rows', () => {
  const timeline = [
    makeMessage({ seq: 1, createdAt: at(2, 0) }),
    makeMessage({ seq: 2, createdAt: at(2, 1) }),
    makeMessage({ seq: 3, createdAt: at(2, 2), sender: summaryOf(alice) }),
    makeMessage({ seq: 4, createdAt: at(2, 3) }),
    makeMessage({ seq: 5, createdAt: at(3, 0) }),
  ].map(toTimeline);

  it('puts the "New messages" divider above the first unread message from someone else', () => {
    const rows = messageRows(timeline, 2, alice.id);
    expect(rows.filter((row) => row.unreadStarts).map((row) => row.message.seq)).toEqual([4]);
    expect(messageRows(timeline, null, alice.id).some((row) => row.unreadStarts)).toBe(false);
  });

  it('starts a day separator at the first message of each day', () => {
    expect(
      messageRows(timeline, null, alice.id)
        .filter((row) => row.dayStartsAt)
        .map((row) => row.message.seq),
    ).toEqual([1, 5]);
  });

  it('runs consecutive messages of one sender together, within a day', () => {
    const rows = messageRows(timeline, null, alice.id);
    expect(rows.map((row) => [row.message.seq, row.groupStart, row.groupEnd])).toEqual([
      [1, true, false],
      [2, false, true],
      [3, true, true],
      [4, true, true],
      [5, true, true],
    ]);
  });
});
