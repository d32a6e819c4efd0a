import type { Member } from '@parley/shared';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { emitDelivered } from '@/socket';
import { REPORT_INTERVAL_MS } from '@parley/client';
import { readersOf, tickFor, useReceiptsStore } from '@/stores/receipts';
import { useSessionStore } from '@/stores/session';
import { alice, bob, makeConversation, makeMessage, summaryOf } from '../fixtures';

vi.mock('@/socket', () => ({ emitDelivered: vi.fn(), emitMarkRead: vi.fn() }));
const delivered = vi.mocked(emitDelivered);

const carol: Member = { id: 3, username: 'carol', displayName: 'Carol Diaz', kind: 'person', role: 'member' };
const dave: Member = { id: 4, username: 'dave', displayName: 'Dave Kim', kind: 'person', role: 'member' };
const members: Member[] = [
  { ...summaryOf(alice), role: 'owner' },
  { ...summaryOf(bob), role: 'member' },
  carol,
  dave,
];

describe('ticks on my messages in a direct conversation', () => {
  it('shows one tick once stored, two once delivered to them, two read ticks once they read it', () => {
    expect(tickFor(undefined, 5)).toBe('sent');
    expect(tickFor({ lastDeliveredSeq: 4, lastReadSeq: 3 }, 5)).toBe('sent');
    expect(tickFor({ lastDeliveredSeq: 5, lastReadSeq: 3 }, 5)).toBe('delivered');
    expect(tickFor({ lastDeliveredSeq: 9, lastReadSeq: 4 }, 5)).toBe('delivered');
    expect(tickFor({ lastDeliveredSeq: 5, lastReadSeq: 5 }, 5)).toBe('read');
    expect(tickFor({ lastDeliveredSeq: 9, lastReadSeq: 9 }, 5)).toBe('read');
  });
});

describe('"Read by" on my messages in a group', () => {
  it('counts the other members whose read position reached the message, never me', () => {
    const receipts = new Map([
      [alice.id, { conversationId: 1, userId: alice.id, lastDeliveredSeq: 10, lastReadSeq: 10 }],
      [bob.id, { conversationId: 1, userId: bob.id, lastDeliveredSeq: 10, lastReadSeq: 7 }],
      [carol.id, { conversationId: 1, userId: carol.id, lastDeliveredSeq: 10, lastReadSeq: 4 }],
      [dave.id, { conversationId: 1, userId: dave.id, lastDeliveredSeq: 10, lastReadSeq: 10 }],
    ]);
    expect(readersOf(receipts, members, alice.id, 5).map((member) => member.displayName)).toEqual([
      'Bob Chen',
      'Dave Kim',
    ]);
    expect(readersOf(receipts, members, alice.id, 8).map((member) => member.id)).toEqual([dave.id]);
    expect(readersOf(receipts, members, alice.id, 11)).toEqual([]);
  });
});

describe('receipts store', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    useSessionStore().user = alice;
    delivered.mockReset();
    delivered.mockImplementation(async (payload) => ({
      ok: true,
      data: { ...payload, userId: alice.id, lastDeliveredSeq: payload.seq, lastReadSeq: 0 },
    }));
  });
  afterEach(() => vi.useRealTimers());

  it('starts from each conversation’s receipts and moves positions forward only', () => {
    const store = useReceiptsStore();
    store.ingest(
      makeConversation({
        id: 1,
        receipts: [{ conversationId: 1, userId: bob.id, lastDeliveredSeq: 6, lastReadSeq: 4 }],
      }),
    );
    store.apply({ conversationId: 1, userId: bob.id, lastDeliveredSeq: 5, lastReadSeq: 5 });
    expect(store.get(1, bob.id)).toMatchObject({ lastDeliveredSeq: 6, lastReadSeq: 5 });

    store.apply({ conversationId: 1, userId: bob.id, lastDeliveredSeq: 2, lastReadSeq: 2 });
    expect(store.get(1, bob.id)).toMatchObject({ lastDeliveredSeq: 6, lastReadSeq: 5 });

    // Reading implies delivery.
    store.apply({ conversationId: 1, userId: bob.id, lastDeliveredSeq: 6, lastReadSeq: 8 });
    expect(store.get(1, bob.id)).toMatchObject({ lastDeliveredSeq: 8, lastReadSeq: 8 });
  });

  it('moves my own positions to a message I sent', () => {
    const store = useReceiptsStore();
    store.applyOwnMessage(makeMessage({ seq: 12, sender: summaryOf(alice) }));
    expect(store.get(1, alice.id)).toMatchObject({ lastDeliveredSeq: 12, lastReadSeq: 12 });
  });

  it('reports delivery at most once per interval, with the highest seq received', async () => {
    vi.useFakeTimers();
    const store = useReceiptsStore();

    store.reportDelivered(1, 3);
    store.reportDelivered(1, 4);
    store.reportDelivered(1, 5);
    expect(delivered).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(REPORT_INTERVAL_MS);
    expect(delivered.mock.calls.map(([payload]) => payload)).toEqual([{ conversationId: 1, seq: 5 }]);
    expect(store.get(1, alice.id)?.lastDeliveredSeq).toBe(5);

    store.reportDelivered(1, 4);
    await vi.advanceTimersByTimeAsync(REPORT_INTERVAL_MS);
    expect(delivered).toHaveBeenCalledTimes(1);
  });

  it('sends every waiting position at once when asked to flush (the page is being hidden)', async () => {
    vi.useFakeTimers();
    const store = useReceiptsStore();
    for (const conversationId of [1, 2, 3, 4, 5]) store.reportDelivered(conversationId, 7);

    store.flushReports();

    expect(delivered.mock.calls.map(([payload]) => payload.conversationId)).toEqual([1, 2, 3, 4, 5]);
    await vi.advanceTimersByTimeAsync(REPORT_INTERVAL_MS);
    expect(delivered).toHaveBeenCalledTimes(5);
  });
});
