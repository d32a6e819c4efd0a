import { ErrorCode } from '@parley/shared';
import { PASSWORD_TOO_COMMON_MESSAGE } from '@parley/shared/password-strength';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../src/app.js';
import { DEVICE_COOKIE } from '../../../src/features/auth/device-cookies.js';
import { Redis } from 'ioredis';
import {
  TEST_REDIS_URL,
  createHttpClient,
  queryDatabase,
  startTestServer,
  uniqueName,
  type TestServer,
} from '../../helpers/server.js';

const password = 'correct horse battery';

describe('accounts', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { AUTH_RATE_LIMIT_PER_ACCOUNT: '3', AUTH_RATE_LIMIT_PER_IP: '1000' } });
  });
  afterAll(async () => t.close());

  it('registers the first account as admin and later ones as users, signed in with a safe cookie', async () => {
    const first = await t.http<{ user: { role: string; username: string } }>('POST', '/api/auth/register', {
      body: { username: 'Founder', displayName: 'The Founder', password },
    });
    expect(first.status).toBe(201);
    expect(first.body.user).toMatchObject({ username: 'founder', role: 'admin' });
    const setCookie = first.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/parley\.sid=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i);

    const second = await t.signUp();
    const me = await t.http<{ user: { role: string; id: number } }>('GET', '/api/auth/me', {
      cookie: second.cookie,
    });
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ id: second.id, role: 'user' });
  });

  it('marks the cookie Secure behind a TLS-terminating proxy when TRUST_PROXY is set', async () => {
    const behindProxy = await startTestServer({ env: { TRUST_PROXY: 'true' } });
    try {
      const response = await behindProxy.http('POST', '/api/auth/register', {
        body: { username: uniqueName(), displayName: 'Proxied', password },
        headers: { 'x-forwarded-proto': 'https' },
      });
      expect(response.status).toBe(201);
      expect(response.headers.getSetCookie().join('\n')).toMatch(/Secure/i);
    } finally {
      await behindProxy.close();
    }
  });

  it('refuses a taken username with 409, whatever its case', async () => {
    const user = await t.signUp();
    const response = await t.http<{ error: { code: string } }>('POST', '/api/auth/register', {
      body: { username: user.username.toUpperCase(), displayName: 'Copycat', password },
    });
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe(ErrorCode.UsernameTaken);
  });

  it.each([
    ['a short password', { username: 'valid_name', displayName: 'V', password: 'short' }, 'password'],
    ['a username with spaces', { username: 'two words', displayName: 'V', password }, 'username'],
    ['an empty display name', { username: 'valid_name2', displayName: '   ', password }, 'displayName'],
    [
      'a bidi override in the display name',
      { username: 'valid_name5', displayName: 'evil\u202egnp.exe', password },
      'displayName',
    ],
    [
      'an invisible display name',
      { username: 'valid_name6', displayName: '\u200b\u200b', password },
      'displayName',
    ],
    [
      'a NUL in the display name',
      { username: 'valid_name7', displayName: 'a\u0000b', password },
      'displayName',
    ],
    [
      'a newline in the display name',
      { username: 'valid_name8', displayName: 'a\nb', password },
      'displayName',
    ],
    ['a missing field', { username: 'valid_name3', password }, 'displayName'],
    ['a number for a string', { username: 12345, displayName: 'V', password }, 'username'],
    ['an unknown field', { username: 'valid_name4', displayName: 'V', password, role: 'admin' }, ''],
  ])('refuses registration with %s (400 request/invalid naming the field)', async (_case, body, field) => {
    const response = await t.http<{ error: { code: string; issues: { path: string }[] } }>(
      'POST',
      '/api/auth/register',
      { body },
    );
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe(ErrorCode.Invalid);
    expect(response.body.error.issues.map((issue) => issue.path).join(' ')).toContain(
      `body${field ? `.${field}` : ''}`,
    );
    expect(response.cookie).toBeNull();
  });

  it('accepts right-to-left, CJK and emoji display names as typed', async () => {
    for (const displayName of ['דוד כהן', '王小明', '👨‍👩‍👧 family']) {
      const response = await t.http<{ user: { displayName: string } }>('POST', '/api/auth/register', {
        body: { username: uniqueName(), displayName, password },
      });
      expect(response.status).toBe(201);
      expect(response.body.user.displayName).toBe(displayName);
    }
  });

  it('still serves a display name stored before the visible-text rule', async () => {
    const user = await t.signUp();
    const legacy = 'evil\u202egnp.exe\u200b';
    await queryDatabase(t, 'UPDATE users SET displayName = ? WHERE id = ?', [legacy, user.id]);
    const me = await t.http<{ user: { displayName: string } }>('GET', '/api/auth/me', {
      cookie: user.cookie,
    });
    expect(me.status).toBe(200);
    expect(me.body.user.displayName).toBe(legacy);
  });

  it('answers malformed JSON and oversized bodies with clear errors, not a crash', async () => {
    const malformed = await t.http<{ error: { code: string } }>('POST', '/api/auth/login', {
      rawBody: '{"username": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe(ErrorCode.Invalid);

    const huge = await t.http<{ error: { code: string } }>('POST', '/api/auth/register', {
      body: { username: 'big', displayName: 'x'.repeat(2 * 1024 * 1024), password },
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe(ErrorCode.PayloadTooLarge);

    const health = await t.http('GET', '/healthz');
    expect(health.status).toBe(200);
  });

  it('logs in with the right password and refuses a wrong one or an unknown user alike', async () => {
    const user = await t.signUp();
    const ok = await t.http<{ user: { id: number } }>('POST', '/api/auth/login', {
      body: { username: user.username, password },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.user.id).toBe(user.id);

    const wrong = await t.http<{ error: { code: string; message: string } }>('POST', '/api/auth/login', {
      body: { username: user.username, password: 'not the password' },
    });
    const unknown = await t.http<{ error: { code: string; message: string } }>('POST', '/api/auth/login', {
      body: { username: uniqueName('ghost'), password: 'not the password' },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error).toEqual(unknown.body.error);
    expect(wrong.body.error.code).toBe(ErrorCode.InvalidCredentials);
  });

  it('gives a new session id at login and destroys the old one', async () => {
    const user = await t.signUp();
    const login = await t.http('POST', '/api/auth/login', {
      body: { username: user.username, password },
      cookie: user.cookie,
    });
    expect(login.cookie).not.toBeNull();
    expect(login.cookie).not.toBe(user.cookie);
    expect((await t.http('GET', '/api/auth/me', { cookie: user.cookie })).status).toBe(401);
    expect((await t.http('GET', '/api/auth/me', { cookie: login.cookie })).status).toBe(200);
  });

  it('answers "who am I" with 401 auth/unauthenticated without a session or with a forged cookie', async () => {
    const none = await t.http<{ error: { code: string } }>('GET', '/api/auth/me');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe(ErrorCode.Unauthenticated);
    const forged = await t.http('GET', '/api/auth/me', { cookie: 'parley.sid=abc.def' });
    expect(forged.status).toBe(401);
  });

  it('logs out: the session stops working and its sockets are disconnected', async () => {
    const user = await t.signUp();
    const socket = await t.connectSocket(user.cookie);
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const logout = await t.http('POST', '/api/auth/logout', { cookie: user.cookie });
    expect(logout.status).toBe(204);
    expect(await disconnected).toBe('io server disconnect');
    expect((await t.http('GET', '/api/auth/me', { cookie: user.cookie })).status).toBe(401);
  });

  it('ends the sockets of the session a sign-in replaces', async () => {
    const user = await t.signUp();
    const socket = await t.connectSocket(user.cookie);
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const login = await t.http('POST', '/api/auth/login', {
      body: { username: user.username, password },
      cookie: user.cookie,
    });
    expect(login.status).toBe(200);
    expect(await disconnected).toBe('io server disconnect');
  });

  it('limits failed logins per account from one address with a 429 and Retry-After', async () => {
    const user = await t.signUp();
    const attempt = () =>
      t.http<{ error: { code: string } }>('POST', '/api/auth/login', {
        body: { username: user.username, password: 'wrong password!' },
      });
    for (let i = 0; i < 3; i += 1) expect((await attempt()).status).toBe(401);
    const limited = await attempt();
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe(ErrorCode.RateLimited);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it.each([
    ['password', 'on the common-password list'],
    ['12345678', 'on the common-password list'],
    ['        ', 'eight spaces'],
    ['Password1!', 'a near-miss of a listed password'],
  ])('refuses registering with %j (%s): 400 request/invalid with an issue on the password', async (weak) => {
    const username = uniqueName();
    const response = await t.http<{ error: { code: string; issues: unknown[] } }>(
      'POST',
      '/api/auth/register',
      { body: { username, displayName: 'Weak', password: weak } },
    );
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: ErrorCode.Invalid,
      issues: [{ path: 'body.password', message: PASSWORD_TOO_COMMON_MESSAGE }],
    });
    expect(await queryDatabase(t, 'SELECT id FROM users WHERE username = ?', [username])).toEqual([]);
  });
});

describe('login limits that a stranger cannot use to lock the owner out', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      env: {
        AUTH_RATE_LIMIT_PER_ACCOUNT: '3',
        AUTH_RATE_LIMIT_PER_ACCOUNT_NEW_DEVICES: '6',
        AUTH_RATE_LIMIT_PER_IP: '1000',
      },
    });
  });
  afterAll(async () => t.close());

  const OWNER_IP = '198.51.100.7';
  const login = (username: string, password: string, from: string, deviceCookie?: string) =>
    t.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password },
      remoteAddress: from,
      ...(deviceCookie ? { cookies: { [DEVICE_COOKIE]: deviceCookie } } : {}),
    });
  const deviceCookieOf = (response: { cookies: Array<{ name: string; value: string }> }) =>
    response.cookies.find((cookie) => cookie.name === DEVICE_COOKIE)?.value;

  it("lets the owner sign in from their address after a stranger's failed logins elsewhere", async () => {
    const owner = await t.signUp();
    for (let i = 0; i < 3; i += 1) {
      expect((await login(owner.username, 'wrong password!', '203.0.113.1')).statusCode).toBe(401);
    }
    expect((await login(owner.username, password, '203.0.113.1')).statusCode).toBe(429);

    const ownLogin = await login(owner.username, password, OWNER_IP);
    expect(ownLogin.statusCode).toBe(200);
    expect(ownLogin.json()).toMatchObject({ user: { id: owner.id } });
  });

  it('holds back unknown devices once guesses from many addresses spend the account budget, but not the owner’s known browser', async () => {
    const owner = await t.signUp();
    const known = await login(owner.username, password, OWNER_IP);
    expect(known.statusCode).toBe(200);
    const device = deviceCookieOf(known);
    expect(device).toBeTruthy();
    expect(known.headers['set-cookie']).toEqual(
      expect.arrayContaining([expect.stringMatching(/^parley\.device=.*HttpOnly.*SameSite=Lax/i)]),
    );

    // Six guesses from six addresses: each address stays under its own budget of three.
    for (let i = 1; i <= 6; i += 1) {
      expect((await login(owner.username, 'wrong password!', `203.0.113.${10 + i}`)).statusCode).toBe(401);
    }
    const newDevice = await login(owner.username, password, '192.0.2.99');
    expect(newDevice.statusCode).toBe(429);
    expect(newDevice.json()).toMatchObject({ error: { code: ErrorCode.RateLimited } });

    const ownBrowser = await login(owner.username, password, '192.0.2.99', device);
    expect(ownBrowser.statusCode).toBe(200);
    expect(ownBrowser.json()).toMatchObject({ user: { id: owner.id } });
  });

  it('counts failures of a known browser against that browser, and ignores a device cookie of another account', async () => {
    const [owner, other] = [await t.signUp(), await t.signUp()];
    const otherDevice = deviceCookieOf(await login(other.username, password, OWNER_IP));
    const ownDevice = deviceCookieOf(await login(owner.username, password, OWNER_IP));
    expect(otherDevice).toBeTruthy();
    expect(ownDevice).toBeTruthy();

    // A stolen or forged device cookie of another account is just an unknown client.
    for (let i = 0; i < 3; i += 1) {
      expect((await login(owner.username, 'wrong password!', '203.0.113.50', otherDevice)).statusCode).toBe(
        401,
      );
    }
    expect((await login(owner.username, password, '203.0.113.50', otherDevice)).statusCode).toBe(429);
    expect((await login(owner.username, password, '203.0.113.50', `${ownDevice}x`)).statusCode).toBe(429);

    // The owner's own browser, even from that address, has a budget of its own.
    expect((await login(owner.username, password, '203.0.113.50', ownDevice)).statusCode).toBe(200);
  });
});

describe('rate limits per IP', () => {
  it('limits registrations and logins from one address', async () => {
    const t = await startTestServer({ env: { AUTH_RATE_LIMIT_PER_IP: '2' } });
    try {
      await t.signUp();
      await t.signUp();
      const third = await t.http<{ error: { code: string } }>('POST', '/api/auth/register', {
        body: { username: uniqueName(), displayName: 'Third', password },
      });
      expect(third.status).toBe(429);
      expect(third.body.error.code).toBe(ErrorCode.RateLimited);
    } finally {
      await t.close();
    }
  });
});

describe.each([
  ['MySQL', false],
  ['Redis', true],
])('sessions stored in %s', (_store, redis) => {
  it('survive a server restart and are shared by several server processes', async () => {
    const t = await startTestServer({ redis });
    try {
      const user = await t.signUp();
      // A second process with the same configuration: same database, same Redis, same secret.
      const other = await buildServer({ config: t.config });
      await other.listen({ host: '127.0.0.1', port: 0 });
      try {
        const address = other.server.address();
        if (!address || typeof address === 'string') throw new Error('no port');
        const otherHttp = createHttpClient(`http://127.0.0.1:${address.port}`);
        const me = await otherHttp<{ user: { id: number } }>('GET', '/api/auth/me', { cookie: user.cookie });
        expect(me.status).toBe(200);
        expect(me.body.user.id).toBe(user.id);
      } finally {
        await other.close();
      }
    } finally {
      await t.close();
    }
  });
});

describe('sessions with Redis configured', () => {
  it('are cached in Redis, kept in the database, and survive losing the cache', async () => {
    const t = await startTestServer({ redis: true });
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const user = await t.signUp();
      const sessionId = decodeURIComponent(user.cookie.split('=')[1]!).split('.')[0]!;
      const cacheKey = `${t.config.redis!.keyPrefix}session:${sessionId}`;
      expect(await redis.exists(cacheKey)).toBe(1);
      expect(await queryDatabase(t, 'SELECT id FROM sessions WHERE id = ?', [sessionId])).toHaveLength(1);

      // Redis restarted empty: the database still knows the session, and the cache is refilled.
      await redis.del(cacheKey);
      expect((await t.http('GET', '/api/auth/me', { cookie: user.cookie })).status).toBe(200);
      expect(await redis.exists(cacheKey)).toBe(1);

      await t.http('POST', '/api/auth/logout', { cookie: user.cookie });
      // A tombstone, so a lookup racing the logout cannot cache the ended session again.
      expect(await redis.get(cacheKey)).toBe('ended');
      expect((await t.http('GET', '/api/auth/me', { cookie: user.cookie })).status).toBe(401);
      expect(await queryDatabase(t, 'SELECT id FROM sessions WHERE id = ?', [sessionId])).toHaveLength(0);
    } finally {
      redis.disconnect();
      await t.close();
    }
  });
});
