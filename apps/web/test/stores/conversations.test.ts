import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONVERSATION_PAGE_MAX, NOTIFICATIONS_MUTED_FOREVER } from '@parley/shared';
import { FIRST_PAGE, useConversationsStore } from '@/stores/conversations';
import { alice, bob, makeConversation, makeMessage, stubFetch, summaryOf } from '../fixtures';

function at(minute: number): string {
  return new Date(Date.UTC(2026, 0, 5, 9, minute)).toISOString();
}

function order(store: ReturnType<typeof useConversationsStore>): number[] {
  return store.sorted.map((conversation) => conversation.id);
}

describe('conversations store', () => {
  beforeEach(() => setActivePinia(createPinia()));
  afterEach(() => vi.unstubAllGlobals());

  it("leaves muted conversations out of the title's count, and counts them again once the mute runs out", async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 5, 9, 0) });
    try {
      const store = useConversationsStore();
      store.upsert(makeConversation({ id: 1, unreadCount: 2 }));
      store.upsert(makeConversation({ id: 2, unreadCount: 3 }));
      expect(store.totalUnread).toBe(5);
      const inAnHour = new Date(Date.now() + 60 * 60 * 1000).toISOString();
      store.applyNotificationSettings({ conversationId: 2, notificationsMutedUntil: inAnHour, version: 1 });
      store.applyNotificationSettings({
        conversationId: 1,
        notificationsMutedUntil: NOTIFICATIONS_MUTED_FOREVER,
        version: 2,
      });
      expect(store.totalUnread).toBe(0);
      expect(store.notificationsMuted(store.get(2)!)).toBe(true);
      await vi.advanceTimersByTimeAsync(60 * 60 * 1000 - 1);
      expect(store.totalUnread).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(store.notificationsMuted(store.get(2)!)).toBe(false);
      expect(store.totalUnread).toBe(3);
      store.applyNotificationSettings({ conversationId: 1, notificationsMutedUntil: null, version: 3 });
      expect(store.totalUnread).toBe(5);
    } finally {
      vi.useRealTimers();
    }
  });

  it("forgets the versions of one person's notification choices when the next person signs in", () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1 }));
    store.applyNotificationSettings({ conversationId: 1, notificationsMutedUntil: null, version: 9 });
    store.reset();
    store.upsert(makeConversation({ id: 1 }));
    store.applyNotificationSettings({
      conversationId: 1,
      notificationsMutedUntil: NOTIFICATIONS_MUTED_FOREVER,
      version: 1,
    });
    expect(store.get(1)!.notificationsMutedUntil).toBe(NOTIFICATIONS_MUTED_FOREVER);
  });

  it('sorts by latest activity: the newest message, or creation when there is none', () => {
    const store = useConversationsStore();
    store.upsert(
      makeConversation({
        id: 1,
        lastSeq: 1,
        lastMessage: makeMessage({ seq: 1, conversationId: 1, createdAt: at(10) }),
      }),
    );
    store.upsert(makeConversation({ id: 2, createdAt: at(20) }));
    store.upsert(
      makeConversation({
        id: 3,
        lastSeq: 1,
        lastMessage: makeMessage({ seq: 1, conversationId: 3, createdAt: at(5) }),
      }),
    );
    expect(order(store)).toEqual([2, 1, 3]);
  });

  it('moves a conversation to the top when a message arrives in it', () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1, createdAt: at(30) }));
    store.upsert(makeConversation({ id: 2, createdAt: at(10) }));

    store.applyMessage(
      makeMessage({ seq: 1, conversationId: 2, createdAt: at(40), text: 'latest' }),
      alice.id,
    );

    expect(order(store)).toEqual([2, 1]);
    expect(store.get(2)).toMatchObject({ lastSeq: 1, lastMessage: { text: 'latest' } });
  });

  it('counts messages from others as unread', () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1, unreadCount: 2 }));
    store.applyMessage(makeMessage({ seq: 1, conversationId: 1 }), alice.id);
    store.applyMessage(makeMessage({ seq: 2, conversationId: 1 }), alice.id);
    expect(store.get(1)?.unreadCount).toBe(4);
    expect(store.totalUnread).toBe(4);
  });

  it('does not count our own messages as unread', () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1 }));
    store.applyMessage(makeMessage({ seq: 1, conversationId: 1, sender: summaryOf(alice) }), alice.id);
    expect(store.get(1)?.unreadCount).toBe(0);
    expect(store.get(1)?.lastSeq).toBe(1);
  });

  it('does not count messages of the conversation being read, and moves its read position', () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1 }));
    store.upsert(makeConversation({ id: 2 }));
    store.setOpen(1);
    store.setViewingLatest(true);

    store.applyMessage(makeMessage({ seq: 1, conversationId: 1 }), alice.id);
    store.applyMessage(makeMessage({ seq: 1, conversationId: 2 }), alice.id);

    expect(store.get(1)).toMatchObject({ unreadCount: 0, lastReadSeq: 1 });
    expect(store.get(2)).toMatchObject({ unreadCount: 1, lastReadSeq: 0 });
  });

  it('counts messages of the open conversation while the page is hidden, and reads nothing until it is shown', () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1 }));
    store.setOpen(1);
    store.setViewingLatest(true);
    store.setPageVisible(false);

    store.applyMessage(makeMessage({ seq: 1, conversationId: 1 }), alice.id);
    expect(store.get(1)?.unreadCount).toBe(1);
    expect(store.markReadUpTo(1, 1, 0)).toBe(false);
    expect(store.get(1)).toMatchObject({ unreadCount: 1, lastReadSeq: 0 });

    // Shown again: read once the list says the message is on screen, not before.
    store.setPageVisible(true);
    expect(store.get(1)).toMatchObject({ unreadCount: 1, lastReadSeq: 0 });
    expect(store.markReadUpTo(1, 1, 0)).toBe(true);
    expect(store.get(1)).toMatchObject({ unreadCount: 0, lastReadSeq: 1 });
  });

  it('reads an opened conversation as far as the list has shown it, never back', () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1, lastSeq: 5, lastReadSeq: 2, unreadCount: 3 }));
    store.setOpen(1);
    store.setViewingLatest(true);
    expect(store.get(1)).toMatchObject({ unreadCount: 3, lastReadSeq: 2 });

    store.markReadUpTo(1, 4, 1);
    expect(store.get(1)).toMatchObject({ unreadCount: 1, lastReadSeq: 4 });
    expect(store.markReadUpTo(1, 3, 2)).toBe(false);
    expect(store.get(1)).toMatchObject({ unreadCount: 1, lastReadSeq: 4 });
    // The newest message: nothing is left, whatever the list counted.
    store.markReadUpTo(1, 5, 1);
    expect(store.get(1)).toMatchObject({ unreadCount: 0, lastReadSeq: 5 });
  });

  it('does not read while the window is in the background', () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1 }));
    store.setOpen(1);
    store.setViewingLatest(true);
    store.setWindowFocused(false);

    store.applyMessage(makeMessage({ seq: 1, conversationId: 1 }), alice.id);
    expect(store.markReadUpTo(1, 1, 0)).toBe(false);
    expect(store.get(1)).toMatchObject({ unreadCount: 1, lastReadSeq: 0 });

    store.setWindowFocused(true);
    store.markReadUpTo(1, 1, 0);
    expect(store.get(1)).toMatchObject({ unreadCount: 0, lastReadSeq: 1 });
  });

  it('keeps live updates when a slower list fetch comes back with an older copy', async () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1 }));
    stubFetch(() => ({
      status: 200,
      body: { conversations: [makeConversation({ id: 1, lastSeq: 1, unreadCount: 1 })], nextCursor: null },
    }));
    const loading = store.load();
    store.applyMessage(makeMessage({ seq: 1, conversationId: 1 }), alice.id);
    store.applyMessage(makeMessage({ seq: 2, conversationId: 1, text: 'newest' }), alice.id);
    await loading;
    expect(store.get(1)).toMatchObject({ lastSeq: 2, unreadCount: 2, lastMessage: { text: 'newest' } });
  });

  it('keeps a group change applied live when a slower fetch comes back with the group as it was', async () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1, kind: 'group', name: 'Ops', lastSeq: 1 }));
    // Fetched before the change committed: the old announcement, one message behind.
    stubFetch(() => ({
      status: 200,
      body: {
        conversations: [
          makeConversation({ id: 1, kind: 'group', name: 'Ops', lastSeq: 1, announcement: null }),
        ],
        nextCursor: null,
      },
    }));
    const loading = store.load();
    // The change's system message, then conversation:updated with the group's new state.
    store.applyMessage(makeMessage({ seq: 2, conversationId: 1, type: 'system' }), alice.id);
    const {
      id: _id,
      kind: _kind,
      ...state
    } = makeConversation({
      id: 1,
      kind: 'group',
      name: 'Ops',
      announcement: 'Stand-up at nine.',
    });
    store.applyGroupState({
      conversationId: 1,
      name: state.name,
      description: state.description,
      announcement: state.announcement,
      onlyAdminsPost: state.onlyAdminsPost,
      slowModeSeconds: state.slowModeSeconds,
      archivedAt: state.archivedAt,
      members: state.members,
    });
    await loading;
    expect(store.get(1)).toMatchObject({ lastSeq: 2, announcement: 'Stand-up at nine.' });

    // A copy that has seen the change is taken as it is.
    stubFetch(() => ({
      status: 200,
      body: {
        conversations: [
          makeConversation({ id: 1, kind: 'group', lastSeq: 3, announcement: 'Moved to ten.' }),
        ],
        nextCursor: null,
      },
    }));
    await store.load();
    expect(store.get(1)).toMatchObject({ lastSeq: 3, announcement: 'Moved to ten.' });
  });

  it('does not count a repeated message twice', async () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1 }));
    const message = makeMessage({ seq: 1, conversationId: 1 });
    const requests = stubFetch(() => ({
      status: 200,
      body: { conversation: makeConversation({ id: 1, lastSeq: 1, lastMessage: message, unreadCount: 1 }) },
    }));
    store.applyMessage(message, alice.id);
    store.applyMessage(message, alice.id);
    expect(store.get(1)?.unreadCount).toBe(1);
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    expect(store.get(1)?.unreadCount).toBe(1);
  });

  it('takes the server count when an earlier message arrives after a later one', async () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1 }));
    const later = makeMessage({ seq: 2, conversationId: 1, text: 'second' });
    const requests = stubFetch(() => ({
      status: 200,
      body: { conversation: makeConversation({ id: 1, lastSeq: 2, lastMessage: later, unreadCount: 2 }) },
    }));

    store.applyMessage(later, alice.id);
    store.applyMessage(makeMessage({ seq: 1, conversationId: 1, text: 'first' }), alice.id);

    await vi.waitFor(() => expect(store.get(1)?.unreadCount).toBe(2));
    expect(requests.map((request) => request.url)).toEqual(['/api/conversations/1']);
    expect(store.get(1)).toMatchObject({ lastSeq: 2, lastMessage: { text: 'second' } });
  });

  it('fetches the count after a gap, and again while the answer is older than what arrived since', async () => {
    // The list loaded at seq 5; 6 and 7 went elsewhere (the conversation was being fetched on its
    // own), then 8 arrives live. Counting 8 alone would say 6 where the server says 8.
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1, lastSeq: 5, unreadCount: 5 }));
    const ninth = makeMessage({ seq: 9, conversationId: 1, text: 'ninth' });
    const answers = [
      makeConversation({ id: 1, lastSeq: 8, unreadCount: 8 }),
      makeConversation({ id: 1, lastSeq: 9, lastMessage: ninth, unreadCount: 9 }),
    ];
    let release!: () => void;
    const firstHeld = new Promise<void>((resolve) => (release = resolve));
    const requests = stubFetch(async () => {
      const conversation = answers[requests.length - 1]!;
      if (requests.length === 1) await firstHeld;
      return { status: 200, body: { conversation } };
    });

    store.applyMessage(makeMessage({ seq: 8, conversationId: 1 }), alice.id);
    // 9 arrives while the first answer (as of 8) is on its way: that answer is behind ours.
    store.applyMessage(ninth, alice.id);
    expect(store.get(1)).toMatchObject({ lastSeq: 9, unreadCount: 7 });
    release();

    await vi.waitFor(() => expect(store.get(1)?.unreadCount).toBe(9));
    expect(requests.map((request) => request.url)).toEqual(['/api/conversations/1', '/api/conversations/1']);
    expect(store.get(1)).toMatchObject({ lastSeq: 9, lastMessage: { text: 'ninth' } });
  });

  it('keeps counting without fetching while messages arrive one after another', () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1, lastSeq: 5, unreadCount: 5 }));
    const requests = stubFetch(() => ({ status: 500, body: undefined }));
    store.applyMessage(makeMessage({ seq: 6, conversationId: 1 }), alice.id);
    store.applyMessage(makeMessage({ seq: 7, conversationId: 1 }), alice.id);
    expect(store.get(1)).toMatchObject({ lastSeq: 7, unreadCount: 7 });
    expect(requests).toEqual([]);
  });

  it('adds a conversation we were just added to (conversation:new)', () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1, createdAt: at(1) }));
    store.upsert(makeConversation({ id: 2, name: 'Fresh group', createdAt: at(50) }));
    expect(order(store)).toEqual([2, 1]);
    expect(store.get(2)?.name).toBe('Fresh group');
  });

  it('takes the read position reported by another tab, but never moves it back', () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1, lastSeq: 9, lastReadSeq: 4, unreadCount: 5 }));
    store.applyReadState({ conversationId: 1, lastReadSeq: 9, unreadCount: 0 });
    expect(store.get(1)).toMatchObject({ lastReadSeq: 9, unreadCount: 0 });
    store.applyReadState({ conversationId: 1, lastReadSeq: 3, unreadCount: 6 });
    expect(store.get(1)).toMatchObject({ lastReadSeq: 9, unreadCount: 0 });
  });

  it('fetches a conversation it has not heard of when a message arrives in it', async () => {
    const message = makeMessage({ seq: 1, conversationId: 7 });
    const requests = stubFetch(() => ({
      status: 200,
      body: { conversation: makeConversation({ id: 7, lastSeq: 1, lastMessage: message, unreadCount: 1 }) },
    }));
    const store = useConversationsStore();

    store.applyMessage(message, alice.id);

    await vi.waitFor(() => expect(store.get(7)).toBeDefined());
    expect(requests.map((request) => request.url)).toEqual(['/api/conversations/7']);
    expect(store.get(7)?.unreadCount).toBe(1);
  });

  it('loads the list from the server', async () => {
    stubFetch(() => ({
      status: 200,
      body: { conversations: [makeConversation({ id: 4 }), makeConversation({ id: 5 })], nextCursor: null },
    }));
    const store = useConversationsStore();
    await store.load();
    expect(store.status).toBe('ready');
    expect(store.sorted.map((conversation) => conversation.id).sort()).toEqual([4, 5]);
  });

  it('reads the list a page at a time, and shows it once the first page is in', async () => {
    let releaseRest!: () => void;
    const rest = new Promise<void>((resolve) => (releaseRest = resolve));
    const requests = stubFetch(async (request) => {
      if (!request.url.includes('cursor=')) {
        return { status: 200, body: { conversations: [makeConversation({ id: 9 })], nextCursor: 'c1' } };
      }
      await rest;
      return { status: 200, body: { conversations: [makeConversation({ id: 3 })], nextCursor: null } };
    });
    const store = useConversationsStore();
    const loading = store.load();
    await vi.waitFor(() => expect(requests).toHaveLength(2));
    expect(store.status).toBe('ready');
    expect(order(store)).toEqual([9]);
    releaseRest();
    await loading;
    expect(requests.map((request) => request.url)).toEqual([
      `/api/conversations?limit=${FIRST_PAGE}`,
      `/api/conversations?limit=${CONVERSATION_PAGE_MAX}&cursor=c1`,
    ]);
    expect(order(store).sort()).toEqual([3, 9]);
  });

  it('drops what no page listed, but not a conversation heard of live while the pages were read', async () => {
    const store = useConversationsStore();
    for (const id of [1, 2, 3]) store.upsert(makeConversation({ id }));
    let releaseRest!: () => void;
    const rest = new Promise<void>((resolve) => (releaseRest = resolve));
    const requests = stubFetch(async (request) => {
      if (!request.url.includes('cursor=')) {
        return { status: 200, body: { conversations: [makeConversation({ id: 1 })], nextCursor: 'c1' } };
      }
      await rest;
      return { status: 200, body: { conversations: [], nextCursor: null } };
    });
    const loading = store.load();
    await vi.waitFor(() => expect(requests).toHaveLength(2));
    // Conversation 3 came alive after the first page was read: it moved ahead of the second.
    store.applyMessage(makeMessage({ seq: 1, conversationId: 3 }), alice.id);
    releaseRest();
    await loading;
    expect(order(store).sort()).toEqual([1, 3]);

    // The next load no longer heard of it live: listed nowhere, it is gone.
    stubFetch(() => ({
      status: 200,
      body: { conversations: [makeConversation({ id: 1 })], nextCursor: null },
    }));
    await store.load();
    expect(order(store)).toEqual([1]);
  });

  it('creates a group and knows it at once', async () => {
    const requests = stubFetch(() => ({
      status: 201,
      body: { conversation: makeConversation({ id: 8, name: 'Hikers' }) },
    }));
    const store = useConversationsStore();
    const created = await store.createGroup({ name: 'Hikers', memberUsernames: ['bob'] });
    expect(created.id).toBe(8);
    expect(store.get(8)?.name).toBe('Hikers');
    expect(requests[0]).toMatchObject({
      method: 'POST',
      url: '/api/conversations',
      body: { name: 'Hikers', memberUsernames: ['bob'] },
    });
  });

  it('shows a renamed person by the new name in every conversation they are in', () => {
    const store = useConversationsStore();
    const renamed = { ...bob, displayName: '陈博 Bob' };
    store.upsert(
      makeConversation({
        id: 1,
        kind: 'direct',
        members: [
          { ...summaryOf(alice), role: 'member' },
          { ...bob, role: 'member' },
        ],
        lastSeq: 1,
        lastMessage: makeMessage({ seq: 1, conversationId: 1, sender: bob }),
      }),
    );
    store.upsert(makeConversation({ id: 2, members: [{ ...summaryOf(alice), role: 'member' }] }));
    const untouched = store.get(2);

    store.applyUser(renamed);

    expect(store.get(1)?.members).toEqual([
      { ...summaryOf(alice), role: 'member' },
      { ...renamed, role: 'member' },
    ]);
    expect(store.get(1)?.lastMessage?.sender).toEqual(renamed);
    expect(store.get(2)).toBe(untouched);
  });
  it("keeps the latest notification choice when this tab's answer arrives after another's change", async () => {
    const store = useConversationsStore();
    store.upsert(makeConversation({ id: 1 }));
    let answer: () => void = () => undefined;
    stubFetch(
      () =>
        new Promise((resolve) => {
          answer = () =>
            resolve({
              status: 200,
              body: { conversationId: 1, notificationsMutedUntil: NOTIFICATIONS_MUTED_FOREVER, version: 1 },
            });
        }),
    );
    const muting = store.setNotifications(1, { muted: true });
    // Another tab turns them back on after our change was stored; its event overtakes our answer.
    store.applyNotificationSettings({ conversationId: 1, notificationsMutedUntil: null, version: 2 });
    answer();
    await muting;
    expect(store.get(1)?.notificationsMutedUntil).toBeNull();
    // And an event of our own change, late too, changes nothing.
    store.applyNotificationSettings({
      conversationId: 1,
      notificationsMutedUntil: NOTIFICATIONS_MUTED_FOREVER,
      version: 1,
    });
    expect(store.get(1)?.notificationsMutedUntil).toBeNull();
  });
});
