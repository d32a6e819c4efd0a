import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { usePresenceStore } from '@/stores/presence';
import { attachFakeClient } from '../fixtures';

const setPresence = vi.fn(async (_status: 'online' | 'away') => ({ ok: true as const, data: null }));

const seen = '2026-01-02T10:00:00.000Z';

describe('presence store', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    setPresence.mockClear();
    attachFakeClient({ setPresence });
  });

  it('takes the snapshot after connecting, then applies batches, the latest winning', () => {
    const store = usePresenceStore();
    store.replace([
      { userId: 2, status: 'online', lastSeenAt: null },
      { userId: 3, status: 'offline', lastSeenAt: seen },
      { userId: 4, status: 'away', lastSeenAt: null },
    ]);
    // Someone shared through two conversations shows up in two batches: the later one wins.
    store.apply([{ userId: 2, status: 'away', lastSeenAt: null }]);
    store.apply([
      { userId: 2, status: 'offline', lastSeenAt: seen },
      { userId: 3, status: 'online', lastSeenAt: null },
    ]);

    expect([2, 3, 4].map((id) => store.statusOf(id))).toEqual(['offline', 'online', 'away']);
    expect(store.lastSeenOf(2)).toBe(seen);
    expect(store.onlineCount([2, 3, 4])).toBe(1);
  });

  it('treats people it has heard nothing about as offline', () => {
    expect(usePresenceStore().statusOf(99)).toBe('offline');
  });

  it('forgets what it knew when a new connection’s snapshot arrives', () => {
    const store = usePresenceStore();
    store.apply([{ userId: 2, status: 'online', lastSeenAt: null }]);
    store.replace([{ userId: 3, status: 'online', lastSeenAt: null }]);
    expect(store.statusOf(2)).toBe('offline');
    expect(store.statusOf(3)).toBe('online');
  });

  it('shows a group-only contact as offline once told so, and still once a snapshot leaves them out', () => {
    const store = usePresenceStore();
    // The snapshot lists contacts online or away and every direct peer; 5 is a direct peer.
    store.replace([
      { userId: 2, status: 'online', lastSeenAt: null },
      { userId: 5, status: 'offline', lastSeenAt: seen },
    ]);
    store.apply([{ userId: 2, status: 'offline', lastSeenAt: seen }]);
    expect(store.statusOf(2)).toBe('offline');
    // Reconnected: the new snapshot leaves 2 out, being offline and shared through groups only.
    store.replace([{ userId: 5, status: 'offline', lastSeenAt: seen }]);
    expect(store.statusOf(2)).toBe('offline');
    expect(store.onlineCount([2, 5])).toBe(0);
    expect(store.knows(5)).toBe(true);
    expect(store.lastSeenOf(5)).toBe(seen);
  });

  it('reports this tab going away and coming back only when that changes', async () => {
    const store = usePresenceStore();
    await store.setOwnStatus('online');
    await store.setOwnStatus('away');
    await store.setOwnStatus('away');
    await store.setOwnStatus('online');
    expect(setPresence.mock.calls).toEqual([['away'], ['online']]);
  });

  it('says again that it is away on a new connection, which starts online', async () => {
    const store = usePresenceStore();
    await store.reassertOwnStatus();
    expect(setPresence).not.toHaveBeenCalled();
    await store.setOwnStatus('away');
    await store.reassertOwnStatus();
    expect(setPresence.mock.calls).toEqual([['away'], ['away']]);
  });
});
