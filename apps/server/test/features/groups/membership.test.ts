// Members coming and going: system messages in order and in catch-up, removal ending room
// membership on every process, owner rules, concurrent role changes, paging, the size limit, audit.
import { ErrorCode, type Conversation, type SyncResponse } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupCall, groupWithRoles, httpCode } from '../../helpers/groups.js';
import {
  collectEvents,
  nextEvent,
  okData,
  queryDatabase,
  sendText,
  startSecondProcess,
  startTestServer,
  type SecondProcess,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

describe('group membership', () => {
  let t: TestServer;
  let other: SecondProcess;
  let owner: TestUser;
  let admin: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  beforeAll(async () => {
    t = await startTestServer({ redis: true, env: { MAX_GROUP_MEMBERS: '4' } });
    other = await startSecondProcess(t);
    [owner, admin, bob, carol] = (await Promise.all(
      Array.from({ length: 4 }, () => t.signUp()),
    )) as TestUser[] as [TestUser, TestUser, TestUser, TestUser];
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
  });

  it('a rename, an addition and a promotion are system messages in order, live and in catch-up', async () => {
    const groupId = await groupWithRoles(t, { owner, members: [bob] }, 'Before');
    const bobSocket = await other.connectSocket(bob.cookie);
    const updated = nextEvent(bobSocket, 'conversation:updated');
    const renamed = nextEvent(bobSocket, 'message:new');
    await groupCall(t, owner, 'PATCH', `/api/conversations/${groupId}`, {
      name: 'After',
      announcement: 'Be kind',
    });
    expect((await renamed).system).toEqual({
      kind: 'settings_changed',
      actor: { id: owner.id, username: owner.username, displayName: expect.any(String), kind: 'person' },
      changes: { name: { from: 'Before', to: 'After' }, announcement: { from: null, to: 'Be kind' } },
    });
    expect(await updated).toMatchObject({ conversationId: groupId, name: 'After', announcement: 'Be kind' });

    const carolSocket = await t.connectSocket(carol.cookie);
    const carolAdded = nextEvent(carolSocket, 'conversation:new');
    await groupCall(t, owner, 'POST', `/api/conversations/${groupId}/members`, {
      usernames: [carol.username],
    });
    expect((await carolAdded).members.map((m) => m.id)).toContain(carol.id);
    await groupCall(t, owner, 'PUT', `/api/conversations/${groupId}/members/${carol.id}/role`, {
      role: 'admin',
    });

    // Carol's socket joined the room on the process that holds it: she hears the next message.
    const heard = nextEvent(carolSocket, 'message:new');
    await sendText(bobSocket, groupId, 'welcome carol');
    expect((await heard).text).toBe('welcome carol');

    const sync = okData(
      await bobSocket.emitWithAck('conversation:sync', {
        conversations: [{ conversationId: groupId, changeSeq: 0 }],
      }),
    ) as SyncResponse;
    expect(sync.results[0]!.messages.map((m) => [m.seq, m.type, m.system?.kind ?? m.text])).toEqual([
      [1, 'system', 'settings_changed'],
      [2, 'system', 'members_added'],
      [3, 'system', 'role_changed'],
      [4, 'text', 'welcome carol'],
    ]);
    const audit = await queryDatabase<{ action: string }>(
      t,
      'SELECT action FROM audit_log WHERE conversationId = ? ORDER BY id',
      [groupId],
    );
    expect(audit.map((row) => row.action)).toEqual([
      'group.settings',
      'group.members.add',
      'group.member.role',
    ]);
  });

  it('a removed member’s tabs on both processes leave the room at once, keep nothing new and cannot fetch', async () => {
    const groupId = await groupWithRoles(t, { owner, members: [bob, carol] });
    const here = await t.connectSocket(bob.cookie);
    const there = await other.connectSocket(bob.cookie);
    const carolSocket = await t.connectSocket(carol.cookie);
    const ownerSocket = await t.connectSocket(owner.cookie);
    const removedHere = nextEvent(here, 'conversation:removed');
    const removedThere = nextEvent(there, 'conversation:removed');
    const afterHere = collectEvents(here, 'message:new');
    const afterThere = collectEvents(there, 'message:new');

    await groupCall(t, owner, 'DELETE', `/api/conversations/${groupId}/members/${bob.id}`);
    expect(await removedHere).toEqual({ conversationId: groupId, reason: 'removed' });
    expect(await removedThere).toEqual({ conversationId: groupId, reason: 'removed' });

    // A later message is the barrier: Carol hears it, Bob's tabs never do.
    const carolHeard = nextEvent(carolSocket, 'message:new');
    const secret = await sendText(ownerSocket, groupId, 'after bob left');
    expect((await carolHeard).id).toBe(secret.id);
    // Bob's own presence-free barrier: a message in another conversation of his still arrives.
    const direct = await t.http<{ conversation: Conversation }>('POST', '/api/conversations/direct', {
      cookie: owner.cookie,
      body: { username: bob.username },
    });
    const barrierHere = nextEvent(here, 'message:new');
    const barrierThere = nextEvent(there, 'message:new');
    await sendText(ownerSocket, direct.body.conversation.id, 'barrier');
    await Promise.all([barrierHere, barrierThere]);
    for (const received of [afterHere, afterThere]) {
      expect(received.map((m) => m.id)).not.toContain(secret.id);
      expect(received.some((m) => m.system?.kind === 'member_removed')).toBe(true);
    }

    const history = await t.http('GET', `/api/conversations/${groupId}/messages`, { cookie: bob.cookie });
    expect(httpCode(history)).toBe(ErrorCode.ConversationNotFound);
    const refused = await here.emitWithAck('message:send', {
      conversationId: groupId,
      clientMsgId: crypto.randomUUID(),
      text: 'let me back',
    });
    expect(refused).toMatchObject({ ok: false, error: { code: ErrorCode.ConversationNotFound } });
  });

  it('the owner cannot leave while others remain; after transferring, they can', async () => {
    const groupId = await groupWithRoles(t, { owner, members: [bob] });
    const refused = await t.http('POST', `/api/conversations/${groupId}/leave`, { cookie: owner.cookie });
    expect(httpCode(refused)).toBe(ErrorCode.GroupRule);
    const state = await groupCall(t, owner, 'POST', `/api/conversations/${groupId}/owner`, {
      userId: bob.id,
    });
    expect(Object.fromEntries(state!.members.map((m) => [m.id, m.role]))).toEqual({
      [owner.id]: 'admin',
      [bob.id]: 'owner',
    });
    expect(
      httpCode(await t.http('POST', `/api/conversations/${groupId}/leave`, { cookie: owner.cookie })),
    ).toBe('ok');
    // The last member may leave as owner.
    expect(
      httpCode(await t.http('POST', `/api/conversations/${groupId}/leave`, { cookie: bob.cookie })),
    ).toBe('ok');
  });

  it('concurrent promotions and demotions of one member settle to one role, recorded in order', async () => {
    const groupId = await groupWithRoles(t, { owner, members: [bob] });
    const roles = ['admin', 'member', 'admin', 'member', 'admin', 'admin', 'member', 'admin'];
    await Promise.all(
      roles.map((role) =>
        t.http('PUT', `/api/conversations/${groupId}/members/${bob.id}/role`, {
          cookie: owner.cookie,
          body: { role },
        }),
      ),
    );
    const [membership] = await queryDatabase<{ role: string }>(
      t,
      'SELECT role FROM memberships WHERE conversationId = ? AND userId = ?',
      [groupId, bob.id],
    );
    const changes = await queryDatabase<{ systemData: string }>(
      t,
      "SELECT systemData FROM messages WHERE conversationId = ? AND type = 'system' ORDER BY seq",
      [groupId],
    );
    const steps = changes.map((row) => JSON.parse(row.systemData) as { from: string; to: string });
    // Each change starts where the previous ended, and the last one is the stored role.
    for (let i = 1; i < steps.length; i += 1) expect(steps[i]!.from).toBe(steps[i - 1]!.to);
    expect(steps.at(-1)!.to).toBe(membership!.role);
  });

  it('pages and searches the member list, and refuses to grow past MAX_GROUP_MEMBERS', async () => {
    const groupId = await groupWithRoles(t, { owner, admins: [admin], members: [bob, carol] });
    const first = await t.http<{ members: Array<{ username: string }>; next: string | null; total: number }>(
      'GET',
      `/api/conversations/${groupId}/members?limit=3`,
      { cookie: bob.cookie },
    );
    expect(first.body.total).toBe(4);
    expect(first.body.members).toHaveLength(3);
    const rest = await t.http<{ members: Array<{ username: string }>; next: string | null }>(
      'GET',
      `/api/conversations/${groupId}/members?limit=3&after=${first.body.next!}`,
      { cookie: bob.cookie },
    );
    expect(rest.body.next).toBeNull();
    const all = [...first.body.members, ...rest.body.members].map((m) => m.username);
    expect(all).toEqual([owner, admin, bob, carol].map((u) => u.username).sort());
    const found = await t.http<{ members: Array<{ id: number }> }>(
      'GET',
      `/api/conversations/${groupId}/members?q=${carol.username.slice(0, 8).toUpperCase()}`,
      { cookie: bob.cookie },
    );
    expect(found.body.members.map((m) => m.id)).toContain(carol.id);

    const extra = await t.signUp();
    const full = await t.http('POST', `/api/conversations/${groupId}/members`, {
      cookie: owner.cookie,
      body: { usernames: [extra.username] },
    });
    expect(httpCode(full)).toBe(ErrorCode.GroupRule);
    const tooBig = await t.http('POST', '/api/conversations', {
      cookie: owner.cookie,
      body: { name: 'Too big', memberUsernames: [admin, bob, carol, extra].map((u) => u.username) },
    });
    expect(httpCode(tooBig)).toBe(ErrorCode.GroupRule);
  });
});
