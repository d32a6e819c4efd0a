import type { ParleyClient } from '@parley/client';
import type { Message } from '@parley/shared';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useConversationsStore } from '@/stores/conversations';
import { useMessagesStore } from '@/stores/messages';
import { usePeopleStore } from '@/stores/people';
import { useSessionStore } from '@/stores/session';
import {
  alice,
  attachIdleClient,
  bob,
  historyServer,
  makeConversation,
  makeMessage,
  summaryOf,
} from '../fixtures';

const CONVERSATION = 1;

function seqs(store: ReturnType<typeof useMessagesStore>, conversationId = CONVERSATION): (number | null)[] {
  return store.timeline(conversationId).map((message) => message.seq);
}

let client: ParleyClient;

/** A copy of a message reaching the client (live, caught up or paged in: the window treats them alike). */
function receive(message: Message): void {
  client.hold([message]);
}

describe('messages store', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    useSessionStore().user = alice;
    client = attachIdleClient();
  });
  afterEach(() => {
    client.stop();
    vi.unstubAllGlobals();
  });

  it('loads the newest page, then prepends older history before the oldest seq', async () => {
    const server = historyServer(6, { pageSize: 3 });
    const store = useMessagesStore();

    await store.loadInitial(CONVERSATION);
    expect(seqs(store)).toEqual([4, 5, 6]);
    expect(store.thread(CONVERSATION).hasOlder).toBe(true);

    await store.loadOlder(CONVERSATION);
    expect(seqs(store)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(store.thread(CONVERSATION).hasOlder).toBe(false);
    expect(server.requests.map((request) => request.url)).toEqual([
      '/api/conversations/1/messages?limit=50',
      '/api/conversations/1/messages?before=4&limit=50',
    ]);

    await store.loadOlder(CONVERSATION);
    expect(server.requests).toHaveLength(2);
  });

  it('ignores a copy of a message it already holds', async () => {
    historyServer(2);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);
    const held = store.findBySeq(CONVERSATION, 2)!;

    receive({ ...held });
    receive(makeMessage({ seq: 3, id: 3 }));
    receive(makeMessage({ seq: 3, id: 3, text: 'a second broadcast of seq 3' }));

    expect(seqs(store)).toEqual([1, 2, 3]);
    expect(store.findBySeq(CONVERSATION, 3)?.text).toBe('message 3');
  });

  it('replaces a message with a newer version of it, never an older or equal one', async () => {
    historyServer(1);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);
    const original = store.findBySeq(CONVERSATION, 1)!;

    receive({ ...original, text: 'edited', editedAt: '2026-01-02T11:00:00.000Z', changeSeq: 3 });
    expect(store.findBySeq(CONVERSATION, 1)).toMatchObject({ text: 'edited', changeSeq: 3 });

    receive({ ...original, text: 'stale', changeSeq: 2 });
    receive({ ...original, text: 'same change again', changeSeq: 3 });
    expect(store.findBySeq(CONVERSATION, 1)?.text).toBe('edited');
  });

  it('shows our outgoing messages after the stored ones, and swaps each for its stored copy in place', async () => {
    historyServer(1);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);
    const { clientMsgId } = client.send(CONVERSATION, 'hi');
    const keyBefore = store.timeline(CONVERSATION)[1]?.key;
    expect(store.timeline(CONVERSATION).map((message) => [message.seq, message.state])).toEqual([
      [1, 'sent'],
      [null, 'sending'],
    ]);

    const stored = makeMessage({ seq: 2, clientMsgId, sender: summaryOf(alice), text: 'hi' });
    // The server has it (its message:new): the outbox entry is sent, and the copy is held.
    client.outbox.settle(stored);
    receive(stored);

    const timeline = store.timeline(CONVERSATION);
    expect(timeline.map((message) => [message.seq, message.state])).toEqual([
      [1, 'sent'],
      [2, 'sent'],
    ]);
    expect(timeline[1]?.key).toBe(keyBefore);
  });

  it('does not let someone else’s message with the same clientMsgId replace our outgoing one', async () => {
    historyServer(0);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);
    const { clientMsgId } = client.send(CONVERSATION, 'hi');
    receive(makeMessage({ seq: 1, clientMsgId, sender: summaryOf(bob) }));
    expect(store.timeline(CONVERSATION).map((message) => message.state)).toEqual(['sent', 'sending']);
  });

  it('fetches what it missed with `after` when a pushed message leaves a seq gap', async () => {
    const server = historyServer(2);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);

    server.total = 5;
    receive(server.message(5));

    await vi.waitFor(() => expect(seqs(store)).toEqual([1, 2, 3, 4, 5]));
    expect(server.requests.at(-1)?.url).toBe('/api/conversations/1/messages?after=2&limit=100');
  });

  it('keeps messages that arrive while the first page loads, and adds them after it', async () => {
    const server = historyServer(3, { delayMs: 20 });
    const store = useMessagesStore();
    const loading = store.loadInitial(CONVERSATION);

    server.total = 4;
    receive(server.message(4));
    receive({ ...server.message(2), text: 'edited while loading', changeSeq: 10 });
    await loading;

    expect(seqs(store)).toEqual([1, 2, 3, 4]);
    expect(store.findBySeq(CONVERSATION, 2)?.text).toBe('edited while loading');
  });

  it('loads the history around an old message it does not hold, and back to the newest from there', async () => {
    const server = historyServer(300);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);
    expect(store.findBySeq(CONVERSATION, 80)).toBeUndefined();

    await store.jumpTo(CONVERSATION, 80);

    expect(store.findBySeq(CONVERSATION, 80)).toBeDefined();
    // 45 before it and 54 after: the list lands far from both ends and fetches nothing at once.
    expect(server.requests.at(-1)?.url).toBe('/api/conversations/1/messages?after=34&limit=100');
    expect(store.thread(CONVERSATION)).toMatchObject({ hasOlder: true, hasNewer: true });

    // Live messages do not join a window of old history…
    server.total = 301;
    receive(server.message(301));
    expect(store.findBySeq(CONVERSATION, 301)).toBeUndefined();

    // …but paging down to the end re-attaches it, with what arrived meanwhile.
    while (store.thread(CONVERSATION).hasNewer) await store.loadNewer(CONVERSATION);
    expect(seqs(store).at(-1)).toBe(301);
    expect(seqs(store)).toEqual(Array.from({ length: 301 - 34 }, (_, index) => index + 35));
  });

  it('refreshes the quote of replies when the quoted message is edited or deleted', async () => {
    historyServer(0);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);
    const quoted = makeMessage({ seq: 1, id: 1, text: 'original' });
    receive(quoted);
    receive(
      makeMessage({
        seq: 2,
        id: 2,
        replyTo: {
          id: 1,
          seq: 1,
          sender: quoted.sender,
          excerpt: 'original',
          deleted: false,
          attachmentKind: null,
        },
      }),
    );

    receive({ ...quoted, text: '', deletedAt: '2026-01-02T12:00:00.000Z', changeSeq: 5 });

    expect(store.findBySeq(CONVERSATION, 2)?.replyTo).toMatchObject({ excerpt: '', deleted: true });
  });

  it('shows senders and quoted senders by the name they have now, once heard renamed', async () => {
    historyServer(0);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);
    const quoted = makeMessage({ seq: 1, id: 1, sender: bob, text: 'from Bob' });
    receive(quoted);
    receive(
      makeMessage({
        seq: 2,
        id: 2,
        sender: summaryOf(alice),
        replyTo: { id: 1, seq: 1, sender: bob, excerpt: 'from Bob', deleted: false, attachmentKind: null },
      }),
    );
    const before = store.timeline(CONVERSATION);
    expect(before[0]?.sender.displayName).toBe('Bob Chen');

    const renamed = { ...bob, displayName: '陈博 Bob' };
    usePeopleStore().apply(renamed);

    const after = store.timeline(CONVERSATION);
    expect(after[0]?.sender).toEqual(renamed);
    expect(after[1]?.replyTo?.sender).toEqual(renamed);
    // Alice's own message is untouched.
    expect(after[1]?.sender).toBe(before[1]?.sender);
  });

  it('does not keep pushed messages of a conversation it has not loaded', () => {
    const store = useMessagesStore();
    receive(makeMessage({ seq: 1, conversationId: 9 }));
    expect(store.timeline(9)).toEqual([]);
  });

  it('follows the conversation from the changeSeq read before its first page', async () => {
    useConversationsStore().upsert(makeConversation({ id: CONVERSATION, changeSeq: 42, lastSeq: 2 }));
    historyServer(2);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);
    expect(client.sync.tracked()).toEqual([CONVERSATION]);
    expect(client.sync.mark(CONVERSATION)).toBe(42);
  });

  it('shows a reaction at once and takes it back when refused, unless a newer copy came meanwhile', async () => {
    historyServer(1);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);
    const original = store.findBySeq(CONVERSATION, 1)!;
    const reacted = (message: Message) => ({ ...message, reactions: [{ emoji: '👍', userIds: [alice.id] }] });

    store.patchLocally(CONVERSATION, original.id, reacted);
    expect(store.findBySeq(CONVERSATION, 1)?.reactions).toHaveLength(1);
    store.revertLocally(original);
    expect(store.findBySeq(CONVERSATION, 1)?.reactions).toEqual([]);

    store.patchLocally(CONVERSATION, original.id, reacted);
    receive({ ...original, text: 'edited meanwhile', changeSeq: original.changeSeq + 5 });
    expect(store.findBySeq(CONVERSATION, 1)).toMatchObject({ text: 'edited meanwhile', reactions: [] });
  });
});
