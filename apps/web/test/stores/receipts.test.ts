import type { Member } from '@parley/shared';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { readersOf, tickFor, useReceiptsStore } from '@/stores/receipts';
import { useSessionStore } from '@/stores/session';
import { alice, attachFakeClient, bob, makeConversation, makeMessage, summaryOf } from '../fixtures';

const markDelivered = vi.fn<(conversationId: number, seq: number) => void>();
const flushReports = vi.fn<() => void>();

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
    markDelivered.mockReset();
    flushReports.mockReset();
    attachFakeClient({ markDelivered, flushReports });
  });

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

  it('reports delivery through the client (which throttles it), not for what is known delivered', () => {
    const store = useReceiptsStore();
    store.reportDelivered(1, 5);
    expect(markDelivered.mock.calls).toEqual([[1, 5]]);

    store.apply({ conversationId: 1, userId: alice.id, lastDeliveredSeq: 5, lastReadSeq: 0 });
    store.reportDelivered(1, 4);
    store.reportDelivered(1, 5);
    expect(markDelivered).toHaveBeenCalledTimes(1);
  });

  it('asks the client to send every waiting position at once (the page is being hidden)', () => {
    useReceiptsStore().flushReports();
    expect(flushReports).toHaveBeenCalledTimes(1);
  });
});
