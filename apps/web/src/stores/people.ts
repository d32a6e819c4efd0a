import type { UserSummary } from '@parley/shared';
import { defineStore } from 'pinia';
import { reactive } from 'vue';

/**
 * People heard renamed while the app is open (`user:updated`), by id. Messages the client already
 * holds keep the summary they were sent with; what shows them asks `current` for the name now. A
 * reload reads everything afresh, the new names included, so this starts empty.
 */
export const usePeopleStore = defineStore('people', () => {
  const renamed = reactive(new Map<number, UserSummary>());

  function apply(user: UserSummary): void {
    renamed.set(user.id, user);
  }

  /** `summary` as that person is called now: the same object unless they were renamed since. */
  function current(summary: UserSummary): UserSummary {
    const newer = renamed.get(summary.id);
    return newer && newer.displayName !== summary.displayName ? newer : summary;
  }

  function reset(): void {
    renamed.clear();
  }

  return { apply, current, reset };
});
