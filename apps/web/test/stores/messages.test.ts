import type { Message } from '@parley/shared';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useConversationsStore } from '@/stores/conversations';
import { useMessagesStore } from '@/stores/messages';
import { alice, bob, historyServer, makeConversation, makeMessage, summaryOf } from '../fixtures';

const CONVERSATION = 1;

function seqs(store: ReturnType<typeof useMessagesStore>, conversationId = CONVERSATION): (number | null)[] {
  return store.timeline(conversationId).map((message) => message.seq);
}

function outgoing(clientMsgId: string, text = 'hi') {
  return {
    conversationId: CONVERSATION,
    clientMsgId,
    sender: summaryOf(alice),
    text,
    replyTo: null,
    createdAt: '2026-01-02T12:00:00.000Z',
    state: 'sending' as const,
    errorCode: null,
  };
}

describe('messages store', () => {
  beforeEach(() => setActivePinia(createPinia()));
  afterEach(() => vi.unstubAllGlobals());

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

  it('ignores a message:new it already holds, by id or by clientMsgId', async () => {
    historyServer(2);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);
    const held = store.findBySeq(CONVERSATION, 2)!;

    expect(store.receive({ ...held })).toBe(false);
    expect(store.receive(makeMessage({ seq: 3, id: 3 }))).toBe(true);
    expect(store.receive(makeMessage({ seq: 3, id: 3, text: 'a second broadcast of seq 3' }))).toBe(false);

    expect(seqs(store)).toEqual([1, 2, 3]);
    expect(store.findBySeq(CONVERSATION, 3)?.text).toBe('message 3');
  });

  it('replaces a message with a newer version of it, never an older or equal one', async () => {
    historyServer(1);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);
    const original = store.findBySeq(CONVERSATION, 1)!;

    store.update({ ...original, text: 'edited', editedAt: '2026-01-02T11:00:00.000Z', changeSeq: 3 });
    expect(store.findBySeq(CONVERSATION, 1)).toMatchObject({ text: 'edited', changeSeq: 3 });

    store.update({ ...original, text: 'stale', changeSeq: 2 });
    store.update({ ...original, text: 'same change again', changeSeq: 3 });
    expect(store.findBySeq(CONVERSATION, 1)?.text).toBe('edited');
  });

  it('shows our outgoing messages after the stored ones, and swaps each for its stored copy in place', async () => {
    historyServer(1);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);
    store.addOutgoing(outgoing('00000000-0000-4000-8000-00000000000a'));
    const keyBefore = store.timeline(CONVERSATION)[1]?.key;
    expect(store.timeline(CONVERSATION).map((message) => [message.seq, message.state])).toEqual([
      [1, 'sent'],
      [null, 'sending'],
    ]);

    store.receive(
      makeMessage({
        seq: 2,
        clientMsgId: '00000000-0000-4000-8000-00000000000a',
        sender: summaryOf(alice),
        text: 'hi',
      }),
    );

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
    store.addOutgoing(outgoing('00000000-0000-4000-8000-00000000000b'));
    store.receive(
      makeMessage({ seq: 1, clientMsgId: '00000000-0000-4000-8000-00000000000b', sender: summaryOf(bob) }),
    );
    expect(store.timeline(CONVERSATION).map((message) => message.state)).toEqual(['sent', 'sending']);
  });

  it('fetches what it missed with `after` when a pushed message leaves a seq gap', async () => {
    const server = historyServer(2);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);

    server.total = 5;
    store.receive(server.message(5));

    await vi.waitFor(() => expect(seqs(store)).toEqual([1, 2, 3, 4, 5]));
    expect(server.requests.at(-1)?.url).toBe('/api/conversations/1/messages?after=2&limit=100');
  });

  it('keeps messages that arrive while the first page loads, and adds them after it', async () => {
    const server = historyServer(3, { delayMs: 20 });
    const store = useMessagesStore();
    const loading = store.loadInitial(CONVERSATION);

    server.total = 4;
    store.receive(server.message(4));
    store.update({ ...server.message(2), text: 'edited while loading', changeSeq: 10 });
    await loading;

    expect(seqs(store)).toEqual([1, 2, 3, 4]);
    expect(store.findBySeq(CONVERSATION, 2)?.text).toBe('edited while loading');
  });

  it('loads the history around an old message it does not hold, and back to the newest from there', async () => {
    const server = historyServer(300);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);
    expect(store.findBySeq(CONVERSATION, 40)).toBeUndefined();

    await store.jumpTo(CONVERSATION, 40);

    expect(store.findBySeq(CONVERSATION, 40)).toBeDefined();
    expect(server.requests.at(-1)?.url).toBe('/api/conversations/1/messages?after=19&limit=50');
    expect(store.thread(CONVERSATION)).toMatchObject({ hasOlder: true, hasNewer: true });

    // Live messages do not join a window of old history…
    server.total = 301;
    store.receive(server.message(301));
    expect(store.findBySeq(CONVERSATION, 301)).toBeUndefined();

    // …but paging down to the end re-attaches it, with what arrived meanwhile.
    while (store.thread(CONVERSATION).hasNewer) await store.loadNewer(CONVERSATION);
    expect(seqs(store).at(-1)).toBe(301);
    expect(seqs(store)).toEqual(Array.from({ length: 301 - 19 }, (_, index) => index + 20));
  });

  it('refreshes the quote of replies when the quoted message is edited or deleted', async () => {
    historyServer(0);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);
    const quoted = makeMessage({ seq: 1, id: 1, text: 'original' });
    store.receive(quoted);
    store.receive(
      makeMessage({
        seq: 2,
        id: 2,
        replyTo: { id: 1, seq: 1, sender: quoted.sender, excerpt: 'original', deleted: false },
      }),
    );

    store.update({ ...quoted, text: '', deletedAt: '2026-01-02T12:00:00.000Z', changeSeq: 5 });

    expect(store.findBySeq(CONVERSATION, 2)?.replyTo).toMatchObject({ excerpt: '', deleted: true });
  });

  it('does not keep pushed messages of a conversation it has not loaded', () => {
    const store = useMessagesStore();
    store.receive(makeMessage({ seq: 1, conversationId: 9 }));
    expect(store.timeline(9)).toEqual([]);
  });

  it('starts catch-up from the conversation’s changeSeq read before its first page', async () => {
    useConversationsStore().upsert(makeConversation({ id: CONVERSATION, changeSeq: 42, lastSeq: 2 }));
    historyServer(2);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);
    expect(store.watermark(CONVERSATION)).toBe(42);
  });

  it('does not move the catch-up position past a change it missed', async () => {
    useConversationsStore().upsert(makeConversation({ id: CONVERSATION, changeSeq: 2, lastSeq: 2 }));
    historyServer(2);
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);

    const edited = (seq: number, changeSeq: number): Message => ({
      ...makeMessage({ seq, id: seq }),
      text: `edit ${changeSeq}`,
      changeSeq,
    });
    store.update(edited(1, 3));
    store.update(edited(2, 5)); // change 4 never arrived
    expect(store.watermark(CONVERSATION)).toBe(3);
    store.update(edited(1, 4));
    expect(store.watermark(CONVERSATION)).toBe(5);
  });
});
