import type { Presence, PresenceStatus, SetPresencePayload } from '@parley/shared';
import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import { emitPresence } from '@/socket';

/**
 * Who is online, away or offline among the people we share a conversation with: a snapshot after
 * every connect replaces what we knew, then batches of changes update it (the latest wins).
 * Also this tab's own state, reported when it goes idle or comes back.
 */
export const usePresenceStore = defineStore('presence', () => {
  const byUser = reactive(new Map<number, Presence>());
  const ownStatus = ref<SetPresencePayload['status']>('online');
  let snapshotNext = false;

  /** The next presence:update is the connection's snapshot. */
  function expectSnapshot(): void {
    snapshotNext = true;
  }

  function apply(updates: readonly Presence[]): void {
    if (snapshotNext) {
      snapshotNext = false;
      byUser.clear();
    }
    for (const update of updates) byUser.set(update.userId, update);
  }

  /** Whether the server has told us about this person since we connected. */
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
    await emitPresence({ status });
  }

  /** A new connection starts online on the server: say so again if this tab is idle. */
  async function reassertOwnStatus(): Promise<void> {
    if (ownStatus.value === 'away') await emitPresence({ status: 'away' });
  }

  function reset(): void {
    byUser.clear();
    ownStatus.value = 'online';
    snapshotNext = false;
  }

  return {
    byUser,
    ownStatus,
    expectSnapshot,
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
