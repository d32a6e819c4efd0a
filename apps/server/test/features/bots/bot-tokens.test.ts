// Bot tokens: shown once, stored hashed, listed by prefix, revoked; a bot acts over HTTP and the
// socket with `Authorization: Bearer`, with the same exactly-once send and the same refusals.
import { createHash, randomUUID } from 'node:crypto';
import {
  ErrorCode,
  type BotTokenList,
  type ConnectErrorData,
  type HistoryResponse,
  type Message,
  type SessionEnded,
} from '@parley/shared';
import { connect } from 'socket.io-client';
import * as mariadb from 'mariadb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../../src/db/migrate.js';
import { createBotWithToken } from '../../helpers/bots.js';
import { httpCode } from '../../helpers/groups.js';
import {
  createGroup,
  nextEvent,
  startTestServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

/** A socket that authenticates with a bot token in the handshake's `auth`, or in a header. */
function connectBot(url: string, token: string, via: 'auth' | 'header' = 'auth'): Promise<ClientSocket> {
  const socket: ClientSocket = connect(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(via === 'auth' ? { auth: { token } } : { extraHeaders: { authorization: `Bearer ${token}` } }),
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error: Error & { data?: ConnectErrorData }) => {
      socket.close();
      reject(error);
    });
  });
}

async function refusalCode(connecting: Promise<ClientSocket>): Promise<string | undefined> {
  try {
    (await connecting).close();
    return undefined;
  } catch (error) {
    return (error as { data?: ConnectErrorData }).data?.code;
  }
}

describe('bot tokens', () => {
  let t: TestServer;
  let admin: TestUser;
  let person: TestUser;
  let botId: number;
  let botUsername: string;
  let token: string;
  const bearer = (value: string) => ({ authorization: `Bearer ${value}` });

  const newBot = () => createBotWithToken(t, admin.cookie);

  beforeAll(async () => {
    t = await startTestServer({ env: { SOCKET_RATE_LIMIT: '8' } });
    admin = await t.signUp();
    person = await t.signUp();
    ({ id: botId, username: botUsername, token } = await newBot());
  });
  afterAll(() => t.close());

  it('is shown once, stored only as its SHA-256, and listed by its prefix', async () => {
    expect(token).toMatch(/^pbt_[A-Za-z0-9_-]{43}$/);
    const list = await t.http<BotTokenList>('GET', `/api/admin/bots/${botId}/tokens`, {
      cookie: admin.cookie,
    });
    expect(list.body.tokens).toHaveLength(1);
    expect(list.body.tokens[0]).toMatchObject({ prefix: token.slice(0, 12), label: 'test', revokedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(token);

    const connection = await mariadb.createConnection(parseDatabaseUrl(t.config.databaseUrl));
    try {
      const rows: Array<{ tokenHash: string }> = await connection.query('SELECT tokenHash FROM bot_tokens');
      expect(rows.map((row) => row.tokenHash)).toContain(createHash('sha256').update(token).digest('hex'));
      const raw: unknown[] = await connection.query('SELECT * FROM bot_tokens WHERE tokenHash = ?', [token]);
      expect(raw).toHaveLength(0);
    } finally {
      await connection.end();
    }
  });

  it('signs a bot in over HTTP: who am I, post a message once per clientMsgId, read history', async () => {
    const me = await t.http<{ user: { id: number; kind: string } }>('GET', '/api/auth/me', {
      headers: bearer(token),
    });
    expect(me.body.user).toMatchObject({ id: botId, kind: 'bot' });

    const direct = await t.http<{ conversation: { id: number } }>('POST', '/api/conversations/direct', {
      cookie: person.cookie,
      body: { username: botUsername },
    });
    const conversationId = direct.body.conversation.id;
    const personSocket = await t.connectSocket(person.cookie);
    const arrived = nextEvent(personSocket, 'message:new');

    const clientMsgId = randomUUID();
    const first = await t.http<{ message: Message }>(
      'POST',
      `/api/conversations/${conversationId}/messages`,
      {
        headers: bearer(token),
        body: { clientMsgId, text: 'hello from a bot' },
      },
    );
    expect(first.status).toBe(200);
    expect(first.body.message).toMatchObject({
      text: 'hello from a bot',
      sender: { id: botId, kind: 'bot' },
    });
    expect((await arrived).id).toBe(first.body.message.id);

    const retry = await t.http<{ message: Message }>(
      'POST',
      `/api/conversations/${conversationId}/messages`,
      {
        headers: bearer(token),
        body: { clientMsgId, text: 'hello from a bot' },
      },
    );
    expect(retry.body.message.id).toBe(first.body.message.id);

    const history = await t.http<HistoryResponse>('GET', `/api/conversations/${conversationId}/messages`, {
      headers: bearer(token),
    });
    expect(history.body.messages.map((m) => m.text)).toEqual(['hello from a bot']);
  });

  it('connects a bot over the socket with the token in the handshake auth or an Authorization header', async () => {
    for (const via of ['auth', 'header'] as const) {
      const socket = await connectBot(t.url, token, via);
      const { id: group } = await createGroup(t, admin, [person], 'Bots welcome');
      const added = await t.http('POST', `/api/conversations/${group}/members`, {
        cookie: admin.cookie,
        body: { usernames: [botUsername] },
      });
      expect(added.status).toBeLessThan(300);
      const ack = await socket.emitWithAck('message:send', {
        conversationId: group,
        clientMsgId: randomUUID(),
        text: `socket via ${via}`,
      });
      expect(ack).toMatchObject({ ok: true, data: { sender: { id: botId, kind: 'bot' } } });
      socket.close();
    }
  });

  it('refuses a wrong or malformed token with auth/invalid_token', async () => {
    const wrong = `pbt_${'A'.repeat(43)}`;
    for (const value of [wrong, 'not-a-token']) {
      expect(httpCode(await t.http('GET', '/api/auth/me', { headers: bearer(value) }))).toBe(
        ErrorCode.InvalidToken,
      );
      expect(await refusalCode(connectBot(t.url, value))).toBe(ErrorCode.InvalidToken);
    }
    expect(httpCode(await t.http('GET', '/api/auth/me', { headers: { authorization: 'Basic abc' } }))).toBe(
      ErrorCode.InvalidToken,
    );
  });

  it('refuses a bad token before looking at the body or parameters, on every kind of route', async () => {
    const revoked = await newBot();
    await t.http('POST', `/api/admin/bots/${revoked.id}/tokens/${revoked.tokenId}/revoke`, {
      cookie: admin.cookie,
    });
    const deactivated = await newBot();
    await t.http('POST', `/api/admin/bots/${deactivated.id}/deactivate`, { cookie: admin.cookie });
    const badTokens = [
      [{ authorization: `Bearer pbt_${'A'.repeat(43)}` }, 401, ErrorCode.InvalidToken],
      [{ authorization: 'Basic abc' }, 401, ErrorCode.InvalidToken],
      [bearer(revoked.token), 401, ErrorCode.TokenRevoked],
      [bearer(deactivated.token), 403, ErrorCode.AccountDeactivated],
    ] as const;
    // Bodies and parameters each of these routes refuses with 400 request/invalid from a good caller.
    const badInput: Array<[string, string, { body?: unknown; rawBody?: string }]> = [
      ['POST', '/api/conversations/1/messages', { body: { text: 42 } }],
      ['POST', '/api/conversations/1/messages', { rawBody: '{"clientMsgId": ' }],
      ['GET', '/api/conversations/not-a-number/messages?limit=-5', {}],
      ['POST', '/api/conversations/direct', { body: {} }],
      ['GET', '/api/search/messages?limit=many', {}],
      ['PATCH', '/api/me', { body: { displayName: 7 } }],
      ['PUT', '/api/me/time-zone', { body: { timeZone: 5 } }],
      ['POST', '/api/admin/bots', { body: { username: [] } }],
      ['POST', '/api/auth/login', { body: {} }],
    ];
    for (const [headers, status, code] of badTokens) {
      for (const [method, path, input] of badInput) {
        const response = await t.http(method, path, {
          headers: { ...headers, ...(input.rawBody ? { 'content-type': 'application/json' } : {}) },
          ...input,
        });
        expect([response.status, httpCode(response)], `${headers.authorization} ${method} ${path}`).toEqual([
          status,
          code,
        ]);
      }
    }
    // With the good token the same input is looked at.
    const checked = await t.http('POST', '/api/conversations/1/messages', {
      headers: bearer(token),
      body: { text: 42 },
    });
    expect(httpCode(checked)).toBe(ErrorCode.Invalid);
  });

  it('a revoked token is refused, and a socket connected with it is ended at once', async () => {
    const bot = await newBot();
    const socket = await connectBot(t.url, bot.token);
    const ended = new Promise<SessionEnded>((resolve) => socket.once('session:ended', resolve));
    const revoked = await t.http('POST', `/api/admin/bots/${bot.id}/tokens/${bot.tokenId}/revoke`, {
      cookie: admin.cookie,
    });
    expect(revoked.status).toBe(200);
    expect((await ended).code).toBe(ErrorCode.TokenRevoked);
    expect(httpCode(await t.http('GET', '/api/auth/me', { headers: bearer(bot.token) }))).toBe(
      ErrorCode.TokenRevoked,
    );
    expect(await refusalCode(connectBot(t.url, bot.token))).toBe(ErrorCode.TokenRevoked);
  });

  it('a deactivated bot’s tokens are refused with auth/deactivated, and its sockets end', async () => {
    const bot = await newBot();
    const socket = await connectBot(t.url, bot.token);
    const ended = new Promise<SessionEnded>((resolve) => socket.once('session:ended', resolve));
    await t.http('POST', `/api/admin/bots/${bot.id}/deactivate`, { cookie: admin.cookie });
    expect((await ended).code).toBe(ErrorCode.AccountDeactivated);
    const me = await t.http('GET', '/api/auth/me', { headers: bearer(bot.token) });
    expect([me.status, httpCode(me)]).toEqual([403, ErrorCode.AccountDeactivated]);
    expect(await refusalCode(connectBot(t.url, bot.token))).toBe(ErrorCode.AccountDeactivated);
  });

  it('a bot cannot act in a conversation it is not in: conversation/not_found', async () => {
    const { id: group } = await createGroup(t, admin, [person], 'No bots');
    const body = { clientMsgId: randomUUID(), text: 'let me in' };
    const post = await t.http('POST', `/api/conversations/${group}/messages`, {
      headers: bearer(token),
      body,
    });
    expect(httpCode(post)).toBe(ErrorCode.ConversationNotFound);
    const read = await t.http('GET', `/api/conversations/${group}/messages`, { headers: bearer(token) });
    expect(httpCode(read)).toBe(ErrorCode.ConversationNotFound);
    const socket = await connectBot(t.url, token);
    const ack = await socket.emitWithAck('message:send', { conversationId: group, ...body });
    expect(ack).toMatchObject({ ok: false, error: { code: ErrorCode.ConversationNotFound } });
    socket.close();
  });

  it('a bot posting over HTTP spends the same per-user message budget: request/rate_limited', async () => {
    const bot = await newBot();
    const direct = await t.http<{ conversation: { id: number } }>('POST', '/api/conversations/direct', {
      cookie: person.cookie,
      body: { username: bot.username },
    });
    const codes: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const response = await t.http('POST', `/api/conversations/${direct.body.conversation.id}/messages`, {
        headers: bearer(bot.token),
        body: { clientMsgId: randomUUID(), text: `flood ${i}` },
      });
      codes.push(response.status === 200 ? 'ok' : httpCode(response));
    }
    expect(codes.slice(0, 8)).toEqual(Array(8).fill('ok'));
    expect(codes.slice(8)).toEqual([ErrorCode.RateLimited, ErrorCode.RateLimited]);
  });
});
