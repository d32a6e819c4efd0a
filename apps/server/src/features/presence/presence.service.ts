import type { Presence, PresenceStatus } from '@parley/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { padIdList } from '../../lib/id-list.js';
import { InterServerEvent, type ParleyServer, type PresenceChange } from '../../plugins/socket-io.js';
import type { ConversationsRepository } from '../conversations/conversations.repository.js';
import { createPresenceFanout } from './presence-fanout.js';
import { MemoryPresenceStore, type PresenceStore, type TabStatus } from './presence.store.js';

export interface PresenceServiceDeps {
  io: ParleyServer;
  prisma: PrismaClient;
  conversations: Pick<ConversationsRepository, 'contactsOf' | 'presenceAudiencesOf' | 'membersOf'>;
  /** Shared store (Redis) when configured; this process's own tabs are always kept in memory too. */
  shared: PresenceStore | null;
  /** Whether other processes share this one's sockets (the Redis adapter): changes are sent to them. */
  crossProcess: boolean;
  log: FastifyBaseLogger;
  batchMs: number;
  /** Groups larger than this share presence only with their watchers (config.presenceEagerMaxMembers). */
  eagerMaxMembers: number;
  leaseRefreshMs: number;
  /**
   * Told, once per window, of the users who left in it (a tab of theirs closed here and none is
   * left on any process), with when the last of them left: what follows a person leaving (a
   * companion's memory summary) costs one call per window, not a query per closed tab. Someone who
   * came and went within one window is told of too, though nobody is told they were online. Must not
   * throw. A window that fails after it is retried and tells again: what it starts must bear being
   * started twice.
   */
  onOffline?: (userIds: number[], at: Date) => void;
  now?: () => number;
}

export type PresenceService = ReturnType<typeof createPresenceService>;

/**
 * Presence without storms. A process gathers the changes of the users whose tabs it holds and, at
 * most once per batch window, keeps only users whose combined status really changed (across
 * processes, through the shared store), then hands them with their conversations to every process
 * (itself directly, the others through Redis). Each process delivers them to its own sockets in one
 * `presence:changes` per socket per window (presence-fanout.ts). So a thousand people connecting
 * cost each of their contacts one event per window, and a change nobody shares a conversation with
 * reaches nobody. A window costs one read of the shared store, two membership queries and, when
 * people left, one UPDATE of their lastSeenAt, however many changed.
 *
 * Large groups (more than `eagerMaxMembers` members) share presence on demand, as large chat services
 * do (Discord and Slack load a big channel's member presence when it is looked at): their members are
 * not each other's contacts, and a change reaches, through such a group, only the sockets watching it
 * (`presence:watch`, one group per socket, the one on screen). Without that a connect storm in a
 * 1,000-person group sent each of the 1,000 a snapshot of up to 999 people and each change to all of
 * them (docs/benchmarks.md, "Idle connections and presence events").
 */
export function createPresenceService(deps: PresenceServiceDeps) {
  const now = deps.now ?? Date.now;
  const local = new MemoryPresenceStore();
  const fanout = createPresenceFanout({ io: deps.io, batchMs: deps.batchMs, now });
  // Changes gathered by the other processes (the adapter never delivers a process its own).
  deps.io.on(InterServerEvent.PresenceChanges, (changes) => fanout.receive(changes));
  /**
   * Users changed in this window, each with their status before its first change. Comparing with
   * that rather than with what this process last announced matters with several processes: the
   * user may have gone offline and come back through another one since.
   */
  const changedFrom = new Map<number, PresenceStatus>();
  /** New conversations whose members are to learn each other's presence in this window (`introduce`). */
  const introductions = new Map<number, number[]>();
  /** Users a tab of whom closed here in this window. */
  const closedFor = new Set<number>();
  /** When a tab last closed here in this window (ms since the epoch). */
  let lastLeftAt: number | null = null;
  let flushTimer: NodeJS.Timeout | null = null;
  /**
   * The window being announced. Windows run one after the other: a window's statuses are read before
   * its database work (lastSeenAt, audiences), so one that overlapped a slower earlier one could
   * deliver its newer statuses first and have them overwritten by the older ones.
   */
  let flushing: Promise<void> = Promise.resolve();
  /** Set by close(): no window is scheduled after it; close() runs the last one itself. */
  let stopped = false;
  /** Tab changes still being written to the stores: close() waits for them before its last window. */
  const tabWrites = new Set<Promise<void>>();
  function trackTabWrite(write: Promise<void>): Promise<void> {
    tabWrites.add(write);
    const done = () => tabWrites.delete(write);
    write.then(done, done);
    return write;
  }

  /** A read of Redis when it answers; of this process's view when it does not (single-process behaviour). */
  async function readStore<T>(read: (store: PresenceStore) => Promise<T>): Promise<T> {
    if (deps.shared) {
      try {
        return await read(deps.shared);
      } catch (error) {
        deps.log.warn({ err: error }, 'presence: shared store unavailable, using this process only');
      }
    }
    return read(local);
  }

  const statusOf = (userIds: number[]) => readStore((store) => store.statusOf(userIds));

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

  async function lastSeenOf(userIds: number[]): Promise<Map<number, Date | null>> {
    if (userIds.length === 0) return new Map();
    const users = await deps.prisma.user.findMany({
      where: { id: { in: padIdList(userIds) } },
      select: { id: true, lastSeenAt: true },
    });
    return new Map(users.map((user) => [user.id, user.lastSeenAt]));
  }

  /**
   * When each user whose lastSeenAt is not stored yet was last seen (ms since the epoch): set as they
   * go offline, cleared once written. A write that fails (a lock wait timeout, a lost connection) is
   * not lost: its values stay here, the newest per user, and are written with the next window's, a
   * window being scheduled for them if no change comes. One entry per user, so it holds at most the
   * users who went offline while the database could not take them.
   */
  const unsavedLastSeen = new Map<number, number>();

  /**
   * Stores that `userIds` were last seen at `at`, with the values an earlier window could not store:
   * one UPDATE per distinct time (a window's users share one, lib/id-list.ts pads the list), so a
   * disconnect storm costs one statement per window. A value only moves lastSeenAt forward: one
   * retried after a later one was stored (by another process, or a login) leaves it. Never throws: a
   * failure is logged and the values kept for the next window; the window's presence events go out
   * all the same.
   */
  async function storeLastSeen(userIds: readonly number[], at: number): Promise<void> {
    for (const userId of userIds) unsavedLastSeen.set(userId, Math.max(unsavedLastSeen.get(userId) ?? 0, at));
    if (unsavedLastSeen.size === 0) return;
    const byTime = new Map<number, number[]>();
    for (const [userId, seenAt] of unsavedLastSeen) {
      const ids = byTime.get(seenAt);
      if (ids) ids.push(userId);
      else byTime.set(seenAt, [userId]);
    }
    // Taken out while written: a concurrent window writes only what it adds itself.
    unsavedLastSeen.clear();
    const pending = [...byTime];
    try {
      while (pending.length > 0) {
        const [seenAt, ids] = pending[0]!;
        const lastSeenAt = new Date(seenAt);
        await deps.prisma.user.updateMany({
          where: {
            id: { in: padIdList(ids) },
            OR: [{ lastSeenAt: null }, { lastSeenAt: { lt: lastSeenAt } }],
          },
          data: { lastSeenAt },
        });
        pending.shift();
      }
    } catch (error) {
      const users = pending.reduce((count, [, ids]) => count + ids.length, 0);
      deps.log.warn({ err: error, users }, 'presence: lastSeenAt not stored');
      // Values set since (the users left again) are newer and win.
      for (const [seenAt, ids] of pending) {
        for (const userId of ids)
          unsavedLastSeen.set(userId, Math.max(unsavedLastSeen.get(userId) ?? 0, seenAt));
      }
      scheduleFlush();
    }
  }

  /**
   * Announces the window's changes. If the store or the database cannot answer (an outage, a pool
   * that stays busy), the window's changes are put back for the next window rather than lost.
   */
  async function flush(): Promise<void> {
    flushTimer = null;
    const batch = [...changedFrom];
    const introduced = [...introductions];
    const closed = [...closedFor];
    const left = lastLeftAt;
    changedFrom.clear();
    introductions.clear();
    closedFor.clear();
    lastLeftAt = null;
    if (batch.length === 0 && introduced.length === 0) {
      // A window scheduled only to store what an earlier one could not.
      await storeLastSeen([], 0);
      return;
    }
    try {
      await announce(batch, introduced, closed, new Date(left ?? now()));
    } catch (error) {
      if (stopped) {
        // The last window, run by close(): there is no next one.
        deps.log.warn({ err: error, users: batch.length }, 'presence: last window failed at shutdown');
        return;
      }
      deps.log.warn({ err: error, users: batch.length }, 'presence flush failed; retrying next window');
      // The failed window's baselines are older than any change made since, so they win.
      for (const [userId, before] of batch) changedFrom.set(userId, before);
      for (const [conversationId, memberIds] of introduced)
        if (!introductions.has(conversationId)) introductions.set(conversationId, memberIds);
      for (const userId of closed) closedFor.add(userId);
      if (left !== null) lastLeftAt = Math.max(lastLeftAt ?? 0, left);
      scheduleFlush();
    }
  }

  /**
   * One window: the users whose status really changed, to everyone they share a conversation with;
   * and each introduced conversation's members, to its other members. Every status is read once, at
   * the start, so an introduction never carries a status older than a change announced before it.
   * `closed`: the users a tab of whom closed in the window (each is in `batch` too).
   */
  async function announce(
    batch: Array<[number, PresenceStatus]>,
    introduced: Array<[number, number[]]>,
    closed: number[],
    leftAt: Date,
  ): Promise<void> {
    const introducedIds = [...new Set(introduced.flatMap(([, memberIds]) => memberIds))];
    const statuses = await statusOf([...new Set([...batch.map(([userId]) => userId), ...introducedIds])]);
    const changed = batch.filter(([userId, before]) => statuses.get(userId) !== before);
    // Everyone who left in this window is recorded as last seen when the last of them left: within
    // one window (PRESENCE_BATCH_MS) of the truth, for one statement however many left.
    const updates: Presence[] = changed.map(([userId]) => {
      const status = statuses.get(userId) ?? 'offline';
      return { userId, status, lastSeenAt: status === 'offline' ? leftAt.toISOString() : null };
    });
    // Who left: offline now, after a tab closed here, whether or not anyone was told they came.
    const offline = closed.filter((userId) => statuses.get(userId) === 'offline');
    await storeLastSeen(offline, leftAt.getTime());
    if (offline.length > 0) deps.onOffline?.(offline, leftAt);
    const audiences =
      updates.length === 0
        ? new Map<number, Pick<PresenceChange, 'conversationIds' | 'watchedIds'>>()
        : await deps.conversations.presenceAudiencesOf(
            updates.map((update) => update.userId),
            deps.eagerMaxMembers,
          );
    const changes: PresenceChange[] = updates.flatMap((update) => {
      const audience = audiences.get(update.userId);
      return audience ? [{ ...update, ...audience }] : [];
    });
    if (introduced.length > 0) {
      const updated = new Map(updates.map((update) => [update.userId, update]));
      const seen = await lastSeenOf(
        introducedIds.filter((userId) => statuses.get(userId) === 'offline' && !updated.has(userId)),
      );
      for (const [conversationId, memberIds] of introduced) {
        for (const userId of memberIds) {
          const status = statuses.get(userId) ?? 'offline';
          const presence = updated.get(userId) ?? {
            userId,
            status,
            lastSeenAt: status === 'offline' ? (seen.get(userId)?.toISOString() ?? null) : null,
          };
          // Through the conversation's room: its members, the new ones included, not the others'.
          changes.push({ ...presence, conversationIds: [conversationId], watchedIds: [] });
        }
      }
    }
    if (changes.length === 0) return;
    fanout.receive(changes);
    if (deps.crossProcess) deps.io.serverSideEmit(InterServerEvent.PresenceChanges, changes);
  }

  /** `before`: the user's status just before this change; the window's first change sets the baseline. */
  function markChanged(userId: number, before: PresenceStatus): void {
    if (!changedFrom.has(userId)) changedFrom.set(userId, before);
    scheduleFlush();
  }

  function scheduleFlush(): void {
    if (stopped) return;
    flushTimer ??= setTimeout(() => {
      flushing = flushing.then(flush);
    }, deps.batchMs);
  }

  // Renew this process's leases in the shared store, so they outlive neither it nor a crash. The
  // tabs are read and their writes sent in one go: a tab closed meanwhile has its removal sent after
  // them (one connection keeps the order), never before a renewal that would bring it back.
  const leaseTimer = setInterval(() => {
    const tabs = local.entries();
    if (tabs.length > 0) void writeShared((store) => store.renewTabs(tabs));
  }, deps.leaseRefreshMs);
  leaseTimer.unref();

  return {
    tabChanged(userId: number, socketId: string, status: TabStatus): Promise<void> {
      return trackTabWrite(
        (async () => {
          const localBefore = await local.setTab(userId, socketId, status);
          const sharedBefore = await writeShared((store) => store.setTab(userId, socketId, status));
          markChanged(userId, sharedBefore ?? localBefore);
        })(),
      );
    },

    tabClosed(userId: number, socketId: string): Promise<void> {
      lastLeftAt = now();
      closedFor.add(userId);
      return trackTabWrite(
        (async () => {
          const localBefore = await local.removeTab(userId, socketId);
          const sharedBefore = await writeShared((store) => store.removeTab(userId, socketId));
          markChanged(userId, sharedBefore ?? localBefore);
        })(),
      );
    },

    /**
     * What a newly connected tab is told (`presence:snapshot`): every contact who is online or away,
     * and each direct-conversation peer whatever their status, with when they were last seen if
     * offline. Anyone else it shares a conversation with is offline. Large chat services do the
     * same (Discord lists only the online members of a large guild): a member of a 1,000-person
     * group is not sent 1,000 entries on every connect, and what the web shows of people offline
     * (last seen) it shows only for direct peers.
     */
    async snapshotFor(userId: number): Promise<Presence[]> {
      const { contactIds, directPeers } = await deps.conversations.contactsOf(userId, deps.eagerMaxMembers);
      const live = await readStore((store) => store.liveAmong(contactIds));
      const snapshot: Presence[] = [];
      for (const [contactId, status] of live) snapshot.push({ userId: contactId, status, lastSeenAt: null });
      for (const [peerId, lastSeenAt] of directPeers) {
        if (!live.has(peerId))
          snapshot.push({ userId: peerId, status: 'offline', lastSeenAt: lastSeenAt?.toISOString() ?? null });
      }
      return snapshot;
    },

    /**
     * Each user's status now ('online', 'away' or 'offline'), as every process sees it (Redis when
     * shared): for the site console's list of users.
     */
    statusesOf(userIds: number[]): Promise<Map<number, PresenceStatus>> {
      return statusOf(userIds);
    },

    /**
     * People who now share `conversationId` (new, or with new members) learn each other's presence,
     * which no change would tell them: in the next window, in order with the changes (whichever
     * comes last is the newer), through the conversation's room, which its members' sockets have
     * joined. Not in a large group, whose members learn it by watching it.
     */
    introduce(conversationId: number, memberIds: number[]): void {
      if (memberIds.length > deps.eagerMaxMembers) return;
      introductions.set(conversationId, memberIds);
      scheduleFlush();
    },

    /**
     * What a socket watching `conversationId` is told first: its members who are online or away
     * (anyone else is offline), and whether the group is large, i.e. followed only by watching it
     * (the socket then joins `rooms.presenceWatch`); a small group's members are contacts anyway.
     */
    async watched(conversationId: number): Promise<{ presences: Presence[]; large: boolean }> {
      const memberIds = await deps.conversations.membersOf(conversationId);
      const live = await readStore((store) => store.liveAmong(memberIds));
      const presences: Presence[] = [];
      for (const [userId, status] of live) presences.push({ userId, status, lastSeenAt: null });
      return { presences, large: memberIds.length > deps.eagerMaxMembers };
    },

    /**
     * Stops, after one last window: the tab changes still being written (the sockets a shutdown
     * disconnected, plugins/socket-io.ts) are announced at once, to other processes' sockets too,
     * and their users' lastSeenAt stored, instead of being left to the leases' expiry. Nothing is
     * scheduled after it; a last window that fails is logged, not retried. Resolves when it is done.
     */
    async close(): Promise<void> {
      if (stopped) return flushing;
      stopped = true;
      clearInterval(leaseTimer);
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = null;
      await Promise.allSettled([...tabWrites]);
      if (changedFrom.size > 0 || introductions.size > 0 || unsavedLastSeen.size > 0)
        flushing = flushing.then(flush);
      await flushing;
      fanout.close();
    },
  };
}
