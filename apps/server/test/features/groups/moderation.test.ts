// Mute, "only admins can post", slow mode and admin deletion, as members meet them on the send path.
import { randomUUID } from 'node:crypto';
import { ErrorCode, type BanPage } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupCall, groupWithRoles, httpCode } from '../../helpers/groups.js';
import {
  nextEvent,
  okData,
  queryDatabase,
  sendText,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

describe('group moderation on the send path', () => {
  let t: TestServer;
  let owner: TestUser;
  let admin: TestUser;
  let member: TestUser;

  beforeAll(async () => {
    t = await startTestServer();
    [owner, admin, member] = (await Promise.all([t.signUp(), t.signUp(), t.signUp()])) as [
      TestUser,
      TestUser,
      TestUser,
    ];
  });
  afterAll(async () => t.close());

  const send = (
    socket: Awaited<ReturnType<TestServer['connectSocket']>>,
    conversationId: number,
    text: string,
  ) => socket.emitWithAck('message:send', { conversationId, clientMsgId: randomUUID(), text });

  it('a muted member can read but not send, and the refusal says until when; unmuting lets them send', async () => {
    const groupId = await groupWithRoles(t, { owner, members: [member] });
    const memberSocket = await t.connectSocket(member.cookie);
    const ownerSocket = await t.connectSocket(owner.cookie);
    const muteHeard = nextEvent(memberSocket, 'message:new');
    await groupCall(t, owner, 'PUT', `/api/conversations/${groupId}/members/${member.id}/mute`, {
      seconds: 600,
    });
    const notice = await muteHeard;
    expect(notice.system).toMatchObject({ kind: 'member_muted', target: { id: member.id } });
    const until = (notice.system as { until: string }).until;
    expect(Date.parse(until)).toBeGreaterThan(Date.now() + 500_000);

    const refused = await send(memberSocket, groupId, 'let me speak');
    expect(refused).toMatchObject({ ok: false, error: { code: ErrorCode.Muted, until } });

    const heard = nextEvent(memberSocket, 'message:new');
    await sendText(ownerSocket, groupId, 'you can still read');
    expect((await heard).text).toBe('you can still read');

    const conversation = await t.http<{ conversation: { mutedUntil: string | null } }>(
      'GET',
      `/api/conversations/${groupId}`,
      { cookie: member.cookie },
    );
    expect(conversation.body.conversation.mutedUntil).toBe(until);

    await groupCall(t, owner, 'DELETE', `/api/conversations/${groupId}/members/${member.id}/mute`);
    expect((await send(memberSocket, groupId, 'thanks')).ok).toBe(true);
  });

  it('in an "only admins can post" group, members are refused and admins and the owner post', async () => {
    const groupId = await groupWithRoles(t, { owner, admins: [admin], members: [member] });
    await groupCall(t, owner, 'PATCH', `/api/conversations/${groupId}`, { onlyAdminsPost: true });
    const [ownerSocket, adminSocket, memberSocket] = await Promise.all(
      [owner, admin, member].map((user) => t.connectSocket(user.cookie)),
    );
    expect(await send(memberSocket!, groupId, 'hello?')).toMatchObject({
      ok: false,
      error: { code: ErrorCode.AdminsOnly },
    });
    expect((await send(adminSocket!, groupId, 'announcement')).ok).toBe(true);
    expect((await send(ownerSocket!, groupId, 'another')).ok).toBe(true);
  });

  it('slow mode refuses a member’s second message within the interval, saying how long to wait', async () => {
    const groupId = await groupWithRoles(t, { owner, members: [member] });
    await groupCall(t, owner, 'PATCH', `/api/conversations/${groupId}`, { slowModeSeconds: 3600 });
    const memberSocket = await t.connectSocket(member.cookie);
    const ownerSocket = await t.connectSocket(owner.cookie);
    expect((await send(memberSocket, groupId, 'first')).ok).toBe(true);
    const second = await send(memberSocket, groupId, 'second');
    expect(second).toMatchObject({ ok: false, error: { code: ErrorCode.SlowMode } });
    const wait = (second as { error: { retryAfterMs: number } }).error.retryAfterMs;
    expect(wait).toBeGreaterThan(3_500_000);
    expect(wait).toBeLessThanOrEqual(3_600_000);
    // Owners and admins moderate a slow group at their own pace.
    expect((await send(ownerSocket, groupId, 'one')).ok).toBe(true);
    expect((await send(ownerSocket, groupId, 'two')).ok).toBe(true);
    // A retry of the message already stored is answered with it, not refused.
    const clientMsgId = randomUUID();
    await groupCall(t, owner, 'PATCH', `/api/conversations/${groupId}`, { slowModeSeconds: 0 });
    const stored = okData(
      await memberSocket.emitWithAck('message:send', { conversationId: groupId, clientMsgId, text: 'x' }),
    );
    await groupCall(t, owner, 'PATCH', `/api/conversations/${groupId}`, { slowModeSeconds: 3600 });
    const retried = okData(
      await memberSocket.emitWithAck('message:send', { conversationId: groupId, clientMsgId, text: 'x' }),
    );
    expect(retried.id).toBe(stored.id);
  });

  it('an admin deletes a member’s message: everyone sees it removed by an admin, and it is audited', async () => {
    const groupId = await groupWithRoles(t, { owner, admins: [admin], members: [member] });
    const [adminSocket, memberSocket] = await Promise.all(
      [admin, member].map((user) => t.connectSocket(user.cookie)),
    );
    const message = await sendText(memberSocket!, groupId, 'spam');
    const seen = nextEvent(memberSocket!, 'message:updated');
    const removed = okData(
      await adminSocket!.emitWithAck('message:delete', { conversationId: groupId, messageId: message.id }),
    );
    expect(removed).toMatchObject({ text: '', removedByAdmin: true });
    expect(await seen).toMatchObject({ id: message.id, removedByAdmin: true });
    const audit = await queryDatabase<{ actorId: number; action: string }>(
      t,
      'SELECT actorId, action FROM audit_log WHERE conversationId = ? AND action = ?',
      [groupId, 'group.message.remove'],
    );
    expect(audit).toEqual([{ actorId: admin.id, action: 'group.message.remove' }]);
  });

  it('the ban list pages by user id, names who banned whom, and only a role that may ban reads it', async () => {
    const others = [await t.signUp(), await t.signUp(), await t.signUp()];
    const groupId = await groupWithRoles(t, { owner, admins: [admin], members: [member, ...others] });
    for (const person of others) {
      await groupCall(t, admin, 'PUT', `/api/conversations/${groupId}/bans/${person.id}`);
    }
    const page = (cookie: string, query: string) =>
      t.http<BanPage>('GET', `/api/conversations/${groupId}/bans?${query}`, { cookie });

    const first = await page(owner.cookie, 'limit=2');
    expect(first.status).toBe(200);
    const ids = others.map((person) => person.id).sort((a, b) => a - b);
    expect(first.body.bans.map((ban) => ban.user.id)).toEqual(ids.slice(0, 2));
    expect(first.body.bans[0]).toMatchObject({ bannedBy: { id: admin.id, username: admin.username } });
    expect(first.body.nextCursor).toBe(ids[1]);
    const second = await page(owner.cookie, `limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.bans.map((ban) => ban.user.id)).toEqual(ids.slice(2));
    expect(second.body.nextCursor).toBeNull();

    await groupCall(t, admin, 'DELETE', `/api/conversations/${groupId}/bans/${ids[0]}`);
    expect((await page(admin.cookie, '')).body.bans.map((ban) => ban.user.id)).toEqual(ids.slice(1));

    expect(httpCode(await page(member.cookie, ''))).toBe(ErrorCode.Forbidden);
    expect(httpCode(await page(others[1]!.cookie, ''))).toBe(ErrorCode.ConversationNotFound);
    expect(httpCode(await page(owner.cookie, 'limit=0'))).toBe(ErrorCode.Invalid);
  });
});
