import { ServerEvent, type Presence, type PresenceStatus } from '@parley/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { rooms, type ParleyServer } from '../../plugins/socket-io.js';
import type { ConversationsRepository } from '../conversations/conversations.repository.js';
import { MemoryPresenceStore, type PresenceStore, type TabStatus } from './presence.store.js';

export interface PresenceServiceDeps {
  io: ParleyServer;
  prisma: PrismaClient;
  conversations: Pick<ConversationsRepository, 'contactIdsOf' | 'conversationIdsByUser'>;
  /** Shared store (Redis) when configured; this process's own tabs are always kept in memory too. */
  shared: PresenceStore | null;
  log: FastifyBaseLogger;
  batchMs: number;
  leaseRefreshMs: number;
}

export type PresenceService = ReturnType<typeof createPresenceService>;

/**
 * Presence with batching: changes are collected and announced at most once per batch window,
 * one event per conversation room, and only for users whose combined status really changed.
 * So a thousand reconnecting users cause a handful of events, not a storm.
 */
export function createPresenceService(deps: PresenceServiceDeps) {
  const local = new MemoryPresenceStore();
  /**
   * Users changed in this window, each with their status before its first change. Comparing with
   * that rather than with what this process last announced matters with several processes: the
   * user may have gone offline and come back through another one since.
   */
  const changedFrom = new Map<number, PresenceStatus>();
  let flushTimer: NodeJS.Timeout | null = null;

  /** Redis when it answers; this process's view when it does not (single-process behaviour). */
  async function statusOf(userIds: number[]): Promise<Map<number, PresenceStatus>> {
    if (deps.shared) {
      try {
        return await deps.shared.statusOf(userIds);
      } catch (error) {
        deps.log.warn({ err: error }, 'presence: shared store unavailable, using this process only');
      }
    }
    return local.statusOf(userIds);
  }

  /** The shared store's answer, or null without one (or when it failed). */
  async function writeShared<T>(write: (store: PresenceStore) => Promise<T>): Promise<T | null> {
    if (!deps.shared) return null;
    try {
      return await write(deps.shared);
    } catch (error) {
      deps.log.warn({ err: error }, 'presence: shared store write failed');
      return null;
    }
  }

  async function lastSeenOf(userIds: number[]): Promise<Map<number, string | null>> {
    if (userIds.length === 0) return new Map();
    const users = await deps.prisma.user.findMany({
      where: { id: { in: userIds } },
      select: { id: true, lastSeenAt: true },
    });
    return new Map(users.map((user) => [user.id, user.lastSeenAt?.toISOString() ?? null]));
  }

  async function describe(userIds: number[]): Promise<Presence[]> {
    const statuses = await statusOf(userIds);
    const offline = userIds.filter((userId) => statuses.get(userId) === 'offline');
    const lastSeen = await lastSeenOf(offline);
    return userIds.map((userId) => ({
      userId,
      status: statuses.get(userId) ?? 'offline',
      lastSeenAt: lastSeen.get(userId) ?? null,
    }));
  }

  async function flush(): Promise<void> {
    flushTimer = null;
    const batch = [...changedFrom];
    changedFrom.clear();
    if (batch.length === 0) return;
    const described = await describe(batch.map(([userId]) => userId));
    const updates = described.filter((update, index) => update.status !== batch[index]![1]);
    if (updates.length === 0) return;
    const conversationsByUser = await deps.conversations.conversationIdsByUser(
      updates.map((update) => update.userId),
    );
    const byRoom = new Map<number, Presence[]>();
    for (const update of updates) {
      for (const conversationId of conversationsByUser.get(update.userId) ?? []) {
        byRoom.set(conversationId, [...(byRoom.get(conversationId) ?? []), update]);
      }
    }
    for (const [conversationId, batch] of byRoom) {
      deps.io.to(rooms.conversation(conversationId)).emit(ServerEvent.PresenceUpdate, batch);
    }
  }

  /** `before`: the user's status just before this change; the window's first change sets the baseline. */
  function markChanged(userId: number, before: PresenceStatus): void {
    if (!changedFrom.has(userId)) changedFrom.set(userId, before);
    flushTimer ??= setTimeout(() => {
      flush().catch((error: unknown) => deps.log.warn({ err: error }, 'presence flush failed'));
    }, deps.batchMs);
  }

  // Renew this process's leases in the shared store, so they outlive neither it nor a crash.
  const leaseTimer = setInterval(() => {
    void writeShared(async (store) => {
      for (const tab of local.entries()) await store.setTab(tab.userId, tab.socketId, tab.status);
    });
  }, deps.leaseRefreshMs);
  leaseTimer.unref();

  return {
    async tabChanged(userId: number, socketId: string, status: TabStatus): Promise<void> {
      const localBefore = await local.setTab(userId, socketId, status);
      const sharedBefore = await writeShared((store) => store.setTab(userId, socketId, status));
      markChanged(userId, sharedBefore ?? localBefore);
    },

    async tabClosed(userId: number, socketId: string): Promise<void> {
      const localBefore = await local.removeTab(userId, socketId);
      const sharedBefore = await writeShared((store) => store.removeTab(userId, socketId));
      await deps.prisma.user
        .update({ where: { id: userId }, data: { lastSeenAt: new Date() } })
        .catch(() => undefined);
      markChanged(userId, sharedBefore ?? localBefore);
    },

    /** What a newly connected tab is told about everyone it shares a conversation with. */
    async snapshotFor(userId: number): Promise<Presence[]> {
      return describe(await deps.conversations.contactIdsOf(userId));
    },

    /** People who now share a new conversation learn each other's presence, which no change would tell them. */
    async introduce(memberIds: number[]): Promise<void> {
      const presences = await describe(memberIds);
      for (const userId of memberIds)
        deps.io.to(rooms.user(userId)).emit(ServerEvent.PresenceUpdate, presences);
    },

    close(): void {
      clearInterval(leaseTimer);
      if (flushTimer) clearTimeout(flushTimer);
    },
  };
}
