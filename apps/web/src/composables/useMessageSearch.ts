import type { Message, MessageSearchResponse } from '@parley/shared';
import { tryOnScopeDispose, useDebounceFn } from '@vueuse/core';
import { ref } from 'vue';
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
}

/** Pages an answer may skip while they are empty (every match on them deleted since indexing). */
const EMPTY_PAGES_SKIPPED = 5;

/**
 * The first page with something to show from `query` on: the server leaves out matches deleted
 * since they were indexed, so a page can come back empty with more after it ("No messages contain"
 * beside "Show older matches").
 */
async function firstShown(
  query: { q: string; conversationId?: number; before?: number },
  signal: AbortSignal,
): Promise<MessageSearchResponse> {
  let page = await searchMessages(query, signal);
  for (let skipped = 0; page.messages.length === 0 && page.nextBefore !== null; skipped += 1) {
    if (skipped === EMPTY_PAGES_SKIPPED) break;
    page = await searchMessages({ ...query, before: page.nextBefore }, signal);
  }
  return page;
}

/**
 * Message search (`GET /api/search/messages`) for the search dialog: the latest query's results,
 * newest first, and more of them on request. Only the latest search counts: an older one still in
 * flight is aborted and its answer dropped; so is a page asked for before the query changed.
 * Results follow the messages as they change while shown: edited, they show the new text; deleted,
 * they leave the results.
 */
export function useMessageSearch({ debounceMs = 300, retryEmptyMs = 1_500 }: MessageSearchOptions = {}) {
  const results = ref<Message[]>([]);
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

  function begin(): AbortController {
    controller?.abort();
    const current = new AbortController();
    controller = current;
    failed.value = false;
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
      results.value = [];
      searched.value = '';
      nextBefore.value = null;
      searching.value = false;
      return;
    }
    searching.value = true;
    try {
      const page = await firstShown({ q, conversationId }, current.signal);
      results.value = page.messages;
      nextBefore.value = page.nextBefore;
      searched.value = q;
      // Found nothing: once more shortly, unless something else was asked meanwhile.
      if (page.messages.length === 0 && !again) {
        retry = setTimeout(() => {
          if (ticket === asked) void search(q, conversationId, true);
        }, retryEmptyMs);
      }
    } catch (error) {
      if (current.signal.aborted) return;
      results.value = [];
      nextBefore.value = null;
      searched.value = q;
      failed.value = true;
      console.warn('message search failed', error);
    } finally {
      if (controller === current) searching.value = false;
    }
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

  /** The next page of the current results, appended. */
  async function loadMore(): Promise<void> {
    const before = nextBefore.value;
    if (before === null || !scope || loadingMore.value) return;
    const { q, conversationId } = scope;
    const ticket = asked;
    const current = begin();
    loadingMore.value = true;
    try {
      const page = await firstShown({ q, conversationId, before }, current.signal);
      if (ticket !== asked) return;
      results.value = [...results.value, ...page.messages];
      nextBefore.value = page.nextBefore;
    } catch (error) {
      if (current.signal.aborted) return;
      failed.value = true;
      console.warn('message search failed', error);
    } finally {
      if (controller === current) loadingMore.value = false;
    }
  }

  /** A newer copy of a message shown: in its place, or out of the results once deleted. */
  function follow(message: Message): void {
    const index = results.value.findIndex((result) => result.id === message.id);
    const held = results.value[index];
    if (!held || message.changeSeq <= held.changeSeq) return;
    results.value = message.deletedAt
      ? results.value.toSpliced(index, 1)
      : results.value.with(index, message);
  }

  // Every copy of a message the client takes in (live, acknowledged, caught up) reaches the messages
  // store's `show` (client.ts), whether or not its conversation is open: heard there, not on the socket.
  // Removed with the caller's scope.
  useMessagesStore().$onAction(({ name, args }) => {
    if (name === 'show') follow(args[0]);
  });

  tryOnScopeDispose(() => {
    // A search still waiting for typing to pause is not sent for a dialog that has gone.
    asked += 1;
    controller?.abort();
    if (retry) clearTimeout(retry);
  });

  return { results, searched, nextBefore, searching, loadingMore, failed, search, searchSoon, loadMore };
}
