// One test per cell of GROUP_ROLE_TABLE: each role tries each action on a plain member of a fresh
// group. The table is the specification; a refusal is conversation/forbidden and changes nothing.
import { GROUP_ACTIONS, GROUP_ROLE_TABLE, mayAct, type GroupAction, type MemberRole } from '@parley/shared';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { groupWithRoles, httpCode } from '../../helpers/groups.js';
import {
  ackCode,
  queryDatabase,
  sendText,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

interface Cast {
  /** Group creation is limited to 30 a minute per person: owners take turns. */
  owners: TestUser[];
  owner: TestUser;
  admin: TestUser;
  member: TestUser;
  /** The member every targeted action is aimed at. */
  target: TestUser;
  outsider: TestUser;
}

describe('the group role table', () => {
  let t: TestServer;
  let cast: Cast;

  beforeAll(async () => {
    t = await startTestServer();
    const [admin, member, target, outsider, ...owners] = await Promise.all(
      Array.from({ length: 7 }, () => t.signUp()),
    );
    cast = {
      owners,
      owner: owners[0]!,
      admin: admin!,
      member: member!,
      target: target!,
      outsider: outsider!,
    };
  });

  let turn = 0;
  beforeEach(() => {
    turn += 1;
    cast.owner = cast.owners[turn % cast.owners.length]!;
  });
  afterAll(async () => t.close());

  async function attempt(action: GroupAction, actor: TestUser, groupId: number): Promise<string> {
    const base = `/api/conversations/${groupId}`;
    const call = async (method: string, path: string, body?: unknown) =>
      httpCode(await t.http(method, `${base}${path}`, { cookie: actor.cookie, body }));
    const target = cast.target.id;
    switch (action) {
      case 'editSettings':
        return call('PATCH', '', { name: 'Renamed', description: 'About us' });
      case 'setPostingRules':
        return call('PATCH', '', { onlyAdminsPost: true, slowModeSeconds: 30 });
      case 'addMembers':
        return call('POST', '/members', { usernames: [cast.outsider.username] });
      case 'removeMember':
        return call('DELETE', `/members/${target}`);
      case 'setRole':
        return call('PUT', `/members/${target}/role`, { role: 'admin' });
      case 'transferOwnership':
        return call('POST', '/owner', { userId: target });
      case 'manageInvites':
        return call('POST', '/invites', { maxUses: 3 });
      case 'muteMember':
        return call('PUT', `/members/${target}/mute`, { seconds: 60 });
      case 'banMember':
        return call('PUT', `/bans/${target}`);
      case 'leave':
        return call('POST', '/leave');
      case 'deleteAnyMessage': {
        const targetSocket = await t.connectSocket(cast.target.cookie);
        const message = await sendText(targetSocket, groupId, 'mine');
        targetSocket.close();
        const socket = await t.connectSocket(actor.cookie);
        const ack = await socket.emitWithAck('message:delete', {
          conversationId: groupId,
          messageId: message.id,
        });
        socket.close();
        return ackCode(ack);
      }
    }
  }

  const roles: MemberRole[] = ['owner', 'admin', 'member'];
  for (const action of GROUP_ACTIONS) {
    for (const role of roles) {
      const allowed = mayAct(action, role, 'member');
      const expected = allowed
        ? 'ok'
        : action === 'leave' && role === 'owner'
          ? 'conversation/rule'
          : action === 'deleteAnyMessage'
            ? 'message/not_author'
            : 'conversation/forbidden';
      it(`${action} by ${role} (${GROUP_ROLE_TABLE[action][role]}) answers ${expected}`, async () => {
        const groupId = await groupWithRoles(t, {
          owner: cast.owner,
          admins: [cast.admin],
          members: [cast.member, cast.target],
        });
        const actor = { owner: cast.owner, admin: cast.admin, member: cast.member }[role];
        const [before] = await queryDatabase<{ lastChangeSeq: number; audits: bigint }>(
          t,
          'SELECT lastChangeSeq, (SELECT COUNT(*) FROM audit_log WHERE conversationId = ?) AS audits FROM conversations WHERE id = ?',
          [groupId, groupId],
        );
        const code = await attempt(action, actor, groupId);
        expect(code).toBe(expected);
        if (expected !== 'ok') {
          const [after] = await queryDatabase<{ lastChangeSeq: number; audits: bigint }>(
            t,
            'SELECT lastChangeSeq, (SELECT COUNT(*) FROM audit_log WHERE conversationId = ?) AS audits FROM conversations WHERE id = ?',
            [groupId, groupId],
          );
          // deleteAnyMessage's own setup sends one message.
          const sent = action === 'deleteAnyMessage' ? 1 : 0;
          expect(after!.lastChangeSeq).toBe(before!.lastChangeSeq + sent);
          expect(Number(after!.audits)).toBe(Number(before!.audits));
        }
      });
    }
  }

  it('an admin cannot act on another admin or the owner; nobody on the owner role', async () => {
    const second = await t.signUp();
    const groupId = await groupWithRoles(t, {
      owner: cast.owner,
      admins: [cast.admin, second],
      members: [cast.target],
    });
    const base = `/api/conversations/${groupId}`;
    const as = (user: TestUser, method: string, path: string, body?: unknown) =>
      t.http(method, `${base}${path}`, { cookie: user.cookie, body }).then(httpCode);
    expect(await as(cast.admin, 'DELETE', `/members/${second.id}`)).toBe('conversation/forbidden');
    expect(await as(cast.admin, 'PUT', `/members/${second.id}/mute`, { seconds: 60 })).toBe(
      'conversation/forbidden',
    );
    expect(await as(cast.admin, 'PUT', `/bans/${cast.owner.id}`)).toBe('conversation/forbidden');
    expect(await as(cast.admin, 'DELETE', `/members/${cast.owner.id}`)).toBe('conversation/forbidden');
    expect(await as(cast.owner, 'PUT', `/members/${cast.owner.id}/role`, { role: 'member' })).toBe(
      'conversation/rule',
    );
    expect(await as(cast.owner, 'DELETE', `/members/${cast.owner.id}`)).toBe('conversation/forbidden');
    // The owner can demote an admin; the owner remains, so the group always keeps someone in charge.
    expect(await as(cast.owner, 'PUT', `/members/${second.id}/role`, { role: 'member' })).toBe('ok');
  });

  it('acting on a group one is not in is conversation/not_found; on a non-member, user/not_found', async () => {
    const groupId = await groupWithRoles(t, { owner: cast.owner, members: [cast.target] });
    const base = `/api/conversations/${groupId}`;
    const outsider = await t.http('PATCH', base, {
      cookie: cast.outsider.cookie,
      body: { name: 'Mine now' },
    });
    expect(outsider.status).toBe(404);
    expect(httpCode(outsider)).toBe('conversation/not_found');
    const missing = await t.http('DELETE', `${base}/members/2147483647`, { cookie: cast.owner.cookie });
    expect(httpCode(missing)).toBe('user/not_found');
    const direct = await t.http<{ conversation: { id: number } }>('POST', '/api/conversations/direct', {
      cookie: cast.owner.cookie,
      body: { username: cast.target.username },
    });
    const onDirect = await t.http('PATCH', `/api/conversations/${direct.body.conversation.id}`, {
      cookie: cast.owner.cookie,
      body: { name: 'x' },
    });
    expect(httpCode(onDirect)).toBe('conversation/forbidden');
  });
});
