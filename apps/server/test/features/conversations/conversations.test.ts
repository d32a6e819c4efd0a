import { ErrorCode, type Conversation } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  nextEvent,
  okData,
  queryDatabase,
  startTestServer,
  uniqueName,
  type TestServer,
} from '../../helpers/server.js';

describe('groups', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('creates a group with members found by username; members learn of it live and join its room', async () => {
    const [alice, bob, carol] = [await t.signUp(), await t.signUp(), await t.signUp()];
    const bobSocket = await t.connectSocket(bob.cookie);
    const announced = nextEvent(bobSocket, 'conversation:new');

    const created = await t.http<{ conversation: Conversation }>('POST', '/api/conversations', {
      cookie: alice.cookie,
      body: {
        name: '  Weekend plans ',
        memberUsernames: [bob.username, carol.username.toUpperCase(), alice.username],
      },
    });
    expect(created.status).toBe(201);
    const conversation = created.body.conversation;
    expect(conversation).toMatchObject({ kind: 'group', name: 'Weekend plans', lastSeq: 0, unreadCount: 0 });
    expect(conversation.members.map((member) => [member.id, member.role])).toEqual([
      [alice.id, 'owner'],
      [bob.id, 'member'],
      [carol.id, 'member'],
    ]);
    expect((await announced).id).toBe(conversation.id);

    // Bob's already-open socket is now in the room: a message reaches him without reconnecting.
    const aliceSocket = await t.connectSocket(alice.cookie);
    const delivered = nextEvent(bobSocket, 'message:new');
    await aliceSocket.emitWithAck('message:send', {
      conversationId: conversation.id,
      clientMsgId: crypto.randomUUID(),
      text: 'Hi both',
    });
    expect((await delivered).text).toBe('Hi both');

    const list = await t.http<{ conversations: Conversation[] }>('GET', '/api/conversations', {
      cookie: carol.cookie,
    });
    expect(list.body.conversations.map((c) => c.id)).toEqual([conversation.id]);
    expect(list.body.conversations[0]).toMatchObject({ unreadCount: 1, lastMessage: { text: 'Hi both' } });
  });

  it('refuses unknown usernames, naming them, and creates nothing', async () => {
    const alice = await t.signUp();
    const ghost = uniqueName('ghost');
    const response = await t.http<{ error: { code: string; message: string } }>(
      'POST',
      '/api/conversations',
      {
        cookie: alice.cookie,
        body: { name: 'Haunted', memberUsernames: [ghost] },
      },
    );
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe(ErrorCode.UnknownMembers);
    expect(response.body.error.message).toContain(ghost);
    const list = await t.http<{ conversations: Conversation[] }>('GET', '/api/conversations', {
      cookie: alice.cookie,
    });
    expect(list.body.conversations).toEqual([]);
  });

  it.each([
    ['an empty name', { name: '   ', memberUsernames: [] }, 'body.name'],
    ['a name over 80 characters', { name: 'x'.repeat(81), memberUsernames: [] }, 'body.name'],
    ['a name with a bidi override', { name: 'evil\u202egnp.exe', memberUsernames: [] }, 'body.name'],
    ['a name with an isolate', { name: 'a\u2067b\u2069', memberUsernames: [] }, 'body.name'],
    ['an invisible name', { name: '\u200b\u3164\u2800', memberUsernames: [] }, 'body.name'],
    ['a name with a NUL', { name: 'a\u0000b', memberUsernames: [] }, 'body.name'],
    ['members that are not a list', { name: 'Group', memberUsernames: 'bob' }, 'body.memberUsernames'],
    ['an unknown field', { name: 'Group', memberUsernames: [], kind: 'direct' }, 'body'],
  ])('refuses a group with %s (400 request/invalid naming the field)', async (_case, body, field) => {
    const alice = await t.signUp();
    const response = await t.http<{ error: { code: string; issues: { path: string }[] } }>(
      'POST',
      '/api/conversations',
      { cookie: alice.cookie, body },
    );
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe(ErrorCode.Invalid);
    expect(response.body.error.issues.map((issue) => issue.path)).toContain(field);
    const list = await t.http<{ conversations: Conversation[] }>('GET', '/api/conversations', {
      cookie: alice.cookie,
    });
    expect(list.body.conversations).toEqual([]);
  });

  it('accepts right-to-left, CJK and emoji group names, and still serves a name stored before the rule', async () => {
    const alice = await t.signUp();
    const names = ['צוות', '周末计划', '🚀 launch'];
    const ids: number[] = [];
    for (const name of names) {
      const created = await t.http<{ conversation: Conversation }>('POST', '/api/conversations', {
        cookie: alice.cookie,
        body: { name, memberUsernames: [] },
      });
      expect(created.status).toBe(201);
      expect(created.body.conversation.name).toBe(name);
      ids.push(created.body.conversation.id);
    }
    const legacy = 'old\u202ename\u0000';
    await queryDatabase(t, 'UPDATE conversations SET name = ? WHERE id = ?', [legacy, ids[0]]);
    const read = await t.http<{ conversation: Conversation }>('GET', `/api/conversations/${ids[0]}`, {
      cookie: alice.cookie,
    });
    expect(read.status).toBe(200);
    expect(read.body.conversation.name).toBe(legacy);
  });

  it('requires a session for every conversation route', async () => {
    for (const [method, path] of [
      ['GET', '/api/conversations'],
      ['POST', '/api/conversations'],
      ['GET', '/api/conversations/1'],
      ['GET', '/api/conversations/1/messages'],
      ['GET', '/api/users'],
    ] as const) {
      const response = await t.http<{ error: { code: string } }>(method, path, {
        body: method === 'POST' ? { name: 'x', memberUsernames: [] } : undefined,
      });
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(response.body.error.code).toBe(ErrorCode.Unauthenticated);
    }
  });

  it('refuses an anonymous request 401 before looking at its input, on every signed-in route group', async () => {
    const badInput = [
      ['POST', '/api/conversations/1/messages', { text: 42 }],
      ['GET', '/api/conversations/not-a-number/messages?limit=-5', undefined],
      ['POST', '/api/conversations', { name: ['not', 'a', 'name'] }],
      ['POST', '/api/conversations/direct', {}],
      ['PATCH', '/api/conversations/x', { name: 7 }],
      ['POST', '/api/conversations/1/members', { usernames: 'nobody' }],
      ['PUT', '/api/conversations/1/members/x/role', { role: 'emperor' }],
      ['POST', '/api/conversations/1/messages/x/retry', undefined],
      ['PUT', '/api/companions/x/check-ins', { enabled: 'sometimes' }],
      ['PUT', '/api/me/time-zone', { timeZone: 5 }],
      ['GET', '/api/users?limit=many', undefined],
      ['POST', '/api/uploads', { not: 'multipart' }],
      ['GET', '/api/uploads/x/y', undefined],
      ['POST', '/api/invites/x/join', { junk: true }],
    ] as const;
    for (const [method, path, body] of badInput) {
      const response = await t.http<{ error: { code: string } }>(method, path, { body });
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(response.body.error.code, `${method} ${path}`).toBe(ErrorCode.Unauthenticated);
    }
    // Signed in, the same input is still checked.
    const alice = await t.signUp();
    const checked = await t.http<{ error: { code: string } }>('POST', '/api/conversations/1/messages', {
      cookie: alice.cookie,
      body: { text: 42 },
    });
    expect(checked.status).toBe(400);
  });

  it('answers a foreign conversation exactly like a missing one, over HTTP: 404 conversation/not_found', async () => {
    const [alice, mallory] = [await t.signUp(), await t.signUp()];
    const { body } = await t.http<{ conversation: Conversation }>('POST', '/api/conversations', {
      cookie: alice.cookie,
      body: { name: 'Private', memberUsernames: [] },
    });
    const foreignId = body.conversation.id;
    const missingId = foreignId + 1000;
    for (const path of ['', '/messages', '/messages?after=0&limit=5']) {
      const foreign = await t.http('GET', `/api/conversations/${foreignId}${path}`, {
        cookie: mallory.cookie,
      });
      const missing = await t.http('GET', `/api/conversations/${missingId}${path}`, {
        cookie: mallory.cookie,
      });
      expect(foreign.status).toBe(404);
      expect(foreign.body).toEqual({
        error: { code: ErrorCode.ConversationNotFound, message: 'No such conversation' },
      });
      expect(missing.status).toBe(foreign.status);
      expect(missing.body).toEqual(foreign.body);
    }
    const malformed = await t.http<{ error: { code: string } }>('GET', '/api/conversations/1e3', {
      cookie: mallory.cookie,
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe(ErrorCode.Invalid);
  });

  it('answers a foreign conversation exactly like a missing one on every socket event', async () => {
    const [alice, mallory] = [await t.signUp(), await t.signUp()];
    const { body } = await t.http<{ conversation: Conversation }>('POST', '/api/conversations', {
      cookie: alice.cookie,
      body: { name: 'Private', memberUsernames: [] },
    });
    const foreignId = body.conversation.id;
    const missingId = foreignId + 1000;
    const aliceSocket = await t.connectSocket(alice.cookie);
    const message = okData(
      await aliceSocket.emitWithAck('message:send', {
        conversationId: foreignId,
        clientMsgId: crypto.randomUUID(),
        text: 'private',
      }),
    );
    const mallorySocket = await t.connectSocket(mallory.cookie);
    const attempts = (conversationId: number) => [
      mallorySocket.emitWithAck('message:send', {
        conversationId,
        clientMsgId: crypto.randomUUID(),
        text: 'hello?',
      }),
      mallorySocket.emitWithAck('message:edit', { conversationId, messageId: message.id, text: 'x' }),
      mallorySocket.emitWithAck('message:delete', { conversationId, messageId: message.id }),
      mallorySocket.emitWithAck('message:react', {
        conversationId,
        messageId: message.id,
        emoji: '👍',
        on: true,
      }),
      mallorySocket.emitWithAck('conversation:read', { conversationId, seq: 1 }),
      mallorySocket.emitWithAck('conversation:delivered', { conversationId, seq: 1 }),
      mallorySocket.emitWithAck('typing:start', { conversationId }),
      mallorySocket.emitWithAck('typing:stop', { conversationId }),
    ];
    const foreign = await Promise.all(attempts(foreignId));
    const missing = await Promise.all(attempts(missingId));
    const notFound = {
      ok: false,
      error: { code: ErrorCode.ConversationNotFound, message: 'No such conversation' },
    };
    expect(foreign).toEqual(foreign.map(() => notFound));
    expect(missing).toEqual(foreign);

    // Catch-up leaves out both alike: neither is in the answer.
    const sync = (conversationId: number) =>
      mallorySocket.emitWithAck('conversation:sync', { conversations: [{ conversationId, changeSeq: 0 }] });
    expect(await sync(foreignId)).toEqual({ ok: true, data: { results: [] } });
    expect(await sync(missingId)).toEqual({ ok: true, data: { results: [] } });
  });

  it('marks a conversation read: the position moves forward only and the other tabs are told', async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const { body } = await t.http<{ conversation: Conversation }>('POST', '/api/conversations', {
      cookie: alice.cookie,
      body: { name: 'Reading', memberUsernames: [bob.username] },
    });
    const id = body.conversation.id;
    const aliceSocket = await t.connectSocket(alice.cookie);
    for (const text of ['one', 'two', 'three']) {
      await aliceSocket.emitWithAck('message:send', {
        conversationId: id,
        clientMsgId: crypto.randomUUID(),
        text,
      });
    }
    const bobTab1 = await t.connectSocket(bob.cookie);
    const bobTab2 = await t.connectSocket(bob.cookie);
    const told = nextEvent(bobTab2, 'conversation:read');

    const read = await bobTab1.emitWithAck('conversation:read', { conversationId: id, seq: 2 });
    expect(read).toEqual({ ok: true, data: { conversationId: id, lastReadSeq: 2, unreadCount: 1 } });
    expect(await told).toEqual({ conversationId: id, lastReadSeq: 2, unreadCount: 1 });

    const backwards = await bobTab1.emitWithAck('conversation:read', { conversationId: id, seq: 1 });
    expect(backwards).toMatchObject({ ok: true, data: { lastReadSeq: 2 } });

    const future = await bobTab1.emitWithAck('conversation:read', { conversationId: id, seq: 99 });
    expect(future).toMatchObject({ ok: false, error: { code: ErrorCode.Invalid } });

    const outsider = await t.signUp();
    const outsiderSocket = await t.connectSocket(outsider.cookie);
    const denied = await outsiderSocket.emitWithAck('conversation:read', { conversationId: id, seq: 1 });
    expect(denied).toMatchObject({ ok: false, error: { code: ErrorCode.ConversationNotFound } });
  });
});

describe('creating conversations', () => {
  it('is limited per person to a human pace, with a 429', async () => {
    const t = await startTestServer();
    try {
      const [alice, bob] = [await t.signUp(), await t.signUp()];
      for (let i = 0; i < 30; i += 1) {
        const created = await t.http('POST', '/api/conversations', {
          cookie: alice.cookie,
          body: { name: `Group ${i}`, memberUsernames: [] },
        });
        expect(created.status).toBe(201);
      }
      const refused = await t.http<{ error: { code: string } }>('POST', '/api/conversations/direct', {
        cookie: alice.cookie,
        body: { username: bob.username },
      });
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe(ErrorCode.RateLimited);
      const bobCanStill = await t.http('POST', '/api/conversations/direct', {
        cookie: bob.cookie,
        body: { username: alice.username },
      });
      expect(bobCanStill.status).toBe(201);
    } finally {
      await t.close();
    }
  });
});

describe('user directory', () => {
  it('finds active users by username or display name prefix, excluding the caller', async () => {
    const t = await startTestServer();
    try {
      const me = await t.signUp('searcher');
      await t.signUp('zoe_a', 'Zoe Adams');
      await t.signUp('zed', 'Zed Zulu');
      await t.signUp('amy', 'Zoey Brown');
      const response = await t.http<{ users: { username: string }[] }>('GET', '/api/users?q=Zo', {
        cookie: me.cookie,
      });
      expect(response.status).toBe(200);
      expect(response.body.users.map((u) => u.username)).toEqual(['amy', 'zoe_a']);
      const bad = await t.http<{ error: { code: string } }>('GET', '/api/users?limit=500', {
        cookie: me.cookie,
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe(ErrorCode.Invalid);
    } finally {
      await t.close();
    }
  });
});
