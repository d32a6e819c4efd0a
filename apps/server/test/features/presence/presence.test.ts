import { ErrorCode, type Presence } from '@parley/shared';
import * as mariadb from 'mariadb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../../src/db/migrate.js';
import {
  ackCode,
  collectEvents,
  connectSocketListening,
  createGroup,
  nextEvent,
  nextLog,
  okData,
  openDirect,
  startSecondProcess,
  startTestServer,
  waitUntil,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';
import { TEST_DATABASE_SERVER_URL } from '../../helpers/database.js';
import { groupCall } from '../../helpers/groups.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { WAIT_CAP_MS } from '../../helpers/waits.js';

/** Short batches keep the tests fast. */
const BATCH_MS = 100;
/** Many sign-ups from one address: not what the registration limit is about here. */
const TEST_ENV = { PRESENCE_BATCH_MS: String(BATCH_MS), AUTH_RATE_LIMIT_PER_IP: '10000' };

/** The statuses announced for one user, in order, across every presence:changes received. */
const statusesOf = (updates: Presence[][], userId: number) =>
  updates
    .flat()
    .filter((update) => update.userId === userId)
    .map((update) => update.status);

/**
 * Connects a socket that records its presence:snapshot and every presence:changes. Close the
 * socket yourself.
 */
async function watch(
  url: string,
  cookie: string,
): Promise<{ socket: ClientSocket; snapshot: Presence[]; updates: Presence[][] }> {
  const updates: Presence[][] = [];
  let snapshot: Presence[] | null = null;
  const socket = await connectSocketListening(url, cookie, (s) => {
    s.on('presence:snapshot', (presences) => (snapshot = presences));
    s.on('presence:changes', (changes) => updates.push(changes));
  });
  await waitUntil(() => snapshot !== null, 'presence snapshot');
  return { socket, snapshot: snapshot!, updates };
}

async function waitForStatus(
  updates: Presence[][],
  userId: number,
  status: Presence['status'],
): Promise<Presence> {
  await waitUntil(() => statusesOf(updates, userId).includes(status), `${status} for user ${userId}`);
  return updates.flat().find((update) => update.userId === userId && update.status === status)!;
}

/** A contact of the watcher, online, whose own changes serve as barriers. */
interface Barrier {
  user: TestUser;
  tab: ClientSocket;
}

/**
 * Changes the barrier contact's status and waits until the watcher hears it. Presence changes are
 * announced in windows, in order: once the barrier's change is heard, any change made before it
 * (acknowledged, or recorded before this call) has been announced too, so its absence is real.
 */
async function presenceBarrier(updates: Presence[][], barrier: Barrier): Promise<void> {
  const heard = statusesOf(updates, barrier.user.id);
  const next = heard.at(-1) === 'away' ? 'online' : 'away';
  okData(await barrier.tab.emitWithAck('presence:set', { status: next }));
  await waitUntil(() => statusesOf(updates, barrier.user.id).length > heard.length, 'the presence barrier');
}

/**
 * Closes a socket and waits until its server has taken it out (its disconnect handlers, which
 * record the tab as closed, run as it is removed).
 */
async function closedOnServer(t: TestServer, socket: ClientSocket): Promise<void> {
  const id = socket.id!;
  socket.close();
  await waitUntil(() => !t.server.io.of('/').sockets.has(id), 'the server to drop the socket');
}

/** How many presence:changes events since `from` told about this user. */
const eventsAbout = (updates: Presence[][], userId: number, from = 0) =>
  updates.slice(from).filter((batch) => batch.some((update) => update.userId === userId)).length;

describe('presence and typing', () => {
  let t: TestServer;
  const ownSockets = new Set<ClientSocket>();
  beforeAll(async () => {
    t = await startTestServer({ env: TEST_ENV });
  });
  afterEach(() => {
    for (const socket of ownSockets) socket.close();
    ownSockets.clear();
  });
  afterAll(async () => t.close());

  /**
   * Alice, who watches, and contacts sharing one group with her; with them one more contact, online,
   * for barriers (see presenceBarrier).
   */
  async function watcherWithContacts(count: number) {
    const alice = await t.signUp();
    const contacts: TestUser[] = [];
    for (let i = 0; i < count; i += 1) contacts.push(await t.signUp());
    const barrierUser = await t.signUp();
    // Alice is connected first and hears the group's introduction, so no introduction can reach her
    // later, in the middle of a test.
    const { socket: aliceSocket, updates } = await watch(t.url, alice.cookie);
    ownSockets.add(aliceSocket);
    const group = await createGroup(t, alice, [...contacts, barrierUser]);
    for (const contact of contacts) await waitForStatus(updates, contact.id, 'offline');
    const barrierTab = await t.connectSocket(barrierUser.cookie);
    ownSockets.add(barrierTab);
    await waitForStatus(updates, barrierUser.id, 'online');
    updates.length = 0;
    const barrier: Barrier = { user: barrierUser, tab: barrierTab };
    return { alice, contacts, group, aliceSocket, updates, barrier };
  }

  it('sends a newly connected socket its contacts online or away and every direct peer, not offline group-only contacts', async () => {
    const [alice, bob, carol, dave, erin, frank, stranger] = [
      await t.signUp(),
      await t.signUp(),
      await t.signUp(),
      await t.signUp(),
      await t.signUp(),
      await t.signUp(),
      await t.signUp(),
    ];
    await createGroup(t, alice, [bob, carol, dave]);
    await openDirect(t, alice, erin);
    await openDirect(t, frank, alice);
    // Erin, a direct peer, was last seen at a known moment (Prisma writes DATETIME in UTC).
    const erinSeen = '2026-11-30T22:45:12.345Z';
    await t.server.prisma.user.update({ where: { id: erin.id }, data: { lastSeenAt: new Date(erinSeen) } });
    await t.connectSocket(bob.cookie);
    const daveTab = await t.connectSocket(dave.cookie);
    okData(await daveTab.emitWithAck('presence:set', { status: 'away' }));
    await t.connectSocket(stranger.cookie);
    // Frank, another direct peer, has never been seen; Carol shares only the group and is offline.
    const { socket, snapshot } = await watch(t.url, alice.cookie);
    ownSockets.add(socket);
    expect([...snapshot].sort((a, b) => a.userId - b.userId)).toEqual(
      [
        { userId: alice.id, status: 'online', lastSeenAt: null },
        { userId: bob.id, status: 'online', lastSeenAt: null },
        { userId: dave.id, status: 'away', lastSeenAt: null },
        { userId: erin.id, status: 'offline', lastSeenAt: erinSeen },
        { userId: frank.id, status: 'offline', lastSeenAt: null },
      ].sort((a, b) => a.userId - b.userId),
    );
    expect(snapshot.some((presence) => presence.userId === carol.id)).toBe(false);
    expect(snapshot.some((presence) => presence.userId === stranger.id)).toBe(false);
  });

  it('lists a direct peer who is online once, as online', async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    await openDirect(t, alice, bob);
    await createGroup(t, alice, [bob]);
    await t.connectSocket(bob.cookie);
    const { socket, snapshot } = await watch(t.url, alice.cookie);
    ownSockets.add(socket);
    expect(snapshot.filter((presence) => presence.userId === bob.id)).toEqual([
      { userId: bob.id, status: 'online', lastSeenAt: null },
    ]);
  });

  it('sends an empty snapshot to someone with no conversations', async () => {
    const loner = await t.signUp();
    const { socket, snapshot } = await watch(t.url, loner.cookie);
    ownSockets.add(socket);
    expect(snapshot).toEqual([]);
  });

  it('introduces the members of a new conversation to each other, already connected ones included', async () => {
    const { alice, updates, barrier } = await watcherWithContacts(0);
    const bob = await t.signUp();
    // Bob's snapshot comes once his coming online is recorded.
    const bobTab = await watch(t.url, bob.cookie);
    ownSockets.add(bobTab.socket);
    // Strangers so far: Bob coming online told Alice nothing.
    await presenceBarrier(updates, barrier);
    expect(statusesOf(updates, bob.id)).toEqual([]);

    await createGroup(t, alice, [bob]);
    expect(await waitForStatus(updates, bob.id, 'online')).toEqual({
      userId: bob.id,
      status: 'online',
      lastSeenAt: null,
    });
  });

  it('tells contacts when someone comes online', async () => {
    const { contacts, updates } = await watcherWithContacts(1);
    const bob = contacts[0]!;
    await t.connectSocket(bob.cookie);
    expect(await waitForStatus(updates, bob.id, 'online')).toEqual({
      userId: bob.id,
      status: 'online',
      lastSeenAt: null,
    });
  });

  it('keeps a user with two tabs online until both close, then says offline with lastSeenAt', async () => {
    const { alice, contacts, updates, barrier } = await watcherWithContacts(1);
    const bob = contacts[0]!;
    const [tab1, tab2] = [await t.connectSocket(bob.cookie), await t.connectSocket(bob.cookie)];
    await waitForStatus(updates, bob.id, 'online');

    await closedOnServer(t, tab1);
    await presenceBarrier(updates, barrier);
    expect(statusesOf(updates, bob.id)).toEqual(['online']);

    const closedAt = Date.now();
    tab2.close();
    const offline = await waitForStatus(updates, bob.id, 'offline');
    expect(offline.lastSeenAt).not.toBeNull();
    expect(Math.abs(new Date(offline.lastSeenAt!).getTime() - closedAt)).toBeLessThan(2_000);
    expect(statusesOf(updates, bob.id)).toEqual(['online', 'offline']);

    // The watcher's next tab is not told about Bob, a group-only contact now offline: left out
    // of the snapshot, he is offline.
    const later = await watch(t.url, alice.cookie);
    later.socket.close();
    expect(later.snapshot.some((presence) => presence.userId === bob.id)).toBe(false);
    expect(later.snapshot.some((presence) => presence.userId === barrier.user.id)).toBe(true);
  });

  // Each idle socket used to hold a presence closure and a companion closure (with their contexts)
  // for its whole life; the memory per idle connection is what issue 7 measures.
  it('gives every socket the same disconnect listeners, no closure of its own', async () => {
    const [bob, carol] = [await t.signUp(), await t.signUp()];
    const tabs = [await t.connectSocket(bob.cookie), await t.connectSocket(carol.cookie)];
    for (const tab of tabs) ownSockets.add(tab);
    const ids = new Set(tabs.map((tab) => tab.id));
    const onServer = [...t.server.io.of('/').sockets.values()].filter((socket) => ids.has(socket.id));
    expect(onServer).toHaveLength(2);
    const [first, second] = onServer.map((socket) => socket.listeners('disconnect'));
    expect(first!.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
    expect(second!.every((listener, index) => listener === first![index])).toBe(true);
  });

  it('tells a newly connected tab when a direct peer it shares no group with was last seen', async () => {
    const { alice, updates } = await watcherWithContacts(0);
    const bob = await t.signUp();
    await openDirect(t, alice, bob);
    await waitForStatus(updates, bob.id, 'offline'); // the introduction
    updates.length = 0;
    const bobTab = await t.connectSocket(bob.cookie);
    await waitForStatus(updates, bob.id, 'online');
    bobTab.close();
    const offline = await waitForStatus(updates, bob.id, 'offline');
    expect(offline.lastSeenAt).not.toBeNull();

    const later = await watch(t.url, alice.cookie);
    later.socket.close();
    expect(later.snapshot.filter((presence) => presence.userId === bob.id)).toEqual([offline]);
  });

  it('is away only while every tab is away, and online again as soon as one tab is active', async () => {
    const { contacts, updates, barrier } = await watcherWithContacts(1);
    const bob = contacts[0]!;
    const [tab1, tab2] = [await t.connectSocket(bob.cookie), await t.connectSocket(bob.cookie)];
    await waitForStatus(updates, bob.id, 'online');

    expect(await tab1.emitWithAck('presence:set', { status: 'away' })).toEqual({ ok: true, data: null });
    await presenceBarrier(updates, barrier);
    expect(statusesOf(updates, bob.id)).toEqual(['online']);

    okData(await tab2.emitWithAck('presence:set', { status: 'away' }));
    await waitForStatus(updates, bob.id, 'away');
    okData(await tab1.emitWithAck('presence:set', { status: 'online' }));
    await waitUntil(() => statusesOf(updates, bob.id).length === 3, 'online again');
    expect(statusesOf(updates, bob.id)).toEqual(['online', 'away', 'online']);
    expect(updates.flat().at(-1)).toEqual({ userId: bob.id, status: 'online', lastSeenAt: null });
  });

  it('sends several rapid changes of one user within a window as one update with where they ended', async () => {
    const { contacts, updates, barrier } = await watcherWithContacts(1);
    const bob = contacts[0]!;
    const tab = await t.connectSocket(bob.cookie);
    await waitForStatus(updates, bob.id, 'online');
    const eventsBefore = updates.length;

    const changes = (['away', 'online', 'away', 'online', 'away'] as const).map((status) =>
      tab.emitWithAck('presence:set', { status }),
    );
    for (const ack of await Promise.all(changes)) expect(ack.ok).toBe(true);
    await waitForStatus(updates, bob.id, 'away');
    await presenceBarrier(updates, barrier);
    expect(eventsAbout(updates, bob.id, eventsBefore)).toBe(1);
    expect(statusesOf(updates, bob.id)).toEqual(['online', 'away']);
  });

  it('announces nothing when a change is undone within the window', async () => {
    const { contacts, updates, barrier } = await watcherWithContacts(1);
    const bob = contacts[0]!;
    const tab = await t.connectSocket(bob.cookie);
    await waitForStatus(updates, bob.id, 'online');
    await Promise.all([
      tab.emitWithAck('presence:set', { status: 'away' }),
      tab.emitWithAck('presence:set', { status: 'online' }),
    ]);
    await presenceBarrier(updates, barrier);
    expect(statusesOf(updates, bob.id)).toEqual(['online']);
  });

  it('gathers changes of several users within a window into one event', async () => {
    const { contacts, updates, barrier } = await watcherWithContacts(3);
    const tabs = await Promise.all(contacts.map((contact) => t.connectSocket(contact.cookie)));
    for (const contact of contacts) await waitForStatus(updates, contact.id, 'online');
    const eventsBefore = updates.length;

    await Promise.all(tabs.map((tab) => tab.emitWithAck('presence:set', { status: 'away' })));
    await waitUntil(
      () => contacts.every((contact) => statusesOf(updates, contact.id).includes('away')),
      'all away',
    );
    await presenceBarrier(updates, barrier);
    const told = updates
      .slice(eventsBefore)
      .filter((batch) => contacts.some((contact) => batch.some((update) => update.userId === contact.id)));
    expect(told).toHaveLength(1);
    expect(
      told[0]!
        .filter((update) => update.userId !== barrier.user.id)
        .map((update) => update.userId)
        .sort(),
    ).toEqual(contacts.map((contact) => contact.id).sort());
  });

  it('tells a watcher of a contact shared through two conversations once, in one event', async () => {
    const [alice, bob, carol, dave, eve] = [
      await t.signUp(),
      await t.signUp(),
      await t.signUp(),
      await t.signUp(),
      await t.signUp(),
    ];
    const { socket: aliceSocket, updates } = await watch(t.url, alice.cookie);
    ownSockets.add(aliceSocket);
    await createGroup(t, alice, [bob, carol, eve]);
    await createGroup(t, alice, [bob, dave], 'Elsewhere');
    await waitForStatus(updates, dave.id, 'offline');
    await waitForStatus(updates, eve.id, 'offline');
    updates.length = 0;

    await Promise.all([bob, carol, dave].map((user) => t.connectSocket(user.cookie)));
    for (const user of [bob, carol, dave]) await waitForStatus(updates, user.id, 'online');
    // Eve comes online after them: her event is the barrier after which nothing of theirs can still come.
    await t.connectSocket(eve.cookie);
    await waitForStatus(updates, eve.id, 'online');

    const beforeEve = updates.slice(
      0,
      updates.findIndex((batch) => batch.some((presence) => presence.userId === eve.id)),
    );
    // Bob is in both conversations: one room broadcast each would have told Alice twice.
    expect(statusesOf(beforeEve, bob.id)).toEqual(['online']);
    for (const batch of beforeEve) {
      expect(new Set(batch.map((presence) => presence.userId)).size).toBe(batch.length);
    }
  });

  it("does not tell a user's tabs about the user's own comings and goings", async () => {
    const { alice, contacts } = await watcherWithContacts(1);
    const { socket: firstTab, updates } = await watch(t.url, alice.cookie);
    ownSockets.add(firstTab);
    const secondTab = await t.connectSocket(alice.cookie);
    okData(await secondTab.emitWithAck('presence:set', { status: 'away' }));
    secondTab.close();
    // Bob's arrival is the barrier.
    await t.connectSocket(contacts[0]!.cookie);
    await waitForStatus(updates, contacts[0]!.id, 'online');
    expect(statusesOf(updates, alice.id)).toEqual([]);
  });

  it('tells only people who share a conversation with the user', async () => {
    const { contacts } = await watcherWithContacts(1);
    // The stranger watches too, with contacts of their own (one of them the barrier), none of Bob's.
    const stranger = await watcherWithContacts(0);
    const tab = await t.connectSocket(contacts[0]!.cookie);
    okData(await tab.emitWithAck('presence:set', { status: 'away' }));
    await closedOnServer(t, tab);
    await presenceBarrier(stranger.updates, stranger.barrier);
    expect(statusesOf(stranger.updates, contacts[0]!.id)).toEqual([]);
  });

  it('refuses a malformed presence:set with request/invalid and changes nothing', async () => {
    const { contacts, updates, barrier } = await watcherWithContacts(1);
    const tab = await t.connectSocket(contacts[0]!.cookie);
    await waitForStatus(updates, contacts[0]!.id, 'online');
    for (const payload of [
      { status: 'offline' },
      { status: 'AWAY' },
      {},
      { status: 'away', until: 5 },
      'away',
      null,
      [1],
    ]) {
      const ack = await tab.emitWithAck('presence:set', payload as never);
      expect(ackCode(ack), JSON.stringify(payload)).toBe(ErrorCode.Invalid);
    }
    await presenceBarrier(updates, barrier);
    expect(statusesOf(updates, contacts[0]!.id)).toEqual(['online']);
    expect(tab.connected).toBe(true);
  });

  it('relays typing:start and typing:stop to the other members only, not to any tab of the typer', async () => {
    const [alice, bob, carol, dave] = [
      await t.signUp(),
      await t.signUp(),
      await t.signUp(),
      await t.signUp(),
    ];
    const group = await createGroup(t, alice, [bob, carol]);
    const elsewhere = await createGroup(t, alice, [dave], 'Elsewhere');
    const [aliceTab, aliceOtherTab, bobSocket, carolSocket, daveSocket] = await Promise.all(
      [alice, alice, bob, carol, dave].map((user) => t.connectSocket(user.cookie)),
    );
    const typerHeard = collectEvents(aliceTab!, 'typing:update');
    const otherTabHeard = collectEvents(aliceOtherTab!, 'typing:update');
    const daveHeard = collectEvents(daveSocket!, 'typing:update');

    const bobHears = nextEvent(bobSocket!, 'typing:update');
    const carolHears = nextEvent(carolSocket!, 'typing:update');
    expect(await aliceTab!.emitWithAck('typing:start', { conversationId: group.id })).toEqual({
      ok: true,
      data: null,
    });
    const started = { conversationId: group.id, userId: alice.id, typing: true };
    expect(await bobHears).toEqual(started);
    expect(await carolHears).toEqual(started);

    const bobHearsStop = nextEvent(bobSocket!, 'typing:update');
    okData(await aliceTab!.emitWithAck('typing:stop', { conversationId: group.id }));
    expect(await bobHearsStop).toEqual({ ...started, typing: false });

    // Barriers: Bob typing in the group reaches Alice's tabs, Alice typing elsewhere reaches Dave,
    // each after anything sent to them before.
    const bobTyping = { conversationId: group.id, userId: bob.id, typing: true };
    okData(await bobSocket!.emitWithAck('typing:start', { conversationId: group.id }));
    await waitUntil(() => typerHeard.length > 0 && otherTabHeard.length > 0, "Bob's typing");
    okData(await aliceTab!.emitWithAck('typing:start', { conversationId: elsewhere.id }));
    await waitUntil(() => daveHeard.length > 0, "Alice's typing elsewhere");
    expect(typerHeard).toEqual([bobTyping]);
    expect(otherTabHeard).toEqual([bobTyping]);
    expect(daveHeard).toEqual([{ conversationId: elsewhere.id, userId: alice.id, typing: true }]);
  });

  it('refuses typing in a conversation one is not a member of, or that does not exist, alike', async () => {
    const [alice, bob, mallory] = [await t.signUp(), await t.signUp(), await t.signUp()];
    const group = await createGroup(t, alice, [bob]);
    const [aliceSocket, bobSocket, mallorySocket] = [
      await t.connectSocket(alice.cookie),
      await t.connectSocket(bob.cookie),
      await t.connectSocket(mallory.cookie),
    ];
    const bobHeard = collectEvents(bobSocket, 'typing:update');
    for (const event of ['typing:start', 'typing:stop'] as const) {
      expect(ackCode(await mallorySocket.emitWithAck(event, { conversationId: group.id }))).toBe(
        ErrorCode.ConversationNotFound,
      );
      expect(ackCode(await mallorySocket.emitWithAck(event, { conversationId: 987_654 }))).toBe(
        ErrorCode.ConversationNotFound,
      );
    }
    // The barrier: Alice's typing reaches Bob after anything sent to him before.
    okData(await aliceSocket.emitWithAck('typing:start', { conversationId: group.id }));
    await waitUntil(() => bobHeard.length > 0, "Alice's typing");
    expect(bobHeard).toEqual([{ conversationId: group.id, userId: alice.id, typing: true }]);
  });

  it.each<[string, unknown]>([
    ['a string conversationId', { conversationId: '1' }],
    ['a missing conversationId', {}],
    ['an unknown field', { conversationId: 1, text: 'hello' }],
    ['a non-object payload', 42],
  ])('refuses typing with %s (request/invalid)', async (_case, payload) => {
    const user = await t.signUp();
    const socket = await t.connectSocket(user.cookie);
    for (const event of ['typing:start', 'typing:stop'] as const) {
      expect(ackCode(await socket.emitWithAck(event, payload as never))).toBe(ErrorCode.Invalid);
    }
    expect(socket.connected).toBe(true);
  });
});

describe('presence in groups larger than PRESENCE_EAGER_MAX_MEMBERS', () => {
  let t: TestServer;
  const ownSockets = new Set<ClientSocket>();
  beforeAll(async () => {
    // Groups of four or more are large here.
    t = await startTestServer({ env: { ...TEST_ENV, PRESENCE_EAGER_MAX_MEMBERS: '3' } });
  });
  afterEach(() => {
    for (const socket of ownSockets) socket.close();
    ownSockets.clear();
  });
  afterAll(async () => t.close());

  /**
   * Alice in a large group with Bob, Carol and Dave, Bob online; Erin, her direct peer, online, for
   * barriers. Alice connects after the group exists.
   */
  async function largeGroupScene() {
    const [alice, bob, carol, dave, erin] = [
      await t.signUp(),
      await t.signUp(),
      await t.signUp(),
      await t.signUp(),
      await t.signUp(),
    ];
    const group = await createGroup(t, alice, [bob, carol, dave]);
    await openDirect(t, alice, erin);
    const bobTab = await t.connectSocket(bob.cookie);
    const erinTab = await t.connectSocket(erin.cookie);
    ownSockets.add(bobTab).add(erinTab);
    const { socket: aliceSocket, snapshot, updates } = await watch(t.url, alice.cookie);
    ownSockets.add(aliceSocket);
    const barrier: Barrier = { user: erin, tab: erinTab };
    return { alice, bob, carol, dave, erin, group, aliceSocket, snapshot, updates, barrier };
  }

  it('leaves its members out of the snapshot and of the changes until the group is watched', async () => {
    const { alice, bob, carol, erin, snapshot, updates, barrier } = await largeGroupScene();
    // Alice herself and her direct peer; not Bob, online, whom she meets only in the large group.
    expect(snapshot.map((presence) => presence.userId).sort((a, b) => a - b)).toEqual([alice.id, erin.id]);
    ownSockets.add(await t.connectSocket(carol.cookie));
    await presenceBarrier(updates, barrier);
    expect(statusesOf(updates, carol.id)).toEqual([]);
    expect(statusesOf(updates, bob.id)).toEqual([]);
  });

  it('tells a socket that watches it who is online, then their changes, until it stops watching', async () => {
    const { alice, bob, carol, dave, group, aliceSocket, updates, barrier } = await largeGroupScene();
    const carolTab = await t.connectSocket(carol.cookie);
    ownSockets.add(carolTab);
    const watched = okData(await aliceSocket.emitWithAck('presence:watch', { conversationId: group.id }));
    expect(watched.map(({ userId, status }) => [userId, status]).sort()).toEqual(
      [
        [alice.id, 'online'],
        [bob.id, 'online'],
        [carol.id, 'online'],
      ].sort(),
    );
    // Alice's other tabs are not told: only this socket watches.
    const otherTab = await watch(t.url, alice.cookie);
    ownSockets.add(otherTab.socket);

    const daveTab = await t.connectSocket(dave.cookie);
    ownSockets.add(daveTab);
    await waitForStatus(updates, dave.id, 'online');
    okData(await carolTab.emitWithAck('presence:set', { status: 'away' }));
    await waitForStatus(updates, carol.id, 'away');
    await presenceBarrier(otherTab.updates, barrier);
    expect(statusesOf(otherTab.updates, dave.id)).toEqual([]);

    expect(okData(await aliceSocket.emitWithAck('presence:watch', { conversationId: null }))).toEqual([]);
    okData(await daveTab.emitWithAck('presence:set', { status: 'away' }));
    await presenceBarrier(updates, barrier);
    expect(statusesOf(updates, dave.id)).toEqual(['online']);
  });

  it('stops telling a watcher removed from the group', async () => {
    const { alice, bob, carol, group } = await largeGroupScene();
    // Bob's barrier: Frank, his direct peer, online.
    const frank = await t.signUp();
    await openDirect(t, bob, frank);
    const frankTab = await t.connectSocket(frank.cookie);
    ownSockets.add(frankTab);
    const bobWatching = await watch(t.url, bob.cookie);
    ownSockets.add(bobWatching.socket);
    okData(await bobWatching.socket.emitWithAck('presence:watch', { conversationId: group.id }));
    const carolTab = await t.connectSocket(carol.cookie);
    ownSockets.add(carolTab);
    await waitForStatus(bobWatching.updates, carol.id, 'online');

    await groupCall(t, alice, 'DELETE', `/api/conversations/${group.id}/members/${bob.id}`);
    okData(await carolTab.emitWithAck('presence:set', { status: 'away' }));
    await presenceBarrier(bobWatching.updates, { user: frank, tab: frankTab });
    expect(statusesOf(bobWatching.updates, carol.id)).toEqual(['online']);
  });

  it('refuses to watch a group one is not a member of, or one that does not exist, alike', async () => {
    const { group } = await largeGroupScene();
    const stranger = await t.signUp();
    const tab = await t.connectSocket(stranger.cookie);
    ownSockets.add(tab);
    expect(ackCode(await tab.emitWithAck('presence:watch', { conversationId: group.id }))).toBe(
      ErrorCode.ConversationNotFound,
    );
    expect(ackCode(await tab.emitWithAck('presence:watch', { conversationId: 2_000_000_000 }))).toBe(
      ErrorCode.ConversationNotFound,
    );
  });
});

describe('presence across server processes sharing Redis', () => {
  let t: TestServer;
  beforeAll(async () => {
    // Groups of four or more are large here (the first test's group of three is not).
    t = await startTestServer({ redis: true, env: { ...TEST_ENV, PRESENCE_EAGER_MAX_MEMBERS: '3' } });
  });
  afterAll(async () => t.close());

  it('tells a socket watching a large group on one process of a member who comes online on the other', async () => {
    const second = await startSecondProcess(t);
    try {
      const [alice, bob, carol, dave] = [
        await t.signUp(),
        await t.signUp(),
        await t.signUp(),
        await t.signUp(),
      ];
      const group = await createGroup(t, alice, [bob, carol, dave]);
      const { socket: aliceSocket, updates } = await watch(t.url, alice.cookie);
      okData(await aliceSocket.emitWithAck('presence:watch', { conversationId: group.id }));
      const bobThere = (await watch(second.url, bob.cookie)).socket;
      await waitForStatus(updates, bob.id, 'online');
      bobThere.close();
      await waitForStatus(updates, bob.id, 'offline');
      aliceSocket.close();
    } finally {
      await second.close();
    }
  });

  it('keeps a user with one tab on each process online until both close, and sees them back on either', async () => {
    const second = await startSecondProcess(t);
    try {
      const [alice, bob, carol] = [await t.signUp(), await t.signUp(), await t.signUp()];
      // Alice is connected first and hears the group's introduction (Bob offline), so it cannot reach
      // her later, in the middle of the test.
      const { socket: aliceSocket, updates } = await watch(t.url, alice.cookie);
      await createGroup(t, alice, [bob, carol]);
      await waitForStatus(updates, bob.id, 'offline');
      updates.length = 0;
      // Carol, on the first process with Alice, is the barrier.
      const carolTab = await t.connectSocket(carol.cookie);
      await waitForStatus(updates, carol.id, 'online');

      const bobHere = await t.connectSocket(bob.cookie);
      await waitForStatus(updates, bob.id, 'online');
      // His snapshot comes once the second process has recorded his tab there.
      const bobThere = (await watch(second.url, bob.cookie)).socket;

      await closedOnServer(t, bobHere);
      await presenceBarrier(updates, { user: carol, tab: carolTab });
      expect(statusesOf(updates, bob.id)).not.toContain('offline');

      bobThere.close();
      const offline = await waitForStatus(updates, bob.id, 'offline');
      expect(offline.lastSeenAt).not.toBeNull();

      // Back on the first process, which last saw him online: his contacts must hear it.
      updates.length = 0;
      await t.connectSocket(bob.cookie);
      await waitForStatus(updates, bob.id, 'online');

      // The snapshot a socket on the second process gets agrees.
      const there = await watch(second.url, alice.cookie);
      there.socket.close();
      expect(there.snapshot.find((presence) => presence.userId === bob.id)?.status).toBe('online');
      aliceSocket.close();
    } finally {
      await second.close();
    }
  });
});

/**
 * Bob online, in a group with Alice, who watches (her updates cleared after Bob came online). Close
 * both sockets yourself.
 */
async function bobOnlineWatchedByAlice(t: TestServer) {
  const [alice, bob] = [await t.signUp(), await t.signUp()];
  const { socket: aliceSocket, updates } = await watch(t.url, alice.cookie);
  await createGroup(t, alice, [bob]);
  await waitForStatus(updates, bob.id, 'offline'); // the introduction
  updates.length = 0;
  const bobSocket = await t.connectSocket(bob.cookie);
  await waitForStatus(updates, bob.id, 'online');
  return { bob, bobSocket, aliceSocket, updates };
}

describe('presence while the database is away', () => {
  let t: TestServer;
  let proxy: TcpProxy;
  beforeAll(async () => {
    const target = new URL(TEST_DATABASE_SERVER_URL);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 3306) });
    t = await startTestServer({
      env: TEST_ENV,
      databaseUrl: (url) => {
        const proxied = new URL(url);
        proxied.hostname = proxy.host;
        proxied.port = String(proxy.port);
        return proxied.toString();
      },
    });
  });
  afterAll(async () => {
    proxy.restore();
    await t?.close();
    await proxy?.close();
  });

  it('announces a change whose window could not reach the database once it is back', async () => {
    const { bob, bobSocket, aliceSocket, updates } = await bobOnlineWatchedByAlice(t);

    // The window fails at least once (seen in the log, the only place it shows); then the database returns.
    const failed = nextLog(t.server, 'warn', 'presence flush failed; retrying next window');
    proxy.cut();
    bobSocket.close();
    await failed;
    proxy.restore();
    const offline = await waitForStatus(updates, bob.id, 'offline');
    expect(offline.lastSeenAt).not.toBeNull();
    aliceSocket.close();
  });
});

describe('presence when a lastSeenAt write fails', () => {
  let t: TestServer;
  let raw: mariadb.Connection;
  beforeAll(async () => {
    // A write waiting for a row the test holds fails after a second (a lock wait timeout).
    t = await startTestServer({ env: { ...TEST_ENV, DATABASE_LOCK_WAIT_TIMEOUT_S: '1' } });
    raw = await mariadb.createConnection(parseDatabaseUrl(t.config.databaseUrl));
  });
  afterAll(async () => {
    await raw?.end();
    await t?.close();
  });

  it('announces the change at once and stores lastSeenAt at a later window', async () => {
    const { bob, bobSocket, aliceSocket, updates } = await bobOnlineWatchedByAlice(t);

    // Bob's row is held: the window's UPDATE of his lastSeenAt fails (seen in the log).
    await raw.query('START TRANSACTION');
    await raw.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [bob.id]);
    const failed = nextLog(t.server, 'warn', 'presence: lastSeenAt not stored');
    try {
      bobSocket.close();
      await failed;
    } finally {
      await raw.query('ROLLBACK');
    }
    // The change was announced all the same...
    const offline = await waitForStatus(updates, bob.id, 'offline');
    expect(offline.lastSeenAt).not.toBeNull();
    // ...and the time it announced is stored once the row is free. Before, it was logged and lost.
    await expect
      .poll(
        async () => {
          // In ms since the epoch, by arithmetic: the column holds UTC, whatever the session's zone.
          const [row] = await raw.query<Array<{ ms: bigint | number | null }>>(
            `SELECT TIMESTAMPDIFF(MICROSECOND, '1970-01-01', lastSeenAt) DIV 1000 AS ms FROM users WHERE id = ?`,
            [bob.id],
          );
          return row?.ms === null || row?.ms === undefined ? null : Number(row.ms);
        },
        { timeout: WAIT_CAP_MS, interval: 100 },
      )
      .toBe(Date.parse(offline.lastSeenAt!));
    aliceSocket.close();
  });
});
