import {
  ErrorCode,
  type ClientToServerEvents,
  type Conversation,
  type HistoryResponse,
  type Message,
} from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBot, signUpAdmin } from '../../helpers/companions.js';
import {
  ackCode,
  createGroup,
  nextEvent,
  okData,
  sendText,
  startTestServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
  uniqueName,
} from '../../helpers/server.js';

/**
 * Every client event, given payloads that fail its schema (or, for seq, the server's own check):
 * each is answered with request/invalid, and nothing else happens.
 */
describe('malformed socket payloads', () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let conversationId: number;
  let message: Message;
  let aliceSocket: ClientSocket;
  let bobSocket: ClientSocket;

  beforeAll(async () => {
    t = await startTestServer({ env: { SOCKET_RATE_LIMIT: '100000' } });
    [alice, bob] = [await t.signUp(), await t.signUp()];
    conversationId = (await createGroup(t, alice, [bob])).id;
    [aliceSocket, bobSocket] = [await t.connectSocket(alice.cookie), await t.connectSocket(bob.cookie)];
    message = await sendText(aliceSocket, conversationId, 'the one message');
  });
  afterAll(async () => t.close());

  const notObjects: unknown[] = [null, 'text', 17, true, [1, 2], Buffer.from('{}')];
  const tooBig = 2_147_483_648;

  const cases: Record<keyof ClientToServerEvents, () => unknown[]> = {
    'message:send': () => [
      { conversationId, text: 'no clientMsgId' },
      { conversationId, clientMsgId: crypto.randomUUID(), text: 'x', replyToId: 'one' },
      { conversationId, clientMsgId: crypto.randomUUID(), text: 'x', replyToId: 0 },
      // A lone surrogate: JSON carries it, UTF-8 cannot; it would be stored as U+FFFD, unlike the ack.
      { conversationId, clientMsgId: crypto.randomUUID(), text: 'broken \ud83d half' },
      { conversationId, clientMsgId: crypto.randomUUID(), text: 'a'.repeat(4_001) },
      { conversationId: tooBig, clientMsgId: crypto.randomUUID(), text: 'x' },
      { conversationId, clientMsgId: 'not-a-uuid', text: 'x' },
      { conversationId, clientMsgId: crypto.randomUUID(), text: 'x', senderId: alice.id },
    ],
    'message:edit': () => [
      {},
      { conversationId, messageId: message.id },
      { conversationId, messageId: String(message.id), text: 'x' },
      { conversationId, messageId: message.id, text: { value: 'x' } },
      { conversationId, messageId: message.id, text: 'x', senderId: bob.id },
      { conversationId, messageId: message.id, text: '\ude00 low half first' },
      { conversationId: -1, messageId: message.id, text: 'x' },
      { conversationId, messageId: 1.5, text: 'x' },
      { conversationId, messageId: tooBig, text: 'x' },
    ],
    'message:delete': () => [
      {},
      { conversationId },
      { messageId: message.id },
      { conversationId, messageId: [message.id] },
      { conversationId, messageId: message.id, forEveryone: false },
      { conversationId: 0, messageId: message.id },
    ],
    'message:react': () => [
      { conversationId, messageId: message.id, emoji: '👍' },
      { conversationId, messageId: message.id, on: true },
      { conversationId, messageId: message.id, emoji: '👍', on: 'yes' },
      { conversationId, messageId: message.id, emoji: 128_077, on: true },
      { conversationId, messageId: message.id, emoji: 'ok', on: true },
      { conversationId, messageId: message.id, emoji: '\ud83d', on: true },
      { conversationId, messageId: message.id, emoji: '👍', on: true, userId: bob.id },
    ],
    'conversation:sync': () => [
      {},
      { conversations: 'all' },
      { conversations: [{ conversationId }] },
      { conversations: [{ conversationId, changeSeq: '1' }] },
      { conversations: [{ conversationId, changeSeq: 0 }], includeDeleted: true },
      // From the future: nothing that far has happened yet.
      { conversations: [{ conversationId, changeSeq: message.changeSeq + 1_000 }] },
    ],
    'conversation:delivered': () => [
      {},
      { conversationId },
      { conversationId, seq: -1 },
      { conversationId, seq: '1' },
      { conversationId, seq: 1, userId: bob.id },
      { conversationId, seq: tooBig },
      { conversationId, seq: message.seq + 1 },
    ],
    'conversation:read': () => [
      {},
      { seq: 1 },
      { conversationId, seq: 0.5 },
      { conversationId, seq: null },
      { conversationId, seq: 1, unreadCount: 0 },
      { conversationId, seq: message.seq + 1 },
    ],
    'typing:start': () => [{}, { conversationId: '1' }, { conversationId, typing: true }],
    'typing:stop': () => [{}, { conversationId: null }, { conversationId, extra: 1 }],
    'presence:set': () => [{}, { status: 'invisible' }, { status: 'online', since: 0 }],
    'presence:watch': () => [
      {},
      { conversationId: String(conversationId) },
      { conversationId: 0 },
      { conversationId: tooBig },
      { conversationId, userIds: [alice.id] },
    ],
  };

  it.each(Object.keys(cases) as Array<keyof ClientToServerEvents>)(
    'answers malformed %s payloads with request/invalid and keeps the connection',
    async (event) => {
      const emit = bobSocket.emitWithAck.bind(bobSocket) as (
        event: string,
        ...args: unknown[]
      ) => Promise<never>;
      for (const payload of [...cases[event](), ...notObjects]) {
        const ack = await emit(event, payload);
        expect(ackCode(ack), `${event} ${JSON.stringify(payload)}`).toBe(ErrorCode.Invalid);
      }
      // No payload at all, only the acknowledgement.
      expect(ackCode(await emit(event))).toBe(ErrorCode.Invalid);
      expect(bobSocket.connected).toBe(true);
    },
  );

  it('changed nothing, and the server and other clients carry on', async () => {
    // An event without an acknowledgement is ignored (even a valid one), and an unknown event too.
    (aliceSocket.emit as (event: string, ...args: unknown[]) => void)('message:delete', {
      conversationId,
      messageId: message.id,
    });
    (bobSocket.emit as (event: string, ...args: unknown[]) => void)(
      'no:such-event',
      { anything: true },
      () => undefined,
    );
    // Each socket's packets are handled in order: once a later request is answered, the two above
    // have been seen and dropped.
    for (const socket of [aliceSocket, bobSocket])
      okData(await socket.emitWithAck('typing:stop', { conversationId }));

    const history = await t.http<HistoryResponse>('GET', `/api/conversations/${conversationId}/messages`, {
      cookie: alice.cookie,
    });
    expect(history.body.messages).toEqual([message]);
    const list = await t.http<{ conversations: Conversation[] }>('GET', '/api/conversations', {
      cookie: bob.cookie,
    });
    expect(list.body.conversations[0]).toMatchObject({
      lastReadSeq: 0,
      unreadCount: 1,
      changeSeq: message.changeSeq,
    });

    const heard = nextEvent(aliceSocket, 'message:new');
    const reply = await sendText(bobSocket, conversationId, 'all good here');
    expect(await heard).toEqual(reply);
    expect(
      okData(await bobSocket.emitWithAck('conversation:read', { conversationId, seq: reply.seq })),
    ).toMatchObject({
      lastReadSeq: reply.seq,
    });
    expect((await t.http('GET', '/healthz')).status).toBe(200);
  });
});

/**
 * Every free-text field a client sends over HTTP, given a lone surrogate (JSON carries it, UTF-8 does
 * not: it would be kept as U+FFFD, and argon2 hashes every lone surrogate alike): each is answered
 * 400 request/invalid on that field, and nothing is stored.
 */
describe('malformed text in HTTP bodies', () => {
  let t: TestServer;
  let admin: TestUser;
  let bot: TestUser;
  let groupId: number;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signUpAdmin(t);
    bot = await createBot(t, admin);
    groupId = (await createGroup(t, admin, [await t.signUp()])).id;
  });
  afterAll(async () => t.close());

  const cases: [name: string, method: string, path: () => string, body: () => object, field: string][] = [
    [
      'a password at registration',
      'POST',
      () => '/api/auth/register',
      () => ({
        username: uniqueName(),
        displayName: 'Ada',
        password: 'a long enough text \ud83d with words',
      }),
      'password',
    ],
    [
      'a display name at registration',
      'POST',
      () => '/api/auth/register',
      () => ({
        username: uniqueName(),
        displayName: 'Ada \ude00',
        password: 'a long enough text with words',
      }),
      'displayName',
    ],
    [
      'a bot description',
      'POST',
      () => '/api/admin/bots',
      () => ({ username: uniqueName('bot'), displayName: 'Helper', description: 'helps \ud800' }),
      'description',
    ],
    [
      'a bot avatar URL',
      'PATCH',
      () => `/api/admin/bots/${bot.id}`,
      () => ({ avatarUrl: 'https://example.com/\ud800.png' }),
      'avatarUrl',
    ],
    [
      'a bot token label',
      'POST',
      () => `/api/admin/bots/${bot.id}/tokens`,
      () => ({ label: 'ci \udc00' }),
      'label',
    ],
    [
      'a webhook URL',
      'POST',
      () => `/api/admin/bots/${bot.id}/webhooks`,
      () => ({ url: 'https://example.com/hook?x=\ud800', events: ['message'] }),
      'url',
    ],
    [
      'a companion persona',
      'PUT',
      () => `/api/admin/companions/${bot.id}`,
      () => ({ persona: 'kind \ud800' }),
      'persona',
    ],
    [
      'a companion greeting',
      'PUT',
      () => `/api/admin/companions/${bot.id}`,
      () => ({ persona: 'kind', greeting: 'hello \udfff' }),
      'greeting',
    ],
    [
      'a group description',
      'PATCH',
      () => `/api/conversations/${groupId}`,
      () => ({ description: 'about \ud800' }),
      'description',
    ],
    [
      'a group announcement',
      'PATCH',
      () => `/api/conversations/${groupId}`,
      () => ({ announcement: '\udc00 news' }),
      'announcement',
    ],
    ['a time zone', 'PUT', () => '/api/me/time-zone', () => ({ timeZone: 'Europe/Paris\ud800' }), 'timeZone'],
    [
      'a message sent over HTTP',
      'POST',
      () => `/api/conversations/${groupId}/messages`,
      () => ({ clientMsgId: crypto.randomUUID(), text: 'broken \ud83d half' }),
      'text',
    ],
  ];

  it.each(cases)(
    'refuses %s with 400 request/invalid on the field',
    async (_name, method, path, body, field) => {
      const response = await t.http<{ error: { code: string; issues: { path: string; message: string }[] } }>(
        method,
        path(),
        { cookie: admin.cookie, body: body() },
      );
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe(ErrorCode.Invalid);
      expect(response.body.error.issues).toContainEqual({
        path: `body.${field}`,
        message: 'must not contain a lone surrogate',
      });
    },
  );

  it('stored nothing of what it refused', async () => {
    const botView = await t.http<{ bot: { description: string; avatarUrl: string | null } }>(
      'GET',
      `/api/admin/bots/${bot.id}`,
      { cookie: admin.cookie },
    );
    expect(botView.body.bot).toMatchObject({ description: '', avatarUrl: null });
    for (const list of ['tokens', 'webhooks']) {
      const listed = await t.http<Record<string, unknown[]>>('GET', `/api/admin/bots/${bot.id}/${list}`, {
        cookie: admin.cookie,
      });
      expect(listed.body[list]).toEqual([]);
    }
    const companions = await t.http<{ companions: unknown[] }>('GET', '/api/admin/companions', {
      cookie: admin.cookie,
    });
    expect(companions.body.companions).toEqual([]);
    const list = await t.http<{ conversations: Conversation[] }>('GET', '/api/conversations', {
      cookie: admin.cookie,
    });
    expect(list.body.conversations.find((c) => c.id === groupId)).toMatchObject({
      description: null,
      announcement: null,
    });
    const history = await t.http<HistoryResponse>('GET', `/api/conversations/${groupId}/messages`, {
      cookie: admin.cookie,
    });
    expect(history.body.messages.filter((m) => m.type === 'text')).toEqual([]);
  });
});
