import { ErrorCode, type Conversation, type Presence, type TypingUpdate } from '@parley/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFailoverBalancer, type Balancer } from '../helpers/balancer.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { deleteRedisKeys } from '../helpers/redis-keys.js';
import { ServerProcess } from '../helpers/server-process.js';
import { TEST_REDIS_URL, type TestUser } from '../helpers/server.js';
import { expectEveryoneHoldsTheStoredConversation } from '../helpers/stored-conversation.js';
import { readStoredMessages, type StoredMessage } from '../helpers/stored-messages.js';
import { TestClient } from '../helpers/test-client.js';

const SIGNAL_BUDGET = 20;

/** A client with what it was told about presence and typing, besides its messages. */
interface Person {
  user: TestUser;
  client: TestClient;
  presence: Map<number, Presence['status']>;
  typing: TypingUpdate[];
}

// Two Parley processes on one database and one Redis, each behind its own balancer that fails over
// to the other: what a deployment of several processes looks like to its clients.
describe('two server processes', () => {
  let database: TestDatabase;
  let keyPrefix: string;
  let first: ServerProcess;
  let second: ServerProcess;
  const balancers: Balancer[] = [];
  const people: Person[] = [];
  let [alice, bob, carol, dave]: TestUser[] = [];
  let directId: number;
  let groupId: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    keyPrefix = `parley-test:${database.name}:`;
    const redis = { url: TEST_REDIS_URL, keyPrefix };
    // Room for bursts of messages; a small signal budget, to see it shared by the two processes.
    const env = { SOCKET_RATE_LIMIT: '2000', SOCKET_SIGNAL_RATE_LIMIT: String(SIGNAL_BUDGET) };
    first = await ServerProcess.start({ databaseUrl: database.url, redis, env });
    second = await ServerProcess.start({
      databaseUrl: database.url,
      redis,
      env,
      sessionSecret: first.sessionSecret,
    });
    balancers.push(
      await startFailoverBalancer([first.port, second.port]),
      await startFailoverBalancer([second.port, first.port]),
    );
    // Signed up on either process: a session made on one is good on the other.
    [alice, carol] = [await first.signUp(), await first.signUp()];
    [bob, dave] = [await second.signUp(), await second.signUp()];
    const direct = await first.http<{ conversation: Conversation }>('POST', '/api/conversations/direct', {
      cookie: alice!.cookie,
      body: { username: bob!.username },
    });
    expect(direct.status).toBe(201);
    directId = direct.body.conversation.id;
    groupId = await second.createGroup(dave!, [alice!, bob!, carol!]);
  });

  afterEach(({ task }) => {
    if (task.result?.state !== 'fail') return;
    for (const { client } of people) console.warn(`${client.name}:\n${client.journal.join('\n')}`);
    console.warn(`first process:\n${first.logs()}\nsecond process:\n${second.logs()}`);
  });

  afterAll(async () => {
    for (const { client } of people) client.close();
    await Promise.all(balancers.map((balancer) => balancer.close()));
    await Promise.all([first?.kill(), second?.kill()]);
    if (keyPrefix) await deleteRedisKeys(keyPrefix);
    await database?.drop();
  });

  /** Connects `user` through the balancer that prefers process `via` (0: first, 1: second). */
  async function connect(
    user: TestUser,
    name: string,
    via: 0 | 1,
    conversationIds = [directId, groupId],
  ): Promise<Person> {
    const client = new TestClient({
      url: balancers[via]!.url,
      cookie: user.cookie,
      conversationIds,
      name,
    });
    const person: Person = { user, client, presence: new Map(), typing: [] };
    client.client.on('presence:snapshot', (presences) => {
      person.presence.clear();
      for (const presence of presences) person.presence.set(presence.userId, presence.status);
    });
    client.client.on('presence', (changes) => {
      for (const change of changes) person.presence.set(change.userId, change.status);
    });
    client.client.on('typing', (update) => person.typing.push(update));
    people.push(person);
    await client.connect();
    return person;
  }

  const storedIn = async (conversationId: number): Promise<StoredMessage[]> =>
    (await readStoredMessages(database.url)).filter((row) => row.conversationId === conversationId);

  const expectEveryoneHoldsWhatIsStored = (conversationId: number, holders: Person[]) =>
    expectEveryoneHoldsTheStoredConversation(
      database.url,
      conversationId,
      holders.map((person) => person.client),
    );

  it('people on different processes talk in direct and group conversations, see each other online and typing', async () => {
    const a = await connect(alice!, 'alice on the first', 0);
    const b = await connect(bob!, 'bob on the second', 1);
    const c = await connect(carol!, 'carol on the first', 0);
    const d = await connect(dave!, 'dave on the second', 1);

    const hello = a.client.send(directId, 'hello bob, from the first process');
    await a.client.whenOutboxSettled();
    await expect.poll(() => b.client.messagesOf(directId).map((m) => m.text)).toEqual([hello.text]);
    expect(b.client.received.find((d) => d.message.id === hello.message!.id)?.via).toBe('live');
    b.client.send(directId, 'hello alice, from the second');
    for (const person of [a, b, c, d]) person.client.send(groupId, `${person.client.name} says hi`);
    await Promise.all([a, b, c, d].map((person) => person.client.whenOutboxSettled()));
    await expectEveryoneHoldsWhatIsStored(directId, [a, b]);
    await expectEveryoneHoldsWhatIsStored(groupId, [a, b, c, d]);
    // Live, across processes: nobody needed a catch-up to see the others' messages.
    for (const { client } of [a, b, c, d]) {
      expect(client.received.filter((d) => d.via === 'sync').map((d) => d.message.text)).toEqual([]);
    }

    // Presence: each is told the others are online, whichever process holds them.
    for (const person of [a, b, c, d]) {
      const others = [a, b, c, d].filter((other) => other !== person).map((other) => other.user.id);
      await expect
        // Presence goes out in windows (PRESENCE_BATCH_MS), one per process on the way.
        .poll(() => others.map((id) => person.presence.get(id)), {
          message: person.client.name,
        })
        .toEqual(others.map(() => 'online'));
    }
    // Typing on the first process shows on the second.
    await a.client.socket.emitWithAck('typing:start', { conversationId: groupId });
    await expect
      .poll(() => d.typing.some((t) => t.userId === alice!.id && t.typing && t.conversationId === groupId))
      .toBe(true);
    // Dave leaves the second process: the first process's people see him go offline.
    d.client.goOffline();
    for (const person of [a, b, c]) {
      await expect.poll(() => person.presence.get(dave!.id)).toBe('offline');
    }
    await d.client.connect();
    for (const person of [a, b, c]) {
      await expect.poll(() => person.presence.get(dave!.id)).toBe('online');
    }
  });

  it('both processes give the same unread counts, and a read on one shows on the other', async () => {
    const listFor = async (server: ServerProcess, user: TestUser) => {
      const response = await server.http<{ conversations: Conversation[] }>('GET', '/api/conversations', {
        cookie: user.cookie,
      });
      expect(response.status).toBe(200);
      return new Map(response.body.conversations.map((c) => [c.id, c.unreadCount]));
    };
    // A message Dave has not read, whatever order the last test's greetings were stored in: his own
    // send marks the group read up to it, and on a loaded machine his may have been stored last.
    const a = people.find((person) => person.user === alice)!;
    a.client.send(groupId, 'for dave to read');
    await a.client.whenOutboxSettled();
    const [onFirst, onSecond] = [await listFor(first, dave!), await listFor(second, dave!)];
    expect(onFirst).toEqual(onSecond);
    expect(onFirst.get(groupId)).toBeGreaterThan(0);

    const d = people.find((person) => person.user === dave)!;
    const lastSeq = (await storedIn(groupId)).at(-1)!.seq;
    const read = await d.client.socket.emitWithAck('conversation:read', {
      conversationId: groupId,
      seq: lastSeq,
    });
    expect(read).toMatchObject({ ok: true, data: { unreadCount: 0 } });
    expect((await listFor(first, dave!)).get(groupId)).toBe(0);
    expect((await listFor(second, dave!)).get(groupId)).toBe(0);
  });

  it('storing into one conversation from both processes at once never gives two messages one seq, nor stores one twice', async () => {
    const perPerson = 40;
    for (let i = 0; i < perPerson; i += 1) {
      for (const { client } of people) client.send(groupId, `${client.name} burst ${i}`);
    }
    await Promise.all(people.map(({ client }) => client.whenOutboxSettled(60_000)));
    for (const { client } of people) {
      expect(
        client.outbox.every((entry) => entry.state === 'sent'),
        client.name,
      ).toBe(true);
    }
    await expectEveryoneHoldsWhatIsStored(groupId, people);
    const stored = await storedIn(groupId);
    // Each person's messages are stored in the order they were written.
    for (const { client, user } of people) {
      const mine = client.outbox
        .filter((entry) => entry.conversationId === groupId)
        .map((e) => e.clientMsgId);
      expect(stored.filter((row) => row.senderId === user.id).map((row) => row.clientMsgId)).toEqual(mine);
    }
  });

  it('one budget per user across processes, and a sign-out on one process ends the session on the other', async () => {
    const eve = await first.signUp();
    // Eve is in no conversation: her tabs only send signals.
    const onFirst = await connect(eve, 'eve on the first', 0, []);
    const onSecond = await connect(eve, 'eve on the second', 1, []);
    const typing = (person: Person) =>
      person.client.socket.emitWithAck('typing:start', { conversationId: groupId });
    // Not a member: refused, but each attempt spends the budget first (as it does for anyone).
    const answers = [];
    for (let i = 0; i < SIGNAL_BUDGET; i += 1) answers.push(await typing(onFirst));
    expect(answers.every((answer) => !answer.ok && answer.error.code !== ErrorCode.RateLimited)).toBe(true);
    expect(await typing(onSecond)).toMatchObject({ ok: false, error: { code: ErrorCode.RateLimited } });

    const ended = new Promise((resolve) => onSecond.client.socket.once('session:ended', resolve));
    expect((await first.http('POST', '/api/auth/logout', { cookie: eve.cookie })).status).toBeLessThan(300);
    expect(await ended).toMatchObject({ code: ErrorCode.Unauthenticated });
    for (const person of [onFirst, onSecond]) {
      person.client.close();
      people.splice(people.indexOf(person), 1);
    }
  });

  it('when a process is killed, its people reconnect to the other and catch up: nothing lost, nothing twice', async () => {
    const [a, b, c, d] = ['alice', 'bob', 'carol', 'dave'].map((name) =>
      people.find((person) => person.client.name.startsWith(name))!,
    ) as [Person, Person, Person, Person];
    const connectsBefore = a.client.connects;
    // Everyone is writing when the first process dies; alice and carol are on it.
    for (let i = 0; i < 15; i += 1) {
      for (const person of [a, b, c, d]) person.client.send(groupId, `${person.client.name} crash ${i}`);
    }
    a.client.send(directId, 'alice, just before the crash');
    await first.kill();
    for (let i = 0; i < 5; i += 1) {
      b.client.send(directId, `bob while the first is down ${i}`);
      a.client.send(directId, `alice while the first is down ${i}`);
    }
    await Promise.all([a, b, c, d].map((person) => person.client.whenOutboxSettled(60_000)));
    expect(a.client.connects).toBeGreaterThan(connectsBefore);
    for (const { client } of [a, b, c, d]) {
      expect(
        client.outbox.every((entry) => entry.state === 'sent'),
        client.name,
      ).toBe(true);
    }
    await expectEveryoneHoldsWhatIsStored(groupId, [a, b, c, d]);
    await expectEveryoneHoldsWhatIsStored(directId, [a, b]);
    // Every message written was stored exactly once, in its author's order.
    const stored = [...(await storedIn(groupId)), ...(await storedIn(directId))];
    for (const { client, user } of [a, b, c, d]) {
      const written = client.outbox.map((entry) => entry.clientMsgId).sort();
      expect(
        stored
          .filter((row) => row.senderId === user.id)
          .map((row) => row.clientMsgId)
          .sort(),
        client.name,
      ).toEqual(written);
    }
    // Presence survives the move: the people who moved are online to those who never did.
    await expect
      .poll(() => [d.presence.get(alice!.id), d.presence.get(carol!.id)])
      .toEqual(['online', 'online']);
    expect(second.isRunning).toBe(true);
  });
  it('a process killed after storing a message but before acknowledging it: the retry on the other process gets the same message, delivered once', async () => {
    await first.start({ failpoints: ['message-send:after-commit'] });
    const phone = await connect(carol!, 'carol phone on the first', 0);
    const entry = phone.client.send(groupId, 'stored on the first, acknowledged by the second');
    expect(await first.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' });
    await phone.client.whenOutboxSettled(30_000);

    expect(entry.state).toBe('sent');
    const rows = (await storedIn(groupId)).filter((row) => row.clientMsgId === entry.clientMsgId);
    expect(rows.map((row) => row.id)).toEqual([entry.message!.id]);
    await expectEveryoneHoldsWhatIsStored(groupId, people);
    for (const { client } of people) {
      expect(
        client.received.filter((d) => d.message.id === entry.message!.id),
        client.name,
      ).toHaveLength(1);
    }
  });
});
