import { ErrorCode, type Conversation, type ErrorResponse } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectEvents,
  messageBarrier,
  nextEvent,
  queryDatabase,
  sendText,
  startTestServer,
  uniqueName,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

describe('direct conversations', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { AUTH_RATE_LIMIT_PER_IP: '10000' } });
  });
  afterAll(async () => t.close());

  const openDirect = (user: TestUser, body: unknown) =>
    t.http<{ conversation: Conversation } & Partial<ErrorResponse>>('POST', '/api/conversations/direct', {
      cookie: user.cookie,
      body,
    });

  it('opens a direct conversation with 201 the first time, then 200 with the same one for either person', async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const first = await openDirect(alice, { username: bob.username });
    expect(first.status).toBe(201);
    const conversation = first.body.conversation;
    expect(conversation).toMatchObject({
      kind: 'direct',
      name: null,
      lastSeq: 0,
      unreadCount: 0,
      lastMessage: null,
    });
    expect(conversation.members.map((member) => member.id).sort()).toEqual([alice.id, bob.id].sort());

    const again = await openDirect(alice, { username: bob.username.toUpperCase() });
    expect(again.status).toBe(200);
    expect(again.body.conversation.id).toBe(conversation.id);

    const fromBob = await openDirect(bob, { username: alice.username });
    expect(fromBob.status).toBe(200);
    expect(fromBob.body.conversation.id).toBe(conversation.id);
  });

  it('yields one conversation when both people open it at the same moment', async () => {
    for (let round = 0; round < 5; round += 1) {
      const [alice, bob] = [await t.signUp(), await t.signUp()];
      const responses = await Promise.all([
        openDirect(alice, { username: bob.username }),
        openDirect(bob, { username: alice.username }),
        openDirect(alice, { username: bob.username }),
        openDirect(bob, { username: alice.username }),
      ]);
      expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 200, 201]);
      expect(new Set(responses.map((response) => response.body.conversation.id)).size).toBe(1);
      const list = await t.http<{ conversations: Conversation[] }>('GET', '/api/conversations', {
        cookie: alice.cookie,
      });
      expect(list.body.conversations).toHaveLength(1);
    }
  });

  it("tells both people's open sockets and puts them in its room, so messages flow without reconnecting", async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const [aliceSocket, bobSocket] = [await t.connectSocket(alice.cookie), await t.connectSocket(bob.cookie)];
    const aliceTold = nextEvent(aliceSocket, 'conversation:new');
    const bobTold = nextEvent(bobSocket, 'conversation:new');

    const { body } = await openDirect(alice, { username: bob.username });
    const id = body.conversation.id;
    expect((await aliceTold).id).toBe(id);
    expect(await bobTold).toMatchObject({ id, kind: 'direct', name: null });

    const toBob = nextEvent(bobSocket, 'message:new');
    await sendText(aliceSocket, id, 'hi Bob');
    expect((await toBob).text).toBe('hi Bob');
    const toAlice = nextEvent(aliceSocket, 'message:new');
    await sendText(bobSocket, id, 'hi Alice');
    expect((await toAlice).text).toBe('hi Alice');
  });

  it('announces the conversation only when it is created, not when it is opened again', async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    await openDirect(alice, { username: bob.username });
    const [aliceSocket, bobSocket] = await Promise.all([
      t.connectSocket(alice.cookie),
      t.connectSocket(bob.cookie),
    ]);
    const heard = collectEvents(bobSocket, 'conversation:new');
    const again = await openDirect(alice, { username: bob.username });
    expect(again.status).toBe(200);
    await messageBarrier(aliceSocket, bobSocket, again.body.conversation.id);
    expect(heard).toEqual([]);
  });

  it('refuses an unknown username with 404 user/not_found and creates nothing', async () => {
    const alice = await t.signUp();
    const response = await openDirect(alice, { username: uniqueName('ghost') });
    expect(response.status).toBe(404);
    expect(response.body.error?.code).toBe(ErrorCode.UserNotFound);
    const list = await t.http<{ conversations: Conversation[] }>('GET', '/api/conversations', {
      cookie: alice.cookie,
    });
    expect(list.body.conversations).toEqual([]);
  });

  it('refuses a deactivated user with 404 user/not_found', async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    await queryDatabase(t, 'UPDATE users SET deactivatedAt = CURRENT_TIMESTAMP(3) WHERE id = ?', [bob.id]);
    const response = await openDirect(alice, { username: bob.username });
    expect(response.status).toBe(404);
    expect(response.body.error?.code).toBe(ErrorCode.UserNotFound);
  });

  it('refuses a direct conversation with oneself with 400 request/invalid', async () => {
    const alice = await t.signUp();
    const response = await openDirect(alice, { username: alice.username.toUpperCase() });
    expect(response.status).toBe(400);
    expect(response.body.error?.code).toBe(ErrorCode.Invalid);
    expect(response.body.error?.issues?.map((issue) => issue.path)).toContain('username');
  });

  it.each([
    ['an unknown field', (other: string) => ({ username: other, kind: 'group' })],
    ['a missing username', () => ({})],
    ['a number for the username', () => ({ username: 42 })],
    ['an invalid username', () => ({ username: 'no spaces allowed' })],
  ])('refuses a body with %s with 400 request/invalid', async (_case, body) => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const response = await openDirect(alice, body(bob.username));
    expect(response.status).toBe(400);
    expect(response.body.error?.code).toBe(ErrorCode.Invalid);
  });

  it('requires a session', async () => {
    const bob = await t.signUp();
    const response = await t.http<ErrorResponse>('POST', '/api/conversations/direct', {
      body: { username: bob.username },
    });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe(ErrorCode.Unauthenticated);
  });
});
