// Invite links: joining needs an account, twice is harmless; expired, exhausted, revoked and banned refused.
import { ErrorCode, type Invite } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupCall, groupWithRoles, httpCode } from '../../helpers/groups.js';
import {
  nextEvent,
  queryDatabase,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

describe('group invite links', () => {
  let t: TestServer;
  let owner: TestUser;
  let admin: TestUser;

  beforeAll(async () => {
    t = await startTestServer();
    [owner, admin] = (await Promise.all([t.signUp(), t.signUp()])) as [TestUser, TestUser];
  });
  afterAll(async () => t.close());

  async function invite(groupId: number, body: object = {}): Promise<Invite> {
    const response = await t.http<{ invite: Invite }>('POST', `/api/conversations/${groupId}/invites`, {
      cookie: admin.cookie,
      body,
    });
    expect(response.status).toBe(201);
    return response.body.invite;
  }
  const join = (user: TestUser | null, token: string) =>
    t.http<{ conversationId: number }>('POST', `/api/invites/${token}/join`, {
      cookie: user?.cookie ?? null,
    });

  it('a signed-in person joins once however often they use the link; the group hears it live', async () => {
    const groupId = await groupWithRoles(t, { owner, admins: [admin] });
    const link = await invite(groupId, { maxUses: 5 });
    const dave = await t.signUp();
    expect(httpCode(await join(null, link.token))).toBe(ErrorCode.Unauthenticated);

    const ownerSocket = await t.connectSocket(owner.cookie);
    const daveSocket = await t.connectSocket(dave.cookie);
    const joinedMessage = nextEvent(ownerSocket, 'message:new');
    const welcomed = nextEvent(daveSocket, 'conversation:new');
    expect((await join(dave, link.token)).body).toEqual({ conversationId: groupId });
    expect((await joinedMessage).system).toMatchObject({ kind: 'member_joined', actor: { id: dave.id } });
    expect((await welcomed).id).toBe(groupId);

    expect(httpCode(await join(dave, link.token))).toBe('ok');
    const [row] = await queryDatabase<{ uses: number }>(t, 'SELECT uses FROM group_invites WHERE id = ?', [
      link.id,
    ]);
    expect(row!.uses).toBe(1);
  });

  it('refuses an expired, used-up or revoked link, a banned person, and a made-up token', async () => {
    const groupId = await groupWithRoles(t, { owner, admins: [admin] });
    const [first, second, third] = [await t.signUp(), await t.signUp(), await t.signUp()];

    const once = await invite(groupId, { maxUses: 1 });
    expect(httpCode(await join(first, once.token))).toBe('ok');
    expect(httpCode(await join(second, once.token))).toBe(ErrorCode.InviteExpired);

    const soon = await invite(groupId, { expiresInSeconds: 60 });
    await queryDatabase(t, 'UPDATE group_invites SET expiresAt = NOW(3) - INTERVAL 1 SECOND WHERE id = ?', [
      soon.id,
    ]);
    expect(httpCode(await join(second, soon.token))).toBe(ErrorCode.InviteExpired);

    const revoked = await invite(groupId);
    await groupCall(t, admin, 'DELETE', `/api/conversations/${groupId}/invites/${revoked.id}`);
    expect(httpCode(await join(second, revoked.token))).toBe(ErrorCode.InviteNotFound);

    const open = await invite(groupId);
    await groupCall(t, admin, 'PUT', `/api/conversations/${groupId}/bans/${first.id}`);
    expect(httpCode(await join(first, open.token))).toBe(ErrorCode.Banned);
    expect(httpCode(await join(third, open.token))).toBe('ok');
    await groupCall(t, owner, 'DELETE', `/api/conversations/${groupId}/bans/${first.id}`);
    expect(httpCode(await join(first, open.token))).toBe('ok');

    expect(httpCode(await join(second, 'A'.repeat(43)))).toBe(ErrorCode.InviteNotFound);
    expect(httpCode(await join(second, 'short'))).toBe(ErrorCode.Invalid);

    const listed = await t.http<{ invites: Invite[] }>('GET', `/api/conversations/${groupId}/invites`, {
      cookie: owner.cookie,
    });
    expect(listed.body.invites.map((i) => i.id)).toEqual([open.id, revoked.id, soon.id, once.id]);
    expect(listed.body.invites.find((i) => i.id === revoked.id)!.revokedAt).not.toBeNull();
    const asMember = await t.http('GET', `/api/conversations/${groupId}/invites`, { cookie: third.cookie });
    expect(httpCode(asMember)).toBe(ErrorCode.Forbidden);
  });
});
