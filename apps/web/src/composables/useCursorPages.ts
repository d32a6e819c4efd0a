import { ref, type Ref } from 'vue';
import { useRequestOutcome } from './useRequestOutcome';

/** One page of a cursor-paged list: its items, and the cursor of the next page (null at the end). */
export interface CursorPage<T> {
  items: T[];
  nextCursor: number | null;
}

/**
 * A list read page by page with an opaque cursor (the console's users, groups and audit log).
 * `load()` reads the first page again (a new search), `load(true)` appends the next one. `run` wraps
 * any other request of the screen: a failure becomes `error`, in the reader's language, and is
 * cleared by the next request.
 */
export function useCursorPages<T>(fetchPage: (cursor: number | undefined) => Promise<CursorPage<T>>) {
  const items = ref<T[]>([]) as Ref<T[]>;
  const nextCursor = ref<number | null>(null);
  const { error, run } = useRequestOutcome();

  const load = (more = false) =>
    run(async () => {
      const page = await fetchPage(more ? (nextCursor.value ?? undefined) : undefined);
      items.value = more ? [...items.value, ...page.items] : page.items;
      nextCursor.value = page.nextCursor;
    });

  return { items, nextCursor, error, load, run };
}
