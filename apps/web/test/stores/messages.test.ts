import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useMessagesStore } from '@/stores/messages';
import { alice, makeMessage, stubFetch, summaryOf } from '../fixtures';

const CONVERSATION = 1;

function seqs(store: ReturnType<typeof useMessagesStore>): (number | null)[] {
  return store.timeline(CONVERSATION).map((message) => message.seq);
}

describe('messages store', () => {
  beforeEach(() => setActivePinia(createPinia()));
  afterEach(() => vi.unstubAllGlobals());

  it('keeps messages in seq order whatever order they arrive in', () => {
    const store = useMessagesStore();
    for (const seq of [3, 1, 5, 2, 4]) store.insert(makeMessage({ seq }));
    expect(seqs(store)).toEqual([1, 2, 3, 4, 5]);
  });

  it('ignores a message it already holds, by id or by seq', () => {
    const store = useMessagesStore();
    const first = makeMessage({ seq: 1 });
    expect(store.insert(first)).toBe(true);
    expect(store.insert({ ...first })).toBe(false);
    expect(store.insert(makeMessage({ seq: 1, text: 'another copy of seq 1' }))).toBe(false);
    expect(store.timeline(CONVERSATION)).toHaveLength(1);
    expect(store.timeline(CONVERSATION)[0]?.text).toBe('message 1');
  });

  it('shows an outgoing message as sending, after the stored ones', () => {
    const store = useMessagesStore();
    store.insert(makeMessage({ seq: 1 }));
    const outgoing = store.addOutgoing(CONVERSATION, 'hi', alice);

    expect(outgoing.clientMsgId).toMatch(/^[0-9a-f-]{36}$/);
    const timeline = store.timeline(CONVERSATION);
    expect(timeline.map((message) => [message.seq, message.state])).toEqual([
      [1, 'sent'],
      [null, 'sending'],
    ]);
    expect(timeline[1]?.sender).toEqual(summaryOf(alice));
  });

  it('replaces the optimistic copy with the stored message that has the same clientMsgId', () => {
    const store = useMessagesStore();
    const outgoing = store.addOutgoing(CONVERSATION, 'hi', alice);
    const keyBefore = store.timeline(CONVERSATION)[0]?.key;

    store.insert(
      makeMessage({ seq: 7, clientMsgId: outgoing.clientMsgId, sender: summaryOf(alice), text: 'hi' }),
    );

    const timeline = store.timeline(CONVERSATION);
    expect(timeline).toHaveLength(1);
    expect(timeline[0]).toMatchObject({ seq: 7, state: 'sent', text: 'hi', key: keyBefore });
  });

  it('does not let an echo of someone else with the same clientMsgId replace our outgoing message', () => {
    const store = useMessagesStore();
    const outgoing = store.addOutgoing(CONVERSATION, 'hi', alice);
    store.insert(makeMessage({ seq: 1, clientMsgId: outgoing.clientMsgId }));
    expect(store.timeline(CONVERSATION).map((message) => message.state)).toEqual(['sent', 'sending']);
  });

  it('marks an outgoing message failed and back to sending for a retry', () => {
    const store = useMessagesStore();
    const outgoing = store.addOutgoing(CONVERSATION, 'hi', alice);
    store.setOutgoingState(CONVERSATION, outgoing.clientMsgId, 'failed');
    expect(store.timeline(CONVERSATION)[0]?.state).toBe('failed');
    store.setOutgoingState(CONVERSATION, outgoing.clientMsgId, 'sending');
    expect(store.timeline(CONVERSATION)[0]?.state).toBe('sending');
  });

  it('loads the newest page, then prepends older history before the oldest seq', async () => {
    const requests = stubFetch(({ url }) => {
      const before = new URL(url, 'http://test').searchParams.get('before');
      return before === null
        ? {
            status: 200,
            body: { messages: [4, 5, 6].map((seq) => makeMessage({ seq, id: seq })), hasMore: true },
          }
        : {
            status: 200,
            body: { messages: [1, 2, 3].map((seq) => makeMessage({ seq, id: seq })), hasMore: false },
          };
    });
    const store = useMessagesStore();

    await store.loadInitial(CONVERSATION);
    expect(seqs(store)).toEqual([4, 5, 6]);
    expect(store.thread(CONVERSATION).hasMore).toBe(true);

    await store.loadOlder(CONVERSATION);
    expect(seqs(store)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(store.thread(CONVERSATION).hasMore).toBe(false);
    expect(requests.map((request) => request.url)).toEqual([
      '/api/conversations/1/messages?limit=50',
      '/api/conversations/1/messages?before=4&limit=50',
    ]);

    await store.loadOlder(CONVERSATION);
    expect(requests).toHaveLength(2);
  });

  it('appends a pushed message that follows on, and refetches when a seq gap shows one was missed', async () => {
    let newest = [1, 2];
    const requests = stubFetch(() => ({
      status: 200,
      body: { messages: newest.map((seq) => makeMessage({ seq, id: seq })), hasMore: false },
    }));
    const store = useMessagesStore();
    await store.loadInitial(CONVERSATION);

    store.receive(makeMessage({ seq: 3, id: 3 }));
    expect(seqs(store)).toEqual([1, 2, 3]);
    expect(requests).toHaveLength(1);

    newest = [3, 4, 5];
    store.receive(makeMessage({ seq: 5, id: 5 }));
    await vi.waitFor(() => expect(seqs(store)).toEqual([1, 2, 3, 4, 5]));
    expect(requests).toHaveLength(2);
  });

  it('does not keep pushed messages of a conversation it has not loaded', () => {
    const store = useMessagesStore();
    store.receive(makeMessage({ seq: 1, conversationId: 9 }));
    expect(store.timeline(9)).toEqual([]);
  });

  it('replaces a stored message with a newer version of it, never an older one', () => {
    const store = useMessagesStore();
    const original = makeMessage({ seq: 1, changeSeq: 1 });
    store.insert(original);

    store.update({ ...original, text: 'edited', editedAt: '2026-01-02T11:00:00.000Z', changeSeq: 3 });
    expect(store.timeline(CONVERSATION)[0]).toMatchObject({
      text: 'edited',
      editedAt: '2026-01-02T11:00:00.000Z',
    });

    store.update({ ...original, text: 'stale', changeSeq: 2 });
    expect(store.timeline(CONVERSATION)[0]?.text).toBe('edited');
  });
});
