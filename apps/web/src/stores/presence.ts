import type { Presence, PresenceStatus, SetPresencePayload } from '@parley/shared';
import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import { useParleyClientStore } from './parleyClient';

/**
 * Who is online, away or offline among the people we share a conversation with (a large group's
 * members only while it is on screen: client.ts watches it): the snapshot sent after every connect
 * (`presence:snapshot`) replaces what we knew, then each `presence:changes` batch, and a watch's
 * answer, update it (the latest wins). Also this tab's own state, reported when it goes idle or comes back.
 */
export const usePresenceStore = defineStore('presence', () => {
  const parley = useParleyClientStore();
  const byUser = reactive(new Map<number, Presence>());
  const ownStatus = ref<SetPresencePayload['status']>('online');

  /**
   * The connection's snapshot: the contacts online or away and our direct peers, as they are now.
   * Anyone it leaves out is offline (statusOf answers so for people we know nothing of).
   */
  function replace(snapshot: readonly Presence[]): void {
    byUser.clear();
    apply(snapshot);
  }

  /** A batch of changes (or the members of a new conversation, introduced). */
  function apply(changes: readonly Presence[]): void {
    for (const change of changes) byUser.set(change.userId, change);
  }

  /**
   * Whether the server has told us about this person since we connected. Always so for a direct
   * peer once the snapshot came (it lists every one); a group-only contact who is offline may be
   * unknown, and is offline.
   */
  function knows(userId: number): boolean {
    return byUser.has(userId);
  }

  /** Disconnected: what we knew is going stale, and the next connection sends a fresh snapshot. */
  function forget(): void {
    byUser.clear();
  }

  function statusOf(userId: number): PresenceStatus {
    return byUser.get(userId)?.status ?? 'offline';
  }

  function lastSeenOf(userId: number): string | null {
    return byUser.get(userId)?.lastSeenAt ?? null;
  }

  function onlineCount(userIds: readonly number[]): number {
    return userIds.filter((userId) => statusOf(userId) === 'online').length;
  }

  /** This tab went idle or came back; the server combines it with our other tabs. */
  async function setOwnStatus(status: SetPresencePayload['status']): Promise<void> {
    if (ownStatus.value === status) return;
    ownStatus.value = status;
    await parley.client?.setPresence(status);
  }

  /** A new connection starts online on the server: say so again if this tab is idle. */
  async function reassertOwnStatus(): Promise<void> {
    if (ownStatus.value === 'away') await parley.client?.setPresence('away');
  }

  function reset(): void {
    byUser.clear();
    ownStatus.value = 'online';
  }

  return {
    byUser,
    ownStatus,
    replace,
    apply,
    knows,
    forget,
    statusOf,
    lastSeenOf,
    onlineCount,
    setOwnStatus,
    reassertOwnStatus,
    reset,
  };
});
