import { SearchResults } from '@parley/client';
import type { Message, MessageSearchResponse } from '@parley/shared';
import { tryOnScopeDispose, useDebounceFn } from '@vueuse/core';
import { ref, shallowRef } from 'vue';
import { searchMessages } from '@/api/search';
import { useMessagesStore } from '@/stores/messages';

export interface MessageSearchOptions {
  /** How long typing must pause before `searchSoon` asks the server, in milliseconds. */
  debounceMs?: number;
  /**
   * Milliseconds after a search that found nothing to ask once more: a message sent a moment ago
   * is found once the index has taken it in (SEARCH_INDEX_INTERVAL_MS, a second by default).
   */
  retryEmptyMs?: number;
  /**
   * Milliseconds after a listed result's text changed to ask for the listed results again, so that
   * the server's matcher says whether it still matches: long enough for the index to take the change
   * in (SEARCH_INDEX_INTERVAL_MS, a second by default), or the server still finds it by its old words.
   * Changes meanwhile wait with it, up to three times as long (a companion's reply streaming in).
   */
  refreshMs?: number;
}

interface SearchQuery {
  q: string;
  conversationId?: number;
  before?: number;
}

/** Pages an answer may skip while they are empty (every match on them deleted since indexing). */
const EMPTY_PAGES_SKIPPED = 5;

/**
 * The first page with something to show from `query` on: the server leaves out matches deleted
 * since they were indexed, so a page can come back empty with more after it ("No messages contain"
 * beside "Show older matches").
 */
async function firstShown(query: SearchQuery, signal: AbortSignal): Promise<MessageSearchResponse> {
  let page = await searchMessages(query, signal);
  for (let skipped = 0; page.messages.length === 0 && page.nextBefore !== null; skipped += 1) {
    if (skipped === EMPTY_PAGES_SKIPPED) break;
    page = await searchMessages({ ...query, before: page.nextBefore }, signal);
  }
  return page;
}

/** The results from the first page again, page after page, down to `oldestId` (the last one listed). */
async function throughOldest(
  query: SearchQuery,
  oldestId: number | undefined,
  signal: AbortSignal,
): Promise<MessageSearchResponse> {
  let page = await searchMessages(query, signal);
  const messages = [...page.messages];
  while (oldestId !== undefined && page.nextBefore !== null && page.nextBefore > oldestId) {
    page = await searchMessages({ ...query, before: page.nextBefore }, signal);
    messages.push(...page.messages);
  }
  return { messages, nextBefore: page.nextBefore };
}

/**
 * Message search (`GET /api/search/messages`) for the search dialog: the latest query's results,
 * newest first, and more of them on request. Only the latest search counts: an older one still in
 * flight is aborted and its answer dropped; so is a page asked for before the query changed.
 * Results follow the messages as they change while shown, and an answer takes in the changes heard
 * while it was on its way (SearchResults, @parley/client): edited, they show the new text, and the
 * listed results are asked for again, in place, to drop one that no longer matches; deleted, they
 * leave the results.
 */
export function useMessageSearch({
  debounceMs = 300,
  retryEmptyMs = 1_500,
  refreshMs = 1_500,
}: MessageSearchOptions = {}) {
  const listed = new SearchResults();
  const results = shallowRef<readonly Message[]>([]);
  const showListed = () => (results.value = listed.messages);
  /** The query the results are for ('' before any search). */
  const searched = ref('');
  const nextBefore = ref<number | null>(null);
  const searching = ref(false);
  const loadingMore = ref(false);
  const failed = ref(false);
  let controller: AbortController | null = null;
  /** Counts searches asked for: a debounced one runs only if nothing was asked after it. */
  let asked = 0;
  let scope: { q: string; conversationId?: number } | null = null;
  let disposed = false;

  /**
   * Starts a request, aborting the one on its way (a search, a next page or an asking again): one at
   * a time. The aborted one's flag is cleared here, since its own `finally` leaves the flags to the
   * request that replaced it.
   */
  function begin(): AbortController {
    controller?.abort();
    const current = new AbortController();
    controller = current;
    failed.value = false;
    searching.value = false;
    loadingMore.value = false;
    return current;
  }

  let retry: ReturnType<typeof setTimeout> | null = null;

  /** Searches for `q` now, in one conversation or all; an empty `q` clears the results. */
  async function search(q: string, conversationId?: number, again = false): Promise<void> {
    asked += 1;
    const ticket = asked;
    if (retry) clearTimeout(retry);
    retry = null;
    const current = begin();
    scope = { q, conversationId };
    if (q === '') {
      listed.clear();
      showListed();
      searched.value = '';
      nextBefore.value = null;
      searching.value = false;
      return;
    }
    searching.value = true;
    const request = listed.request();
    try {
      const page = await firstShown({ q, conversationId }, current.signal);
      request.answered(page.messages, 'replace');
      showListed();
      nextBefore.value = page.nextBefore;
      searched.value = q;
      // Found nothing: once more shortly, unless something else was asked meanwhile.
      if (page.messages.length === 0 && !again) {
        retry = setTimeout(() => {
          if (ticket === asked) void search(q, conversationId, true);
        }, retryEmptyMs);
      }
    } catch (error) {
      request.abandon();
      if (current.signal.aborted) return;
      listed.clear();
      showListed();
      nextBefore.value = null;
      searched.value = q;
      failed.value = true;
      console.warn('message search failed', error);
    } finally {
      if (controller === current) searching.value = false;
    }
    refreshIfStale();
  }

  const debounced = useDebounceFn((q: string, conversationId: number | undefined, ticket: number) => {
    if (ticket === asked) void search(q, conversationId);
  }, debounceMs);

  /** Searches for `q` once typing pauses; `searching` shows meanwhile. */
  function searchSoon(q: string, conversationId?: number): void {
    asked += 1;
    searching.value = q !== '';
    void debounced(q, conversationId, asked);
  }

  /**
   * The next page of the current results, appended. Nothing while a search is asked for or on its
   * way: its query is not the one the listed results and their next page are for.
   */
  async function loadMore(): Promise<void> {
    const before = nextBefore.value;
    if (before === null || !scope || loadingMore.value || searching.value) return;
    const { q, conversationId } = scope;
    const ticket = asked;
    const current = begin();
    const request = listed.request();
    loadingMore.value = true;
    try {
      const page = await firstShown({ q, conversationId, before }, current.signal);
      if (ticket !== asked) return request.abandon();
      request.answered(page.messages, 'append');
      showListed();
      nextBefore.value = page.nextBefore;
    } catch (error) {
      request.abandon();
      if (current.signal.aborted) return;
      failed.value = true;
      console.warn('message search failed', error);
    } finally {
      if (controller === current) loadingMore.value = false;
    }
    refreshIfStale();
  }

  /**
   * The listed results asked for again, as far down as they reach, without showing a search: a
   * listed message's text changed, and only the server's matcher can say whether it still matches.
   */
  async function refresh(): Promise<void> {
    // A search or a next page on its way asks again once it has landed, if it must.
    if (disposed || !scope || !listed.stale || searching.value || loadingMore.value) return;
    const { q, conversationId } = scope;
    const ticket = asked;
    const current = begin();
    const request = listed.request();
    try {
      const answer = await throughOldest({ q, conversationId }, listed.messages.at(-1)?.id, current.signal);
      if (ticket !== asked) return request.abandon();
      request.answered(answer.messages, 'replace');
      showListed();
      nextBefore.value = answer.nextBefore;
    } catch (error) {
      request.abandon();
      if (current.signal.aborted) return;
      // What is listed stays; the next change asks again.
      console.warn('message search failed to ask again', error);
      return;
    }
    // Changed again while on its way: that change waits for the index too.
    refreshIfStale();
  }

  const refreshSoon = useDebounceFn(refresh, refreshMs, { maxWait: refreshMs * 3 });
  function refreshIfStale(): void {
    if (listed.stale) void refreshSoon();
  }

  // Every copy of a message the client takes in (live, acknowledged, caught up) reaches the messages
  // store's `show` (client.ts), whether or not its conversation is open: heard there, not on the socket.
  // Removed with the caller's scope.
  useMessagesStore().$onAction(({ name, args }) => {
    if (name !== 'show') return;
    listed.hear(args[0]);
    showListed();
    refreshIfStale();
  });

  tryOnScopeDispose(() => {
    // A search still waiting for typing to pause is not sent for a dialog that has gone.
    asked += 1;
    disposed = true;
    refreshSoon.cancel();
    controller?.abort();
    if (retry) clearTimeout(retry);
  });

  return { results, searched, nextBefore, searching, loadingMore, failed, search, searchSoon, loadMore };
}
