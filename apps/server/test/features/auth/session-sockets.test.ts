import { ErrorCode, type ConnectErrorData, type SessionEnded } from '@parley/shared';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import {
  TEST_REDIS_URL,
  createGroup,
  nextEvent,
  queryDatabase,
  sendText,
  startSecondProcess,
  startTestServer,
  type ClientSocket,
  type SecondProcess,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

const password = 'correct horse battery';

/** Resolves with what the socket was told and why it was disconnected, once it has been. */
function sessionEnd(
  socket: ClientSocket,
  timeoutMs = 15_000,
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
