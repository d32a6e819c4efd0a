import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope } from 'vue';
import { useMessageSearch } from '@/composables/useMessageSearch';
import { makeMessage, stubFetch } from '../fixtures';

describe('searching messages', () => {
  let scope = effectScope();
  beforeEach(() => {
    vi.useFakeTimers();
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
});
