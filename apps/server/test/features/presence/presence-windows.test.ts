// The presence service's windows, against a stand-in for Socket.IO and the database whose answers the
// test holds back: what a socket is told last about someone must be the newest status, whatever
// order the database answers in; a lease renewal must not bring back a tab closed meanwhile (real Redis).
import type { Presence } from '@parley/shared';
import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PrismaClient } from '../../../src/generated/prisma/client.js';
import {
  createPresenceService,
  type PresenceService,
} from '../../../src/features/presence/presence.service.js';
import {
  RedisPresenceStore,
  type LiveTab,
  type PresenceStore,
  type TabStatus,
} from '../../../src/features/presence/presence.store.js';
import { rooms, type ParleyServer } from '../../../src/plugins/socket-io.js';
import { deleteRedisKeys } from '../../helpers/redis-keys.js';
import { TEST_REDIS_URL, waitUntil } from '../../helpers/server.js';

const BATCH_MS = 20;
const [ALICE, BOB, CAROL] = [1, 2, 3];
const CONVERSATION = 7;

const silentLog = { warn: () => undefined } as unknown as FastifyBaseLogger;

/** A promise the test resolves by hand. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** When `hold`, holds back the first call of `fn` until released; the calls after it go straight through. */
function holdFirstCall<A extends unknown[], R>(hold: boolean, fn: (...args: A) => Promise<R>) {
  const gate = deferred();
  let calls = 0;
  return {
    fn: async (...args: A): Promise<R> => {
      calls += 1;
      if (hold && calls === 1) await gate.promise;
      return fn(...args);
    },
    called: () => calls > 0,
    release: gate.resolve,
  };
}

/**
 * The parts of Socket.IO the service and its fan-out use: sockets by id, rooms, and room emits. Each
 * socket is one user in the conversation's room and their own; what each user hears is recorded.
 */
function standInServer() {
  const sockets = new Map<
    string,
    { data: { userId: number }; emit: (event: string, batch: Presence[]) => boolean }
  >();
  const roomMembers = new Map<string, Set<string>>();
  const heard = new Map<number, Presence[]>();
  /** What was sent to the other processes (`serverSideEmit`). */
  const toOthers: Presence[] = [];
  const io = {
    on: () => io,
    of: () => ({ sockets, adapter: { rooms: roomMembers } }),
    serverSideEmit: (_event: string, changes: Presence[]) => {
      toOthers.push(...changes);
      return true;
    },
    to: (room: string) => ({
      emit: (event: string, batch: Presence[]) => {
        for (const socketId of roomMembers.get(room) ?? []) sockets.get(socketId)?.emit(event, batch);
        return true;
      },
    }),
  };
  return {
    io: io as unknown as ParleyServer,
    connect(userId: number) {
      const socketId = `socket-${userId}`;
      sockets.set(socketId, {
        data: { userId },
        emit: (_event, batch) => {
          heard.set(userId, [...(heard.get(userId) ?? []), ...batch]);
          return true;
        },
      });
      for (const room of [rooms.conversation(CONVERSATION), rooms.user(userId)])
        roomMembers.set(room, new Set([...(roomMembers.get(room) ?? []), socketId]));
    },
    /** The statuses the other processes were sent about `userId`, in order. */
    statusesSentToOthers: (userId: number) =>
      toOthers.filter((presence) => presence.userId === userId).map((p) => p.status),
    /** The statuses `listener` was told about `userId`, in order. */
    statusesHeard: (listener: number, userId: number) =>
      (heard.get(listener) ?? []).filter((presence) => presence.userId === userId).map((p) => p.status),
  };
}

/**
 * Every user shares CONVERSATION; nobody was ever seen before. `hold` names the read whose first
 * call waits for the test.
 */
function standInDatabase(hold: 'lastSeen' | 'audiences' | null = null) {
  const lastSeen = holdFirstCall(
    hold === 'lastSeen',
    async ({ where }: { where: { id: { in: number[] } } }) =>
      where.id.in.map((id) => ({ id, lastSeenAt: null })),
  );
  const audiences = holdFirstCall(
    hold === 'audiences',
    async (userIds: number[]) =>
      new Map(userIds.map((userId) => [userId, { conversationIds: [CONVERSATION], watchedIds: [] }])),
  );
  /** The users whose lastSeenAt was written, in order. */
  const lastSeenStored: number[] = [];
  const updateMany = async ({ where }: { where: { id: { in: number[] } } }) => {
    lastSeenStored.push(...new Set(where.id.in));
    return { count: 0 };
  };
  const prisma = { user: { findMany: lastSeen.fn, updateMany } };
  const conversations = {
    contactsOf: async () => ({ contactIds: [], directPeers: new Map() }),
    presenceAudiencesOf: audiences.fn,
    membersOf: async () => [ALICE, BOB, CAROL],
  };
  return { prisma: prisma as unknown as PrismaClient, conversations, lastSeen, audiences, lastSeenStored };
}

const services: PresenceService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((service) => service.close()));
});

function startService(
  io: ParleyServer,
  database: ReturnType<typeof standInDatabase>,
  options: {
    shared?: PresenceStore;
    leaseRefreshMs?: number;
    onOffline?: (userIds: number[], at: Date) => void;
    crossProcess?: boolean;
  } = {},
) {
  const service = createPresenceService({
    io,
    prisma: database.prisma,
    conversations: database.conversations,
    shared: options.shared ?? null,
    crossProcess: options.crossProcess ?? false,
    log: silentLog,
    batchMs: BATCH_MS,
    eagerMaxMembers: 100,
    leaseRefreshMs: options.leaseRefreshMs ?? 60_000,
    onOffline: options.onOffline,
  });
  services.push(service);
  return service;
}

/** Carol changes and Alice hears it: whatever Alice was to be told before it has been delivered. */
async function barrier(
  service: PresenceService,
  server: ReturnType<typeof standInServer>,
  status: TabStatus,
) {
  await service.tabChanged(CAROL, 'carol-tab', status);
  await waitUntil(() => server.statusesHeard(ALICE, CAROL).at(-1) === status, "Alice hearing Carol's change");
}

/** Long enough for a later window to have run, had it not waited for the one before. */
const windowsPass = () => new Promise((resolve) => setTimeout(resolve, BATCH_MS * 4));

describe("the presence service's windows", () => {
  it('tells a socket the newest status last, even when an earlier window waits longer for the database', async () => {
    const server = standInServer();
    const database = standInDatabase('audiences');
    server.connect(ALICE);
    const service = startService(server.io, database);

    await service.tabChanged(BOB, 'bob-tab', 'online');
    await waitUntil(database.audiences.called, "the first window's audience query");
    await service.tabClosed(BOB, 'bob-tab');
    await windowsPass();
    database.audiences.release();
    await barrier(service, server, 'online');

    expect(server.statusesHeard(ALICE, BOB).at(-1)).toBe('offline');
  });

  it('never brings back, with an introduction, a status older than a change already told', async () => {
    const server = standInServer();
    const database = standInDatabase('lastSeen');
    server.connect(ALICE);
    const service = startService(server.io, database);

    // Bob, offline and never seen, is introduced; his last-seen read is slow.
    service.introduce(CONVERSATION, [ALICE, BOB]);
    await waitUntil(database.lastSeen.called, "the introduction's last-seen read");
    await service.tabChanged(BOB, 'bob-tab', 'online');
    await windowsPass();
    database.lastSeen.release();
    await barrier(service, server, 'online');

    expect(server.statusesHeard(ALICE, BOB).at(-1)).toBe('online');
  });
});

describe("the presence service's offline hook", () => {
  it('tells once per window of everyone whose last tab closed in it, someone who came and went included, and not someone with a tab left', async () => {
    const server = standInServer();
    server.connect(ALICE);
    const calls: number[][] = [];
    const service = startService(server.io, standInDatabase(), {
      onOffline: (userIds) => calls.push([...userIds].sort()),
    });
    await service.tabChanged(BOB, 'bob-tab', 'online');
    await service.tabChanged(CAROL, 'carol-tab', 'online');
    await service.tabChanged(CAROL, 'carol-other-tab', 'online');
    await waitUntil(() => server.statusesHeard(ALICE, CAROL).length > 0, 'Bob and Carol online');

    await Promise.all([service.tabClosed(BOB, 'bob-tab'), service.tabClosed(CAROL, 'carol-tab')]);
    await waitUntil(() => server.statusesHeard(ALICE, BOB).at(-1) === 'offline', 'Bob offline');
    expect(calls).toEqual([[BOB]]);

    await service.tabClosed(CAROL, 'carol-other-tab');
    await waitUntil(() => server.statusesHeard(ALICE, CAROL).at(-1) === 'offline', 'Carol offline');
    expect(calls).toEqual([[BOB], [CAROL]]);

    // Bob comes and goes within one window: nobody hears of it, but he left all the same.
    await service.tabChanged(BOB, 'bob-tab', 'online');
    await service.tabClosed(BOB, 'bob-tab');
    await waitUntil(() => calls.length === 3, 'the next window');
    expect(calls).toEqual([[BOB], [CAROL], [BOB]]);
    expect(server.statusesHeard(ALICE, BOB)).toEqual(['online', 'offline']);
  });
});

describe("the presence service's close", () => {
  it('runs a last window for the tabs closed just before it, and schedules nothing after it', async () => {
    const server = standInServer();
    server.connect(ALICE);
    const database = standInDatabase();
    const offline: number[][] = [];
    const service = startService(server.io, database, {
      crossProcess: true,
      onOffline: (userIds) => offline.push([...userIds]),
    });
    await service.tabChanged(BOB, 'bob-tab', 'online');
    await waitUntil(() => server.statusesHeard(ALICE, BOB).at(-1) === 'online', 'Bob online');

    // A shutdown disconnects every socket here, then closes presence before the window is due.
    const closing = service.tabClosed(BOB, 'bob-tab');
    await service.close();
    await closing;
    expect(server.statusesSentToOthers(BOB)).toEqual(['online', 'offline']);
    expect(offline).toEqual([[BOB]]);
    expect(database.lastSeenStored).toContain(BOB);

    // A socket that goes after close() schedules no window: nothing would be left to run it.
    vi.useFakeTimers();
    try {
      await service.tabClosed(CAROL, 'carol-tab');
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("the presence service's lease renewals", () => {
  const keyPrefix = `parley-test:presence-windows:${process.pid}:${Date.now()}:`;
  afterEach(async () => deleteRedisKeys(keyPrefix));

  it('do not bring back a tab closed while they are being written', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const store = new RedisPresenceStore(redis, keyPrefix, 60_000);
      let service: PresenceService | null = null;
      let armed = false;
      let closing: Promise<void> | null = null;
      // The second tab closes just as a renewal starts writing.
      const closeAsRenewalStarts = () => {
        if (!armed || !service) return;
        armed = false;
        closing = service.tabClosed(BOB, 'bob-second-tab');
      };
      const shared: PresenceStore = {
        setTab: (userId, socketId, status) => {
          closeAsRenewalStarts();
          return store.setTab(userId, socketId, status);
        },
        renewTabs: (tabs: readonly LiveTab[]) => {
          closeAsRenewalStarts();
          return store.renewTabs(tabs);
        },
        removeTab: (userId, socketId) => store.removeTab(userId, socketId),
        statusOf: (userIds) => store.statusOf(userIds),
        liveAmong: (userIds) => store.liveAmong(userIds),
      };
      const server = standInServer();
      service = startService(server.io, standInDatabase(), { shared, leaseRefreshMs: 25 });
      await service.tabChanged(BOB, 'bob-first-tab', 'online');
      await service.tabChanged(BOB, 'bob-second-tab', 'online');
      armed = true;
      await waitUntil(() => closing !== null, 'a lease renewal');
      await closing;
      // Written after whatever that renewal sent: once it is stored, so is all of the renewal.
      await service.tabChanged(BOB, 'bob-first-tab', 'away');

      expect(Object.keys(await redis.hgetall(`${keyPrefix}presence:${BOB}`))).toEqual(['bob-first-tab']);
    } finally {
      redis.disconnect();
    }
  });
});
