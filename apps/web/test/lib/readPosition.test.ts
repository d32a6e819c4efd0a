import { describe, expect, it } from 'vitest';
import { lastSeenSeq, unreadAfterReading } from '@/lib/readPosition';

const viewport = { top: 100, bottom: 500 };

describe('lastSeenSeq', () => {
  it('is the highest seq whose row ends inside the viewport', () => {
    const rows = [
      { seq: 1, bottom: 90 },
      { seq: 2, bottom: 140 },
      { seq: 3, bottom: 480 },
      { seq: 4, bottom: 530 },
    ];
    expect(lastSeenSeq(rows, viewport)).toBe(3);
  });

  it('does not count a row cut off at the bottom, nor one that ended above the top', () => {
    expect(lastSeenSeq([{ seq: 7, bottom: 520 }], viewport)).toBeNull();
    expect(lastSeenSeq([{ seq: 7, bottom: 100 }], viewport)).toBeNull();
  });

  it('counts a row ending exactly at the bottom edge, within a pixel of fractional layout', () => {
    expect(lastSeenSeq([{ seq: 9, bottom: 500.8 }], viewport)).toBe(9);
  });

  it('counts a row taller than the viewport once its end is on screen', () => {
    expect(lastSeenSeq([{ seq: 5, bottom: 300 }], viewport)).toBe(5);
  });

  it('skips pending rows, which have no seq yet', () => {
    expect(
      lastSeenSeq(
        [
          { seq: 2, bottom: 200 },
          { seq: null, bottom: 300 },
        ],
        viewport,
      ),
    ).toBe(2);
  });

  it('does not depend on the order rows are given in', () => {
    expect(
      lastSeenSeq(
        [
          { seq: 6, bottom: 400 },
          { seq: 4, bottom: 200 },
        ],
        viewport,
      ),
    ).toBe(6);
  });
});

describe('unreadAfterReading', () => {
  const me = 1;
  const message = (seq: number | null, sender: number, deletedAt: string | null = null) => ({
    seq,
    sender: { id: sender, username: `u${sender}`, displayName: `U${sender}`, kind: 'person' as const },
    deletedAt,
  });

  it('takes the loaded messages of others between the two positions off the unread count', () => {
    const timeline = [message(1, 2), message(2, 2), message(3, 2), message(4, 2)];
    expect(unreadAfterReading(timeline, { fromSeq: 1, toSeq: 3, unreadCount: 3, me })).toBe(1);
  });

  it('does not count our own messages, deleted ones or pending ones', () => {
    const timeline = [
      message(1, 2),
      message(2, me),
      message(3, 2, '2025-01-01T00:00:00Z'),
      message(null, me),
    ];
    expect(unreadAfterReading(timeline, { fromSeq: 0, toSeq: 3, unreadCount: 1, me })).toBe(0);
  });

  it('never goes below zero', () => {
    expect(
      unreadAfterReading([message(1, 2), message(2, 2)], { fromSeq: 0, toSeq: 2, unreadCount: 1, me }),
    ).toBe(0);
  });
});
