import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope } from 'vue';
import { usePeopleSearch } from '@/composables/usePeopleSearch';
import { bob, stubFetch } from '../fixtures';

describe('searching for people', () => {
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

  const start = (options = {}) => scope.run(() => usePeopleSearch({ debounceMs: 200, ...options }))!;
  const queries = (requests: { url: string }[]) =>
    requests.map((request) => new URL(request.url, 'http://parley.test').searchParams.get('q'));

  it('asks the server once typing pauses, for the last term typed only', async () => {
    const requests = stubFetch(() => ({ status: 200, body: { users: [bob] } }));
    const search = start();
    search.searchSoon('b');
    search.searchSoon('bo');
    search.searchSoon('bob');
    expect(search.searching.value).toBe(true);
    expect(requests).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    await vi.waitFor(() => expect(search.searching.value).toBe(false));
    expect(queries(requests)).toEqual(['bob']);
    expect(search.results.value).toEqual([bob]);
  });

  it('narrows the people shown at once as the term grows, the same objects, before the server answers', async () => {
    const ada = { id: 7, username: 'ada', displayName: 'Ada Lovelace', kind: 'person' as const };
    const requests = stubFetch((request) =>
      new URL(request.url, 'http://parley.test').searchParams.get('q')
        ? { status: 200, body: { users: [bob] } }
        : { status: 200, body: { users: [ada, bob] } },
    );
    const search = start();
    await search.search('');
    const [, shownBob] = search.results.value;
    search.searchSoon('BO');
    expect(search.results.value).toEqual([bob]);
    expect(search.results.value[0]).toBe(shownBob);
    search.searchSoon('bobby');
    expect(search.results.value).toEqual([]);
    search.searchSoon('');
    expect(search.results.value).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    await vi.waitFor(() => expect(search.searching.value).toBe(false));
    expect(queries(requests)).toEqual(['', '']);
    expect(search.results.value).toEqual([ada, bob]);
  });

  it('keeps the people shown when a later search finds the same ones, so a highlighted option stays', async () => {
    stubFetch(() => ({ status: 200, body: { users: [bob] } }));
    const search = start();
    await search.search('bo');
    const shown = search.results.value;
    await search.search('bob');
    expect(search.results.value).toBe(shown);
    stubFetch(() => ({ status: 200, body: { users: [{ ...bob, displayName: 'Bobby' }] } }));
    await search.search('bob');
    expect(search.results.value).not.toBe(shown);
    expect(search.results.value[0]!.displayName).toBe('Bobby');
  });

  it('sends the limit, and a search asked for now replaces one still waiting', async () => {
    const requests = stubFetch(() => ({ status: 200, body: { users: [] } }));
    const search = start({ limit: 30 });
    search.searchSoon('ad');
    await search.search('');
    await vi.advanceTimersByTimeAsync(500);
    expect(queries(requests)).toEqual(['']);
    expect(new URL(requests[0]!.url, 'http://parley.test').searchParams.get('limit')).toBe('30');
  });

  it('clearing forgets a search still waiting', async () => {
    const requests = stubFetch(() => ({ status: 200, body: { users: [bob] } }));
    const search = start();
    search.searchSoon('bob');
    search.clear();
    await vi.advanceTimersByTimeAsync(500);
    expect(requests).toEqual([]);
    expect(search.searching.value).toBe(false);
    expect(search.results.value).toEqual([]);
  });

  it('says the search failed when the server cannot answer', async () => {
    stubFetch(() => ({ status: 500, body: { error: { code: 'server/internal', message: 'boom' } } }));
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const search = start();
    await search.search('bob');
    expect(search.failed.value).toBe(true);
    expect(search.results.value).toEqual([]);
  });
});
