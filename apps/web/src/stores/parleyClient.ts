import type { ParleyClient } from '@parley/client';
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';

/**
 * The signed-in session's @parley/client, for the stores and composables that ask something of it
 * (send, edit, report a position). client.ts creates it and puts it here; nothing else does. Null
 * while signed out: requests then do nothing, as there is no one to make them for.
 */
export const useParleyClientStore = defineStore('parleyClient', () => {
  const client = shallowRef<ParleyClient | null>(null);

  function attach(next: ParleyClient | null): void {
    client.value = next;
  }

  return { client, attach };
});
