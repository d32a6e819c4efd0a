import { ErrorCode, type ConnectErrorData } from '@parley/shared';
import { io as connectSocketIo } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

const FOREIGN = 'http://evil.example';
const password = 'correct horse battery';

describe('Origin check on state-changing HTTP requests', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('refuses a text/plain logout from a foreign Origin, and the session survives', async () => {
    const user = await t.signUp();
    const refused = await t.http<{ error: { code: string } }>('POST', '/api/auth/logout', {
      cookie: user.cookie,
      rawBody: '',
      headers: { origin: FOREIGN, 'content-type': 'text/plain' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe(ErrorCode.OriginNotAllowed);

    const me = await t.http('GET', '/api/auth/me', { cookie: user.cookie });
    expect(me.status).toBe(200);
  });

  it('refuses JSON login and registration from a foreign Origin without acting on them', async () => {
    const user = await t.signUp();
    const login = await t.http<{ error: { code: string } }>('POST', '/api/auth/login', {
      body: { username: user.username, password },
      headers: { origin: FOREIGN },
    });
    expect(login.status).toBe(403);
    expect(login.body.error.code).toBe(ErrorCode.OriginNotAllowed);
    expect(login.cookie).toBeNull();

    const username = uniqueName();
    const register = await t.http<{ error: { code: string } }>('POST', '/api/auth/register', {
      body: { username, displayName: 'Forged', password },
      headers: { origin: FOREIGN },
    });
    expect(register.status).toBe(403);
    expect(register.body.error.code).toBe(ErrorCode.OriginNotAllowed);
    // No account was made: the same username is still free.
    const real = await t.http('POST', '/api/auth/register', {
      body: { username, displayName: 'Real', password },
      headers: { origin: t.origin },
    });
    expect(real.status).toBe(201);
  });

  it.each([
    ['another port of an allowed host', { origin: 'http://parley.test:8080' }],
    ['another scheme of an allowed host', { origin: 'https://parley.test' }],
    ['a subdomain of an allowed host', { origin: 'http://evil.parley.test' }],
    ['an opaque origin', { origin: 'null' }],
    ['a browser that sent fetch metadata but no Origin', { 'sec-fetch-site': 'same-site' }],
  ])('refuses a state-changing request from %s', async (_what, headers) => {
    const user = await t.signUp();
    const refused = await t.http<{ error: { code: string } }>('POST', '/api/conversations/direct', {
      cookie: user.cookie,
      body: { username: user.username },
      headers,
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe(ErrorCode.OriginNotAllowed);
  });

  it('refuses every state-changing method on every route, before routing', async () => {
    const user = await t.signUp();
    const other = await t.signUp();
    const attempts: Array<[string, string, unknown]> = [
      ['POST', '/api/auth/register', { username: uniqueName(), displayName: 'X', password }],
      ['POST', '/api/auth/login', { username: user.username, password }],
      ['POST', '/api/auth/logout', undefined],
      ['POST', '/api/conversations', { name: 'Forged', memberUsernames: [other.username] }],
      ['POST', '/api/conversations/direct', { username: other.username }],
      ['PUT', '/api/users', {}],
      ['PATCH', '/api/conversations/1', {}],
      ['DELETE', '/api/conversations/1', undefined],
      ['POST', '/api/no-such-route', {}],
    ];
    for (const [method, path, body] of attempts) {
      const response = await t.http<{ error: { code: string } }>(method, path, {
        cookie: user.cookie,
        body,
        headers: { origin: FOREIGN },
      });
      expect({ method, path, status: response.status, code: response.body.error.code }).toEqual({
        method,
        path,
        status: 403,
        code: ErrorCode.OriginNotAllowed,
      });
    }
    const conversations = await t.http<{ conversations: unknown[] }>('GET', '/api/conversations', {
      cookie: user.cookie,
    });
    expect(conversations.body.conversations).toEqual([]);
  });

  it('accepts the allowed Origin, same-origin fetch metadata, and clients that send neither', async () => {
    const user = await t.signUp();
    const other = await t.signUp();
    for (const headers of [
      { origin: t.origin },
      { 'sec-fetch-site': 'same-origin' },
      {} as Record<string, string>,
    ]) {
      const response = await t.http('POST', '/api/conversations/direct', {
        cookie: user.cookie,
        body: { username: other.username },
        headers,
      });
      expect([200, 201]).toContain(response.status);
    }
    const login = await t.http('POST', '/api/auth/login', {
      body: { username: user.username, password },
      headers: { origin: t.origin },
    });
    expect(login.status).toBe(200);
    const logout = await t.http('POST', '/api/auth/logout', {
      cookie: login.cookie,
      headers: { origin: t.origin },
    });
    expect(logout.status).toBe(204);
  });

  it('lets reads through from any Origin (they change nothing, and CORS keeps the answer from the page)', async () => {
    const user = await t.signUp();
    const me = await t.http('GET', '/api/auth/me', { cookie: user.cookie, headers: { origin: FOREIGN } });
    expect(me.status).toBe(200);
  });

  it('applies the same rule to the socket handshake', async () => {
    const user = await t.signUp();
    const handshake = (headers: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const socket = connectSocketIo(t.url, {
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
          extraHeaders: { cookie: user.cookie, ...headers },
        });
        socket.once('connect', () => {
          socket.close();
          resolve('connected');
        });
        socket.once('connect_error', (error: Error & { data?: ConnectErrorData }) => {
          socket.close();
          resolve(error.data?.code ?? error.message);
        });
      });
    expect(await handshake({ 'sec-fetch-site': 'cross-site' })).toBe(ErrorCode.OriginNotAllowed);
    expect(await handshake({ origin: 'null' })).toBe(ErrorCode.OriginNotAllowed);
    expect(await handshake({ 'sec-fetch-site': 'same-origin' })).toBe('connected');
  });
});
