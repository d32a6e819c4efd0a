import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { useFaultScenario } from '../helpers/fault-scenario.js';
import { deleteRedisKeys } from '../helpers/redis-keys.js';
import { freePort, ServerProcess } from '../helpers/server-process.js';
import { TEST_REDIS_URL, type TestUser } from '../helpers/server.js';
import { readStoredMessages } from '../helpers/stored-messages.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

// Redis carries what processes share (socket rooms, limits, presence). Losing it must cost that
// sharing only: one process keeps serving its own clients.
describe('Redis unavailable', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let server: ServerProcess;
  let redisOptions: { url: string; keyPrefix: string };
  let keyPrefix: string;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let conversationId: number;

  const scenario = useFaultScenario({
    server: async (database) => {
      keyPrefix = `parley-test:${database.name}:`;
      const target = new URL(TEST_REDIS_URL);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
      const proxied = new URL(TEST_REDIS_URL);
      proxied.hostname = proxy.host;
      proxied.port = String(proxy.port);
      redisOptions = { url: proxied.toString(), keyPrefix };
      return { databaseUrl: database.url, redis: redisOptions };
    },
    cleanup: async () => {
      await proxy?.close();
      if (keyPrefix) await deleteRedisKeys(keyPrefix);
    },
  });
  const connectClient = (cookie: string, name: string, url = server.url) =>
    scenario.connect({ url, cookie, conversationIds: [conversationId], name });

  beforeAll(async () => {
    ({ database, server } = scenario);
    [alice, bob, carol] = [await server.signUp(), await server.signUp(), await server.signUp()];
    conversationId = await server.createGroup(alice, [bob, carol]);
  });

  afterEach(() => {
    proxy.restore();
  });

  it('keeps serving one process: sign-in, connecting, sending and live delivery work; /readyz says redis is down', async () => {
    const aliceClient = await connectClient(alice.cookie, 'alice');
    const bobClient = await connectClient(bob.cookie, 'bob');
    const carolClient = await connectClient(carol.cookie, 'carol');
    aliceClient.send(conversationId, 'before the outage');
    await aliceClient.whenOutboxSettled();
    await expect.poll(() => bobClient.messagesOf(conversationId).length).toBe(1);

    proxy.cut();
    carolClient.goOffline();

    expect((await server.http('GET', '/healthz')).status).toBe(200);
    const started = Date.now();
    expect(await server.http('GET', '/readyz')).toMatchObject({
      status: 503,
      body: { status: 'unavailable', checks: { database: 'up', redis: 'down' } },
    });
    expect(Date.now() - started).toBeLessThan(3_000);

    const login = await server.http('POST', '/api/auth/login', {
      body: { username: bob.username, password: 'correct horse battery' },
    });
    expect(login.status).toBe(200);
    expect(login.cookie).toBeTruthy();
    const bobPhone = await connectClient(login.cookie!, 'bob-phone');

    const sent = [
      aliceClient.send(conversationId, 'during the outage 1'),
      bobClient.send(conversationId, 'during the outage 2'),
    ];
    await Promise.all([aliceClient.whenOutboxSettled(15_000), bobClient.whenOutboxSettled(15_000)]);
    expect(sent.map((entry) => entry.state)).toEqual(['sent', 'sent']);
    const ids = sent.map((entry) => entry.message!.id);
    await expect
      .poll(() => bobPhone.messagesOf(conversationId).map((m) => m.id))
      .toEqual(expect.arrayContaining(ids));
    await expect
      .poll(() => aliceClient.messagesOf(conversationId).map((m) => m.id))
      .toEqual(expect.arrayContaining(ids));
    await expect
      .poll(() => bobClient.messagesOf(conversationId).map((m) => m.id))
      .toEqual(expect.arrayContaining(ids));
    expect(server.isRunning).toBe(true);
    expect(server.exits).toEqual([]);

    proxy.restore();
    await expect
      .poll(async () => (await server.http('GET', '/readyz')).body)
      .toMatchObject({ status: 'ready', checks: { redis: 'up' } });

    // Carol was away for all of it and catches up; everyone holds the same conversation.
    await carolClient.connect();
    aliceClient.send(conversationId, 'after the outage');
    await aliceClient.whenOutboxSettled();
    const stored = (await readStoredMessages(database.url)).filter(
      (row) => row.conversationId === conversationId,
    );
    expect(stored).toHaveLength(4);
    for (const client of [aliceClient, bobClient, carolClient, bobPhone]) {
      await expect
        .poll(() => client.messagesOf(conversationId).map((m) => m.id), {
          message: client.name,
        })
        .toEqual(stored.map((row) => row.id));
      expect(client.conflicts).toEqual([]);
    }
    expect(server.exits).toEqual([]);
  });

  it('lets clients of another process catch up on what they missed while Redis was away, once it is back', async () => {
    const second = await ServerProcess.start({
      databaseUrl: database.url,
      redis: redisOptions,
      sessionSecret: server.sessionSecret,
    });
    try {
      const aliceClient = await connectClient(alice.cookie, 'alice on the first process');
      const bobClient = await connectClient(bob.cookie, 'bob on the second process', second.url);
      const across = aliceClient.send(conversationId, 'across processes');
      await aliceClient.whenOutboxSettled();
      await expect
        .poll(() => bobClient.messagesOf(conversationId).map((m) => m.id))
        .toContain(across.message!.id);
      const bobConnects = bobClient.connects;

      proxy.cut();
      const missed = aliceClient.send(conversationId, 'published while redis was away');
      await aliceClient.whenOutboxSettled();
      expect(missed.state).toBe('sent');

      proxy.restore();
      await expect
        .poll(() => bobClient.messagesOf(conversationId).map((m) => m.id))
        .toContain(missed.message!.id);
      // The copy for the other process was lost with Redis: bob's process never announced it, and
      // he has it from catch-up only.
      const vias = bobClient.copiesOf(missed.message!.id).map((copy) => copy.via);
      expect(vias.length).toBeGreaterThan(0);
      expect(vias.every((via) => via === 'sync')).toBe(true);
      expect(bobClient.connects).toBeGreaterThan(bobConnects);
      expect(bobClient.conflicts).toEqual([]);
      // And live delivery across processes works again.
      const after = aliceClient.send(conversationId, 'across processes again');
      await aliceClient.whenOutboxSettled();
      await expect.poll(() => bobClient.copiesOf(after.message!.id).map((d) => d.via)).toContain('live');
      expect(second.exits).toEqual([]);
      expect(server.exits).toEqual([]);
    } finally {
      await second.kill();
    }
  });

  // A lost broadcast followed by one that arrives. A client catching up from the highest changeSeq it
  // holds (the rule schemas/messages.ts states) skips the lost one for good, even after Redis is back
  // and it reconnects; one that notices the gap in changeSeq (@parley/client's sync mark) gets it.
  it('gives a client that watches for gaps the message another process published while Redis was away', async () => {
    const second = await ServerProcess.start({
      databaseUrl: database.url,
      redis: redisOptions,
      sessionSecret: server.sessionSecret,
    });
    try {
      const aliceClient = await connectClient(alice.cookie, 'alice on the first process');
      const bobClient = await connectClient(bob.cookie, 'bob on the second process', second.url);
      const carolClient = await connectClient(carol.cookie, 'carol on the second process', second.url);

      proxy.cut();
      const lost = aliceClient.send(conversationId, 'lost on the way to the second process');
      await aliceClient.whenOutboxSettled();
      const local = carolClient.send(conversationId, 'delivered within the second process');
      await carolClient.whenOutboxSettled();
      expect(lost.message!.changeSeq).toBeLessThan(local.message!.changeSeq);
      await expect.poll(() => bobClient.copiesOf(local.message!.id).length).toBeGreaterThan(0);

      proxy.restore();
      await expect
        .poll(() => bobClient.messagesOf(conversationId).map((m) => m.id))
        .toEqual(expect.arrayContaining([lost.message!.id, local.message!.id]));
      expect(bobClient.copiesOf(lost.message!.id).map((d) => d.via)).toEqual(['sync']);
      expect(bobClient.conflicts).toEqual([]);
      expect(second.exits).toEqual([]);
    } finally {
      await second.kill();
    }
  });

  it('keeps acknowledging sends when Redis stops answering (a partition), and /readyz says so within seconds', async () => {
    const aliceClient = await connectClient(alice.cookie, 'alice');
    const bobClient = await connectClient(bob.cookie, 'bob');

    proxy.cut('blackhole');
    const entry = aliceClient.send(conversationId, 'while redis hangs');
    await aliceClient.whenOutboxSettled(20_000);
    expect(entry.attempts.map((attempt) => attempt.outcome)).toEqual(['ok']);
    expect(entry.attempts[0]!.durationMs).toBeLessThan(4_000);
    await expect.poll(() => bobClient.copiesOf(entry.message!.id).map((d) => d.via)).toEqual(['live']);

    const started = Date.now();
    expect(await server.http('GET', '/readyz')).toMatchObject({
      status: 503,
      body: { checks: { redis: 'down' } },
    });
    expect(Date.now() - started).toBeLessThan(4_000);
    const login = await server.http('POST', '/api/auth/login', {
      body: { username: carol.username, password: 'correct horse battery' },
    });
    expect(login.status).toBe(200);

    proxy.restore();
    await expect
      .poll(async () => (await server.http('GET', '/readyz')).body)
      .toMatchObject({ status: 'ready', checks: { redis: 'up' } });
    const after = aliceClient.send(conversationId, 'after the partition');
    await aliceClient.whenOutboxSettled();
    await expect.poll(() => bobClient.copiesOf(after.message!.id).length).toBe(1);
    expect(server.exits).toEqual([]);
  });
});

describe('Redis unreachable at start-up', () => {
  it('stops the process at once with a fatal log that names REDIS_URL', async () => {
    const database = await createTestDatabase();
    try {
      // A port nothing listens on.
      const url = `redis://127.0.0.1:${await freePort()}/0`;
      const start = ServerProcess.start({
        databaseUrl: database.url,
        redis: { url, keyPrefix: 'parley-test:' },
      });
      const failure = await start.then(
        () => new Error('started without Redis'),
        (error: unknown) => error as Error,
      );
      const fatal = failure.message
        .split('\n')
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as { level: number; msg: string; err?: { message: string } }];
          } catch {
            return [];
          }
        })
        .find((entry) => entry.msg === 'Parley could not start');
      expect(fatal, failure.message).toMatchObject({ level: 60 });
      expect(fatal!.err!.message).toContain(`Could not connect to Redis at REDIS_URL (${url})`);
      expect(failure.message).toContain('[process exited: code 1');
    } finally {
      await database.drop();
    }
  });
});
