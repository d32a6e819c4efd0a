import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope } from 'vue';
import { useMessageSearch } from '@/composables/useMessageSearch';
import { useMessagesStore } from '@/stores/messages';
import { makeMessage, stubFetch } from '../fixtures';

describe('searching messages', () => {
  let scope = effectScope();
  beforeEach(() => {
    vi.useFakeTimers();
    setActivePinia(createPinia());
    scope = effectScope();
  });
  afterEach(() => {
    scope.stop();
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  const start = () => scope.run(() => useMessageSearch({ debounceMs: 200, retryEmptyMs: 1_000 }))!;
  const befores = (requests: { url: string }[]) =>
    requests.map((request) => new URL(request.url, 'http://parley.test').searchParams.get('before'));

  it('skips a page emptied by deletes since indexing, to the next one with something to show', async () => {
    const found = makeMessage({ seq: 3, id: 30, text: 'harbour' });
    const requests = stubFetch((request) =>
      new URL(request.url, 'http://parley.test').searchParams.get('before')
        ? { status: 200, body: { messages: [found], nextBefore: null } }
        : { status: 200, body: { messages: [], nextBefore: 41 } },
    );
    const search = start();
    await search.search('harbour');
    expect(befores(requests)).toEqual([null, '41']);
    expect(search.results.value.map((message) => message.id)).toEqual([30]);
    expect(search.nextBefore.value).toBeNull();
  });

  it('asks once more, a moment later, when nothing was found: the index may not have the newest yet', async () => {
    const fresh = makeMessage({ seq: 9, id: 90, text: 'quinces' });
    let indexed = false;
    const requests = stubFetch(() => ({
      status: 200,
      body: { messages: indexed ? [fresh] : [], nextBefore: null },
    }));
    const search = start();
    await search.search('quinces');
    expect(search.results.value).toEqual([]);
    indexed = true;
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(() => expect(search.results.value.map((message) => message.id)).toEqual([90]));
    // Once only: a second empty answer is left as it is.
    expect(requests).toHaveLength(2);
  });

  it('follows a result edited while shown, and drops one deleted, as the client takes the copies in', async () => {
    const edited = makeMessage({ seq: 4, id: 40, conversationId: 2, text: 'harbour at noon' });
    const deleted = makeMessage({ seq: 5, id: 50, conversationId: 2, text: 'harbour at dawn' });
    const other = makeMessage({ seq: 6, id: 60, conversationId: 3, text: 'the harbour bridge' });
    stubFetch(() => ({ status: 200, body: { messages: [other, deleted, edited], nextBefore: null } }));
    const search = start();
    await search.search('harbour');
    // What client.ts does with every message:updated the client merges, for any conversation.
    const messages = useMessagesStore();
    messages.show({ ...edited, text: 'harbour at one', editedAt: '2026-01-03T00:00:00.000Z', changeSeq: 9 });
    messages.show({ ...deleted, text: '', deletedAt: '2026-01-03T00:00:00.000Z', changeSeq: 10 });
    expect(search.results.value.map((message) => [message.id, message.text])).toEqual([
      [60, 'the harbour bridge'],
      [40, 'harbour at one'],
    ]);
    // An older copy arriving late (a catch-up page) does not undo the edit.
    messages.show(edited);
    expect(search.results.value.find((message) => message.id === 40)?.text).toBe('harbour at one');
  });

  it('sends nothing once its scope ends, not even a search still waiting for typing to pause', async () => {
    const requests = stubFetch(() => ({ status: 200, body: { messages: [], nextBefore: null } }));
    const search = start();
    search.searchSoon('harbour');
    scope.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(requests).toEqual([]);
  });

  it('stops following once its scope ends', async () => {
    const found = makeMessage({ seq: 4, id: 40, text: 'harbour' });
    stubFetch(() => ({ status: 200, body: { messages: [found], nextBefore: null } }));
    const search = start();
    await search.search('harbour');
    scope.stop();
    useMessagesStore().show({ ...found, deletedAt: '2026-01-03T00:00:00.000Z', changeSeq: 9 });
    expect(search.results.value.map((message) => message.id)).toEqual([40]);
  });
});
