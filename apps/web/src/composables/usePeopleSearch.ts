import type { UserSummary } from '@parley/shared';
import { tryOnScopeDispose, useDebounceFn } from '@vueuse/core';
import { ref } from 'vue';
import { searchUsers } from '@/api/users';

export interface PeopleSearchOptions {
  /** How many people one search returns at most (the server's default when left out). */
  limit?: number;
  /** How long typing must pause before `searchSoon` asks the server, in milliseconds. */
  debounceMs?: number;
}

/** Whether two answers list the same people, in the same order, looking the same. */
function samePeople(shown: readonly UserSummary[], found: readonly UserSummary[]): boolean {
  return (
    shown.length === found.length &&
    shown.every((user, index) => JSON.stringify(user) === JSON.stringify(found[index]))
  );
}

/**
 * People found by username or display name (`GET /api/users?q=`), for pickers and dialogs.
 * Only the latest search counts: an older one still in flight is aborted, and its answer dropped.
 * `results`, `searching` and `failed` are what the UI shows; the search is aborted with its scope.
 */
export function usePeopleSearch({ limit, debounceMs = 250 }: PeopleSearchOptions = {}) {
  const results = ref<UserSummary[]>([]);
  const searching = ref(false);
  const failed = ref(false);
  let controller: AbortController | null = null;
  /** Counts searches asked for: a debounced one runs only if nothing was asked after it. */
  let asked = 0;

  /** Searches for `term` now ('' lists everyone, up to `limit`). */
  async function search(term: string): Promise<void> {
    asked += 1;
    controller?.abort();
    const current = new AbortController();
    controller = current;
    searching.value = true;
    failed.value = false;
    try {
      const found = await searchUsers(term, current.signal, limit);
      // The same people again (typing on past the last distinct match) keep their objects: a
      // listbox option is its value, so new objects would drop the option the keyboard highlighted.
      if (!samePeople(results.value, found)) results.value = found;
    } catch (error) {
      if (current.signal.aborted) return;
      results.value = [];
      failed.value = true;
      console.warn('people search failed', error);
    } finally {
      if (controller === current) searching.value = false;
    }
  }

  const debounced = useDebounceFn((term: string, ticket: number) => {
    if (ticket === asked) void search(term);
  }, debounceMs);

  /**
   * Searches for `term` once typing pauses; shows `searching` meanwhile. The people already shown are
   * narrowed at once to those the term still fits (the server's rule: a username or display name that
   * starts with it), the same objects in the same order: the list does not show people who no longer
   * match, nor re-sort under a pointer when the answer comes (it usually names the same people).
   */
  function searchSoon(term: string): void {
    asked += 1;
    searching.value = true;
    const prefix = term.trim().toLowerCase();
    if (prefix !== '') {
      const narrowed = results.value.filter(
        (user) => user.username.startsWith(prefix) || user.displayName.toLowerCase().startsWith(prefix),
      );
      if (narrowed.length !== results.value.length) results.value = narrowed;
    }
    void debounced(term, asked);
  }

  /** Forgets the results and any search in flight or waiting. */
  function clear(): void {
    asked += 1;
    controller?.abort();
    results.value = [];
    searching.value = false;
    failed.value = false;
  }

  tryOnScopeDispose(() => {
    asked += 1;
    controller?.abort();
  });

  return { results, searching, failed, search, searchSoon, clear };
}
