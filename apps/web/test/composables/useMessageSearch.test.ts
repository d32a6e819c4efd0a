import type { Message } from '@parley/shared';
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

  const start = () =>
    scope.run(() => useMessageSearch({ debounceMs: 200, retryEmptyMs: 1_000, refreshMs: 1_000 }))!;
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

  const shown = (search: ReturnType<typeof start>) =>
    search.results.value.map((message) => [message.id, message.text]);
  const edited = (message: Message, text: string, changeSeq: number): Message => ({
    ...message,
    text,
    editedAt: '2026-01-03T00:00:00.000Z',
    changeSeq,
  });

  it('drops a result edited so that it no longer matches, once the server, asked again, leaves it out', async () => {
    const noon = makeMessage({ seq: 4, id: 40, conversationId: 2, text: 'harbour at noon' });
    const other = makeMessage({ seq: 6, id: 60, conversationId: 3, text: 'the harbour bridge' });
    let indexed = [other, noon];
    const requests = stubFetch(() => ({ status: 200, body: { messages: indexed, nextBefore: null } }));
    const search = start();
    await search.search('harbour');
    const pier = edited(noon, 'the pier at noon', 9);
    indexed = [other];
    useMessagesStore().show(pier);
    // At once its new text, until the index has taken the edit in and the server says.
    expect(shown(search)).toEqual([
      [60, 'the harbour bridge'],
      [40, 'the pier at noon'],
    ]);
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(() => expect(shown(search)).toEqual([[60, 'the harbour bridge']]));
    expect(requests).toHaveLength(2);
    // Asked again quietly: the results stay on screen meanwhile, with no "Searching…".
    expect(search.searching.value).toBe(false);
    expect(search.searched.value).toBe('harbour');
  });

  it('asks again as far down as the pages shown, and keeps where the next page starts', async () => {
    const page = (ids: number[]) => ids.map((id) => makeMessage({ seq: id, id, text: `harbour ${id}` }));
    const requests = stubFetch((request) => {
      const before = new URL(request.url, 'http://parley.test').searchParams.get('before');
      if (before === null) return { status: 200, body: { messages: page([90, 80]), nextBefore: 80 } };
      if (before === '80') return { status: 200, body: { messages: page([70, 60]), nextBefore: 60 } };
      return { status: 200, body: { messages: page([50]), nextBefore: null } };
    });
    const search = start();
    await search.search('harbour');
    await search.loadMore();
    expect(search.results.value.map((message) => message.id)).toEqual([90, 80, 70, 60]);
    useMessagesStore().show(edited(search.results.value[0]!, 'harbour 90, edited', 120));
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(() => expect(befores(requests)).toEqual([null, '80', null, '80']));
    expect(search.results.value.map((message) => message.id)).toEqual([90, 80, 70, 60]);
    expect(search.nextBefore.value).toBe(60);
  });

  it('does not ask again for a reaction, which changes no text', async () => {
    const noon = makeMessage({ seq: 4, id: 40, text: 'harbour at noon' });
    const requests = stubFetch(() => ({ status: 200, body: { messages: [noon], nextBefore: null } }));
    const search = start();
    await search.search('harbour');
    useMessagesStore().show({ ...noon, changeSeq: 9, reactions: [{ emoji: '👍', userIds: [1] }] });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(requests).toHaveLength(1);
    expect(search.results.value[0]?.reactions).toHaveLength(1);
  });

  it('shows an edit, and leaves out a delete, heard while the answer was on its way', async () => {
    const noon = makeMessage({ seq: 4, id: 40, text: 'harbour at noon' });
    const dawn = makeMessage({ seq: 3, id: 30, text: 'harbour at dawn' });
    const other = makeMessage({ seq: 2, id: 20, text: 'harbour lights' });
    let answer: () => void = () => {};
    const requests = stubFetch(async () => {
      // The server reads the messages before the changes below; its answer lands after them.
      const body = { messages: [noon, dawn, other], nextBefore: null };
      await new Promise<void>((resolve) => (answer = resolve));
      return { status: 200, body };
    });
    const search = start();
    const searching = search.search('harbour');
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    const messages = useMessagesStore();
    messages.show(edited(noon, 'the pier at noon', 9));
    messages.show({ ...dawn, text: '', deletedAt: '2026-01-03T00:00:00.000Z', changeSeq: 10 });
    answer();
    await searching;
    expect(shown(search)).toEqual([
      [40, 'the pier at noon'],
      [20, 'harbour lights'],
    ]);
    // And the edited one is put to the server again, which decides whether it still matches.
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(() => expect(requests).toHaveLength(2));
  });

  it('takes the next page of a new query once a search replaced a next page on its way', async () => {
    const harbour = makeMessage({ seq: 4, id: 40, text: 'harbour' });
    const ferry = makeMessage({ seq: 8, id: 80, text: 'ferry' });
    const olderFerry = makeMessage({ seq: 2, id: 20, text: 'ferry at dawn' });
    let releaseOlder: () => void = () => {};
    const requests = stubFetch(async (request) => {
      const params = new URL(request.url, 'http://parley.test').searchParams;
      if (params.get('q') === 'harbour' && params.get('before') === null) {
        return { status: 200, body: { messages: [harbour], nextBefore: 41 } };
      }
      if (params.get('q') === 'harbour') {
        // The next page of the first query: still on its way when the second search starts.
        await new Promise<void>((resolve) => (releaseOlder = resolve));
        return {
          status: 200,
          body: { messages: [makeMessage({ seq: 1, id: 10, text: 'harbour' })], nextBefore: null },
        };
      }
      if (params.get('before') === null) return { status: 200, body: { messages: [ferry], nextBefore: 77 } };
      return { status: 200, body: { messages: [olderFerry], nextBefore: null } };
    });
    const search = start();
    await search.search('harbour');
    void search.loadMore();
    await vi.waitFor(() => expect(requests).toHaveLength(2));
    await search.search('ferry');
    expect(search.loadingMore.value).toBe(false);
    await search.loadMore();
    expect(befores(requests)).toEqual([null, '41', null, '77']);
    // The replaced page's answer, landing late, is not added under the new query.
    releaseOlder();
    await vi.advanceTimersByTimeAsync(0);
    expect(search.results.value.map((message) => message.id)).toEqual([80, 20]);
  });

  it('asks for no next page while a new query is on its way', async () => {
    const harbour = makeMessage({ seq: 4, id: 40, text: 'harbour' });
    const ferry = makeMessage({ seq: 8, id: 80, text: 'ferry' });
    let answerFerry: () => void = () => {};
    const requests = stubFetch(async (request) => {
      const params = new URL(request.url, 'http://parley.test').searchParams;
      if (params.get('q') === 'harbour')
        return { status: 200, body: { messages: [harbour], nextBefore: 41 } };
      await new Promise<void>((resolve) => (answerFerry = resolve));
      return { status: 200, body: { messages: [ferry], nextBefore: null } };
    });
    const search = start();
    await search.search('harbour');
    const searching = search.search('ferry');
    await vi.waitFor(() => expect(requests).toHaveLength(2));
    // "Show older" of the harbour results, pressed while the ferry search is on its way.
    await search.loadMore();
    answerFerry();
    await searching;
    expect(requests).toHaveLength(2);
    expect(search.searching.value).toBe(false);
    expect(search.results.value.map((message) => message.id)).toEqual([80]);
  });

  it('sends nothing once its scope ends, not even a search still waiting for typing to pause', async () => {
    const requests = stubFetch(() => ({ status: 200, body: { messages: [], nextBefore: null } }));
    const search = start();
    search.searchSoon('harbour');
    scope.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(requests).toEqual([]);
  });

  it('does not ask again once its scope ends', async () => {
    const found = makeMessage({ seq: 4, id: 40, text: 'harbour' });
    const requests = stubFetch(() => ({ status: 200, body: { messages: [found], nextBefore: null } }));
    const search = start();
    await search.search('harbour');
    useMessagesStore().show(edited(found, 'the pier', 9));
    scope.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(requests).toHaveLength(1);
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
