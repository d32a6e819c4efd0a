import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useConversationsStore } from '@/stores/conversations';
import { alice, bob, makeConversation, makeMessage, stubFetch, summaryOf } from '../fixtures';

describe('group administration in the conversations store', () => {
  beforeEach(() => setActivePinia(createPinia()));
  afterEach(() => vi.unstubAllGlobals());

  it('a system message moves the conversation on without counting as unread, and tells us our own mute', () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1 }));
    const until = '2026-02-01T10:00:00.000Z';
    store.applyMessage(
      makeMessage({
        seq: 1,
        conversationId: 1,
        type: 'system',
        text: '',
        system: { kind: 'member_muted', actor: summaryOf(bob), target: summaryOf(alice), until },
      }),
      alice.id,
    );
    expect(store.get(1)).toMatchObject({ lastSeq: 1, unreadCount: 0, mutedUntil: until });
  });

  it('takes a group’s new shared state from conversation:updated', () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1, lastReadSeq: 3 }));
    store.applyGroupState({
      conversationId: 1,
      name: 'Renamed',
      description: null,
      announcement: 'Be kind',
      onlyAdminsPost: true,
      slowModeSeconds: 30,
      archivedAt: null,
      members: [{ ...summaryOf(alice), role: 'owner' }],
    });
    expect(store.get(1)).toMatchObject({
      name: 'Renamed',
      announcement: 'Be kind',
      onlyAdminsPost: true,
      slowModeSeconds: 30,
      lastReadSeq: 3,
    });
    expect(store.get(1)!.members).toHaveLength(1);
  });

  it('keeps a conversation we were removed from, read-only, when the list no longer has it', async () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1 }));
    store.upsert(makeConversation({ id: 2 }));
    store.markRemoved({ conversationId: 1, reason: 'removed' });
    stubFetch(() => ({ status: 200, body: { conversations: [], nextCursor: null } }));
    await store.load();
    expect(store.get(1)).toBeDefined();
    expect(store.removed.get(1)).toBe('removed');
    expect(store.get(2)).toBeUndefined();
  });

  it('a group we were banned from is ours again when we are added back, live or in the next list', async () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1 }));
    store.upsert(makeConversation({ id: 2 }));
    store.markRemoved({ conversationId: 1, reason: 'banned' });
    store.markRemoved({ conversationId: 2, reason: 'banned' });

    store.added(makeConversation({ id: 1, lastSeq: 4 }));
    expect(store.removed.has(1)).toBe(false);
    expect(store.get(1)).toMatchObject({ lastSeq: 4 });

    // Added back while the socket was down: the list after reconnecting says so.
    stubFetch(() => ({
      status: 200,
      body: { conversations: [makeConversation({ id: 1 }), makeConversation({ id: 2 })], nextCursor: null },
    }));
    await store.load();
    expect(store.removed.has(2)).toBe(false);
  });
});
