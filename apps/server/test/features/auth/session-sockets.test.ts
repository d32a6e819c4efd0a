import { randomUUID } from 'node:crypto';
import { ErrorCode, type Ack, type ConnectErrorData, type Message, type SessionEnded } from '@parley/shared';
import { Redis } from 'ioredis';
import { connect } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { sweepIntervalMs } from '../../../src/features/auth/session-sweep.js';
import { createBotWithToken } from '../../helpers/bots.js';
import { startProxiedServer } from '../../helpers/proxied-server.js';
import {
  TEST_REDIS_URL,
  connectSocketListening,
  createGroup,
  nextEvent,
  queryDatabase,
  sendText,
  sleep,
  startSecondProcess,
  startTestServer,
  type ClientSocket,
  type SecondProcess,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';
import { WAIT_CAP_MS } from '../../helpers/waits.js';

const password = 'correct horse battery';

const RETRYABLE: string[] = [ErrorCode.Unavailable, ErrorCode.Busy];

/** One `message:send`, answered as it comes (a refusal included). */
function sendOnce(
  socket: ClientSocket,
  conversationId: number,
  text: string,
  clientMsgId: string = randomUUID(),
): Promise<Ack<Message>> {
  return socket.timeout(WAIT_CAP_MS).emitWithAck('message:send', { conversationId, clientMsgId, text });
}

/** Resolves with what the socket was told and why it was disconnected, once it has been. */
function sessionEnd(
  socket: ClientSocket,
  timeoutMs = WAIT_CAP_MS,
): Promise<{ told: SessionEnded; reason: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket not ended within ${timeoutMs} ms`)), timeoutMs);
    let told: SessionEnded | null = null;
    socket.once('session:ended', (reason) => {
      told = reason;
    });
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      if (told) resolve({ told, reason });
      else reject(new Error(`disconnected (${reason}) without session:ended`));
    });
  });
}

async function connectRefusal(
  url: string,
  connect: () => Promise<ClientSocket>,
): Promise<string | undefined> {
  try {
    (await connect()).close();
    return `connected to ${url}`;
  } catch (error) {
    return (error as Error & { data?: ConnectErrorData }).data?.code;
  }
}

async function sessionIdOf(t: TestServer, user: TestUser): Promise<string> {
  const [row] = await queryDatabase<{ id: string }>(t, 'SELECT id FROM sessions WHERE userId = ?', [user.id]);
  if (!row) throw new Error('no session');
  return row.id;
}

/** Moves a session's expiry, in the database and its cached copy, as time passing would. */
async function setSessionExpiry(t: TestServer, user: TestUser, at: Date): Promise<void> {
  const id = await sessionIdOf(t, user);
  await queryDatabase(
    t,
    "UPDATE sessions SET expiresAt = ?, data = JSON_SET(data, '$.cookie.expires', ?) WHERE id = ?",
    [at, at.toISOString(), id],
  );
  if (!t.config.redis) return;
  const redis = new Redis(TEST_REDIS_URL);
  try {
    await redis.del(`${t.config.redis.keyPrefix}session:${id}`);
  } finally {
    redis.disconnect();
  }
}

describe('a socket never outlives its session, on any process', () => {
  let t: TestServer;
  let second: SecondProcess;
  beforeEach(async () => {
    t = await startTestServer({ redis: true });
    second = await startSecondProcess(t);
  });
  afterEach(async () => {
    await second.close();
    await t.close();
  });

  it('ends the sockets of a session at its expiry, though nothing happens on them', async () => {
    const alice = await t.signUp();
    await setSessionExpiry(t, alice, new Date(Date.now() + 4_000));
    const here = await t.connectSocket(alice.cookie);
    const there = await second.connectSocket(alice.cookie);
    const ended = [sessionEnd(here), sessionEnd(there)];

    const expected = {
      told: { code: ErrorCode.Unauthenticated, message: expect.any(String) },
      reason: 'io server disconnect',
    };
    expect(await Promise.all(ended)).toEqual([expected, expected]);
    expect((await t.http('GET', '/api/auth/me', { cookie: alice.cookie })).status).toBe(401);
    expect(await connectRefusal(t.url, () => t.connectSocket(alice.cookie))).toBe(ErrorCode.Unauthenticated);
  });

  it('ends the sockets of a session moved into the past: its user neither sends nor receives', async () => {
    const [alice, bob, carol] = [await t.signUp(), await t.signUp(), await t.signUp()];
    const group = await createGroup(t, bob, [alice, carol]);
    // A process that reads sessions again every 300 ms: a real expiry ends sockets by its timer (above),
    // but a session changed behind the server's back is noticed by this periodic recheck (60 s by default).
    const quick = await startSecondProcess(t, { sessionRecheckMs: 300 });
    onTestFinished(() => quick.close());
    const aliceSocket = await quick.connectSocket(alice.cookie);
    const [bobSocket, carolSocket] = [await t.connectSocket(bob.cookie), await t.connectSocket(carol.cookie)];
    const received: string[] = [];
    aliceSocket.on('message:new', (message) => received.push(message.text));
    const before = nextEvent(aliceSocket, 'message:new');
    await sendText(bobSocket, group.id, 'before');
    await before;

    const ended = sessionEnd(aliceSocket);
    await setSessionExpiry(t, alice, new Date(Date.now() - 1_000));
    await expect(ended).resolves.toMatchObject({ told: { code: ErrorCode.Unauthenticated } });

    const heardByCarol = nextEvent(carolSocket, 'message:new');
    await sendText(bobSocket, group.id, 'after');
    expect((await heardByCarol).text).toBe('after');
    expect(received).toEqual(['before']);
    expect(aliceSocket.connected).toBe(false);
  });

  it('deactivating an account ends its sockets on every process and refuses it from then on', async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const group = await createGroup(t, bob, [alice]);
    const here = await t.connectSocket(alice.cookie);
    const there = await second.connectSocket(alice.cookie);
    const bobSocket = await t.connectSocket(bob.cookie);
    const ended = [sessionEnd(here), sessionEnd(there)];

    await t.server.accounts.deactivate(alice.id);

    const expected = {
      told: { code: ErrorCode.AccountDeactivated, message: 'This account has been deactivated' },
      reason: 'io server disconnect',
    };
    expect(await Promise.all(ended)).toEqual([expected, expected]);
    expect((await t.http('GET', '/api/auth/me', { cookie: alice.cookie })).status).toBe(401);
    const login = await t.http<{ error: { code: string } }>('POST', '/api/auth/login', {
      body: { username: alice.username, password },
    });
    expect(login.status).toBe(403);
    expect(login.body.error.code).toBe(ErrorCode.AccountDeactivated);
    expect(await connectRefusal(t.url, () => t.connectSocket(alice.cookie))).toBe(ErrorCode.Unauthenticated);
    // Bob's conversation goes on.
    await sendText(bobSocket, group.id, 'still here');
    // Deactivating twice is harmless.
    await expect(t.server.accounts.deactivate(alice.id)).resolves.toBeUndefined();
  });

  it('ends a socket whose session is logged out on another process while it is in the handshake', async () => {
    const alice = await t.signUp();
    // Held on the second process after its session was read and its rooms joined, before it is
    // connected: the logout's disconnect through the rooms cannot reach it yet.
    let inHandshake!: () => void;
    const held = new Promise<void>((resolve) => (inHandshake = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    second.server.io.use((_socket, next) => {
      inHandshake();
      void gate.then(() => next());
    });
    let ended!: Promise<{ told: SessionEnded; reason: string }>;
    const connecting = connectSocketListening(second.url, alice.cookie, (socket) => {
      ended = sessionEnd(socket);
    });
    await held;
    expect((await t.http('POST', '/api/auth/logout', { cookie: alice.cookie })).status).toBe(204);
    release();
    const socket = await connecting;
    onTestFinished(() => {
      socket.close();
    });
    expect(await ended).toMatchObject({
      told: { code: ErrorCode.Unauthenticated },
      reason: 'io server disconnect',
    });
  });

  it('logging out tells the sockets of that session why, on every process', async () => {
    const alice = await t.signUp();
    const there = await second.connectSocket(alice.cookie);
    const ended = sessionEnd(there);
    expect((await t.http('POST', '/api/auth/logout', { cookie: alice.cookie })).status).toBe(204);
    expect(await ended).toMatchObject({
      told: { code: ErrorCode.Unauthenticated },
      reason: 'io server disconnect',
    });
  });
});

describe('an account deactivated behind the server’s back', () => {
  it('has its sockets ended with auth/deactivated within the recheck interval', async () => {
    const t = await startTestServer({ app: { sessionRecheckMs: 300 } });
    try {
      const [alice, bob] = [await t.signUp(), await t.signUp()];
      const group = await createGroup(t, bob, [alice]);
      const aliceSocket = await t.connectSocket(alice.cookie);
      await sendText(aliceSocket, group.id, 'hello');
      const ended = sessionEnd(aliceSocket);
      // As an operator's SQL would: no process is told, the periodic recheck finds it.
      await queryDatabase(t, 'UPDATE users SET deactivatedAt = CURRENT_TIMESTAMP(3) WHERE id = ?', [
        alice.id,
      ]);
      expect(await ended).toMatchObject({
        told: { code: ErrorCode.AccountDeactivated },
        reason: 'io server disconnect',
      });
      expect(await connectRefusal(t.url, () => t.connectSocket(alice.cookie))).toBe(
        ErrorCode.AccountDeactivated,
      );
    } finally {
      await t.close();
    }
  });
});

describe('the periodic session checks of many sockets', () => {
  it('cost a few queries per sweep, not two per socket, and still end a deactivated account’s sockets', async () => {
    const recheckMs = 1_000;
    const { proxy, t } = await startProxiedServer({ app: { sessionRecheckMs: recheckMs } });
    onTestFinished(async () => {
      await t.close();
      await proxy.close();
    });
    // 20 people with 10 tabs each: 200 sockets, 20 sessions.
    const people: TestUser[] = [];
    for (let i = 0; i < 20; i += 1) people.push(await t.signUp());
    const sockets = await Promise.all(
      people.flatMap((person) => Array.from({ length: 10 }, () => t.connectSocket(person.cookie))),
    );
    // Past the connects' own work (handshakes, presence, the post-connect checks).
    await sleep(2 * recheckMs);

    const windowMs = 4_000;
    const before = proxy.commands;
    const started = Date.now();
    await sleep(windowMs);
    const commands = proxy.commands - before;
    const elapsed = Date.now() - started;

    // Checked one by one, 200 sockets would cost 2 queries each per recheck: 1,600 in the window.
    // Together: per sweep at most one read of sessions and one of users, whatever the number of
    // sockets due. Each read is at most 4 commands on the wire: a ping of a connection idle for over
    // half a second (plugins/prisma.ts), the statement's prepare for a new padded list length, its
    // execution, and the close of a statement the cache evicted. Seen: about 80 in 4 s (17 sweeps).
    const sweeps = Math.ceil(elapsed / sweepIntervalMs(recheckMs)) + 1;
    expect(commands).toBeGreaterThan(0);
    expect(commands).toBeLessThanOrEqual(sweeps * 2 * 4);

    // Every socket still being checked: an account deactivated behind the server's back ends.
    const [alice] = people;
    const aliceSockets = sockets.slice(0, 10);
    const ended = aliceSockets.map((socket) => sessionEnd(socket));
    await queryDatabase(t, 'UPDATE users SET deactivatedAt = CURRENT_TIMESTAMP(3) WHERE id = ?', [alice!.id]);
    for (const end of await Promise.all(ended)) {
      expect(end.told.code).toBe(ErrorCode.AccountDeactivated);
    }
    expect(sockets.slice(10).every((socket) => socket.connected)).toBe(true);
  }, 60_000);

  it('ends a bot’s socket when its token is revoked behind the server’s back', async () => {
    const t = await startTestServer({ app: { sessionRecheckMs: 300 } });
    onTestFinished(() => t.close());
    const admin = await t.signUp();
    const created = await createBotWithToken(t, admin.cookie);
    const bot: ClientSocket = connect(t.url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: { token: created.token },
    });
    onTestFinished(() => {
      bot.close();
    });
    await new Promise<void>((resolve, reject) => {
      bot.once('connect', resolve);
      bot.once('connect_error', reject);
    });
    const adminSocket = await t.connectSocket(admin.cookie);
    const ended = sessionEnd(bot);
    await queryDatabase(t, 'UPDATE bot_tokens SET revokedAt = CURRENT_TIMESTAMP(3) WHERE id = ?', [
      created.tokenId,
    ]);
    expect(await ended).toMatchObject({
      told: { code: ErrorCode.TokenRevoked, message: 'This bot token has been revoked' },
      reason: 'io server disconnect',
    });
    // The person's socket on the same process is checked by the same sweeps and stays.
    expect(adminSocket.connected).toBe(true);
  });

  it('keeps sockets through a database outage, answers their events as retryable, and checks them again after', async () => {
    const { proxy, t } = await startProxiedServer({ app: { sessionRecheckMs: 300 } });
    onTestFinished(async () => {
      await t.close();
      await proxy.close();
    });
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const group = await createGroup(t, bob, [alice]);
    const aliceSocket = await t.connectSocket(alice.cookie);
    const told: SessionEnded[] = [];
    aliceSocket.on('session:ended', (reason) => told.push(reason));
    await sendText(aliceSocket, group.id, 'before');

    proxy.cut();
    // Past the socket's known validity: its next event waits for a check, which cannot read.
    await sleep(400);
    const during = await sendOnce(aliceSocket, group.id, 'during');
    expect(during.ok).toBe(false);
    expect(RETRYABLE).toContain(!during.ok && during.error.code);
    expect(aliceSocket.connected).toBe(true);

    proxy.restore();
    // The same socket goes on once the database is back (the client retries as its outbox would),
    // and was never told its session ended.
    const clientMsgId = randomUUID();
    let after = await sendOnce(aliceSocket, group.id, 'after', clientMsgId);
    const deadline = Date.now() + WAIT_CAP_MS;
    while (!after.ok && RETRYABLE.includes(after.error.code) && Date.now() < deadline) {
      await sleep(100);
      after = await sendOnce(aliceSocket, group.id, 'after', clientMsgId);
    }
    expect(after).toMatchObject({ ok: true, data: { text: 'after' } });
    expect(told).toEqual([]);
    expect(aliceSocket.connected).toBe(true);
    const ended = sessionEnd(aliceSocket);
    await queryDatabase(t, 'UPDATE users SET deactivatedAt = CURRENT_TIMESTAMP(3) WHERE id = ?', [alice.id]);
    expect(await ended).toMatchObject({ told: { code: ErrorCode.AccountDeactivated } });
  }, 60_000);
});
