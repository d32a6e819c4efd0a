// What the site console's actions do: deactivation ends open sockets at once on every process,
// password resets, the last admin, registration modes, archived groups as conversation events, deletion, and the audit trail.
import {
  ErrorCode,
  type AdminUserPage,
  type AuditPage,
  type Conversation,
  type SessionEnded,
  type SyncResponse,
} from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELETE_SLICE } from '../../../src/features/admin/groups.service.js';
import { holdAtFailpoint } from '../../../src/lib/failpoints.js';
import { httpCode } from '../../helpers/groups.js';
import {
  ackCode,
  createGroup,
  nextEvent,
  okData,
  queryDatabase,
  sendText,
  startSecondProcess,
  startTestServer,
  type ClientSocket,
  type SecondProcess,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';
import { randomUUID } from 'node:crypto';

/** What the socket was told before it was disconnected. */
function endedWith(socket: ClientSocket): Promise<SessionEnded> {
  return new Promise((resolve, reject) => {
    let told: SessionEnded | null = null;
    socket.once('session:ended', (reason) => (told = reason));
    socket.once('disconnect', () =>
      told ? resolve(told) : reject(new Error('disconnected without session:ended')),
    );
  });
}

describe('site console actions', () => {
  let t: TestServer;
  let second: SecondProcess;
  let admin: TestUser;

  beforeAll(async () => {
    t = await startTestServer({ redis: true });
    second = await startSecondProcess(t);
    admin = await t.signUp();
  });
  afterAll(async () => {
    await second.close();
    await t.close();
  });

  const call = (method: string, path: string, body?: unknown, cookie = admin.cookie) =>
    t.http(method, path, { cookie, body });

  it('deactivation ends the user’s open sockets at once on both processes, and their sign-in', async () => {
    const user = await t.signUp();
    const here = await t.connectSocket(user.cookie);
    const there = await second.connectSocket(user.cookie);
    const endedHere = endedWith(here);
    const endedThere = endedWith(there);
    expect(httpCode(await call('POST', `/api/admin/users/${user.id}/deactivate`))).toBe('ok');
    expect((await endedHere).code).toBe(ErrorCode.AccountDeactivated);
    expect((await endedThere).code).toBe(ErrorCode.AccountDeactivated);
    expect(httpCode(await t.http('GET', '/api/auth/me', { cookie: user.cookie }))).toBe(
      ErrorCode.Unauthenticated,
    );
    const login = await t.http('POST', '/api/auth/login', {
      body: { username: user.username, password: 'correct horse battery' },
    });
    expect(httpCode(login)).toBe(ErrorCode.AccountDeactivated);

    expect(httpCode(await call('POST', `/api/admin/users/${user.id}/reactivate`))).toBe('ok');
    const again = await t.http('POST', '/api/auth/login', {
      body: { username: user.username, password: 'correct horse battery' },
    });
    expect(httpCode(again)).toBe('ok');
  });

  it('lists whether each user is online now, wherever they are connected', async () => {
    const [online, offline] = await Promise.all([t.signUp(), t.signUp()]);
    const presenceOf = async (user: TestUser) => {
      const page = (await call('GET', `/api/admin/users?q=${user.username}`)).body as AdminUserPage;
      return page.users.find((listed) => listed.id === user.id)!;
    };
    const socket = await second.connectSocket(online.cookie);
    await expect.poll(async () => (await presenceOf(online)).presence).toBe('online');
    expect((await presenceOf(offline)).presence).toBe('offline');

    socket.disconnect();
    await expect.poll(async () => (await presenceOf(online)).presence).toBe('offline');
    await expect.poll(async () => (await presenceOf(online)).lastSeenAt).not.toBeNull();
  });

  it('a password reset returns a temporary password once, which signs in; old sessions end', async () => {
    const user = await t.signUp();
    const socket = await t.connectSocket(user.cookie);
    const ended = endedWith(socket);
    const reset = await t.http<{ temporaryPassword: string }>(
      'POST',
      `/api/admin/users/${user.id}/password-reset`,
      {
        cookie: admin.cookie,
      },
    );
    expect(reset.headers.get('cache-control')).toBe('no-store');
    expect((await ended).code).toBe(ErrorCode.PasswordChanged);
    const old = await t.http('POST', '/api/auth/login', {
      body: { username: user.username, password: 'correct horse battery' },
    });
    expect(httpCode(old)).toBe(ErrorCode.InvalidCredentials);
    const fresh = await t.http('POST', '/api/auth/login', {
      body: { username: user.username, password: reset.body.temporaryPassword },
    });
    expect(httpCode(fresh)).toBe('ok');
  });

  it('never demotes or deactivates the last admin; a second admin may then be demoted', async () => {
    expect(httpCode(await call('PUT', `/api/admin/users/${admin.id}/role`, { role: 'user' }))).toBe(
      ErrorCode.LastAdmin,
    );
    expect(httpCode(await call('POST', `/api/admin/users/${admin.id}/deactivate`))).toBe(ErrorCode.LastAdmin);
    const deputy = await t.signUp();
    expect(httpCode(await call('PUT', `/api/admin/users/${deputy.id}/role`, { role: 'admin' }))).toBe('ok');
    // Both demote each other at once: one wins, one admin remains.
    const [a, b] = await Promise.all([
      call('PUT', `/api/admin/users/${deputy.id}/role`, { role: 'user' }),
      call('PUT', `/api/admin/users/${admin.id}/role`, { role: 'user' }, deputy.cookie),
    ]);
    const codes = [httpCode(a), httpCode(b)].sort();
    expect(codes.filter((code) => code === 'ok')).toHaveLength(1);
    expect(
      codes.filter((code) => code === 'ok' || code === ErrorCode.LastAdmin || code === ErrorCode.AdminOnly),
    ).toHaveLength(2);
    const users = await call('GET', '/api/admin/users?limit=100');
    const stillAdmin = httpCode(users) === 'ok' ? admin : deputy;
    const list = await call('GET', '/api/admin/users?limit=100', undefined, stillAdmin.cookie);
    const admins = (list.body as { users: Array<{ role: string }> }).users.filter((u) => u.role === 'admin');
    expect(admins).toHaveLength(1);
    if (stillAdmin !== admin) {
      await call('PUT', `/api/admin/users/${admin.id}/role`, { role: 'admin' }, deputy.cookie);
    }
  });

  it('registration follows the mode: closed, invite-only with one-time codes, open', async () => {
    const register = (username: string, inviteCode?: string) =>
      t.http('POST', '/api/auth/register', {
        body: {
          username,
          displayName: username,
          password: 'correct horse battery',
          ...(inviteCode ? { inviteCode } : {}),
        },
      });
    expect(httpCode(await call('PUT', '/api/admin/settings', { registrationMode: 'closed' }))).toBe('ok');
    expect(httpCode(await register(`closed${Date.now()}`))).toBe(ErrorCode.RegistrationClosed);

    expect(httpCode(await call('PUT', '/api/admin/settings', { registrationMode: 'invite_only' }))).toBe(
      'ok',
    );
    expect(httpCode(await register(`noinvite${Date.now()}`))).toBe(ErrorCode.InviteRequired);
    expect(httpCode(await register(`badinvite${Date.now()}`, 'nope'))).toBe(ErrorCode.InviteRequired);
    const invite = await call('POST', '/api/admin/invites', {});
    const code = (invite.body as { invite: { code: string; id: number } }).invite.code;
    expect(httpCode(await register(`invited${Date.now()}`, code))).toBe('ok');
    expect(httpCode(await register(`twice${Date.now()}`, code))).toBe(ErrorCode.InviteRequired);
    const revoked = await call('POST', '/api/admin/invites', {});
    const revokedInvite = (revoked.body as { invite: { code: string; id: number } }).invite;
    await call('POST', `/api/admin/invites/${revokedInvite.id}/revoke`);
    expect(httpCode(await register(`revoked${Date.now()}`, revokedInvite.code))).toBe(
      ErrorCode.InviteRequired,
    );

    expect(httpCode(await call('PUT', '/api/admin/settings', { registrationMode: 'open' }))).toBe('ok');
    expect(httpCode(await register(`open${Date.now()}`))).toBe('ok');
  });

  it('archiving is a conversation event: live on every process, in catch-up, read-only until unarchived', async () => {
    const [owner, member] = await Promise.all([t.signUp(), t.signUp()]);
    const group = await createGroup(t, owner, [member], 'Old news');
    const socket = await second.connectSocket(member.cookie);
    const before = await sendText(socket, group.id, 'before');
    const archivedMessage = nextEvent(socket, 'message:new');
    const archivedState = nextEvent(socket, 'conversation:updated');
    expect(httpCode(await call('POST', `/api/admin/groups/${group.id}/archive`))).toBe('ok');
    const actor = {
      id: admin.id,
      username: admin.username,
      displayName: expect.any(String),
      kind: 'person' as const,
    };
    expect(await archivedMessage).toMatchObject({
      conversationId: group.id,
      seq: before.seq + 1,
      type: 'system',
      system: { kind: 'group_archived', actor },
    });
    const state = await archivedState;
    expect(state.conversationId).toBe(group.id);
    expect(state.archivedAt).toEqual(expect.any(String));
    // Archiving again changes nothing: no second system message, no second audit row.
    expect(httpCode(await call('POST', `/api/admin/groups/${group.id}/archive`))).toBe('ok');

    const refused = await socket.emitWithAck('message:send', {
      conversationId: group.id,
      clientMsgId: randomUUID(),
      text: 'after',
    });
    expect(ackCode(refused)).toBe(ErrorCode.Archived);
    const target = { conversationId: group.id, messageId: before.id };
    expect(ackCode(await socket.emitWithAck('message:edit', { ...target, text: 'changed' }))).toBe(
      ErrorCode.Archived,
    );
    expect(ackCode(await socket.emitWithAck('message:react', { ...target, emoji: '👍', on: true }))).toBe(
      ErrorCode.Archived,
    );
    expect(ackCode(await socket.emitWithAck('message:delete', target))).toBe(ErrorCode.Archived);
    // Its administration too: settings, members and invites wait for it to be unarchived.
    for (const [method, path, body] of [
      ['PATCH', `/api/conversations/${group.id}`, { name: 'Renamed while archived' }],
      ['POST', `/api/conversations/${group.id}/invites`, {}],
      ['DELETE', `/api/conversations/${group.id}/members/${member.id}`, undefined],
    ] as const) {
      const response = await t.http<{ error?: { code: string } }>(method, path, {
        cookie: owner.cookie,
        body,
      });
      expect(response.body.error?.code, `${method} ${path}`).toBe(ErrorCode.Archived);
    }

    // A client that was away learns it from catch-up and from its conversation list.
    const sync = okData(
      await socket.emitWithAck('conversation:sync', {
        conversations: [{ conversationId: group.id, changeSeq: before.changeSeq }],
      }),
    ) as SyncResponse;
    expect(sync.results[0]!.messages.map((m) => [m.type, m.system?.kind])).toEqual([
      ['system', 'group_archived'],
    ]);
    const list = await t.http<{ conversations: Conversation[] }>('GET', '/api/conversations', {
      cookie: member.cookie,
    });
    expect(list.body.conversations.find((c) => c.id === group.id)?.archivedAt).toBe(state.archivedAt);

    const unarchivedMessage = nextEvent(socket, 'message:new');
    const unarchivedState = nextEvent(socket, 'conversation:updated');
    expect(httpCode(await call('POST', `/api/admin/groups/${group.id}/unarchive`))).toBe('ok');
    expect((await unarchivedMessage).system).toEqual({ kind: 'group_unarchived', actor });
    expect((await unarchivedState).archivedAt).toBeNull();
    const again = await sendText(socket, group.id, 'again');
    expect(again.seq).toBe(before.seq + 3);

    const audit = (await call('GET', `/api/admin/audit?action=site.group.&conversationId=${group.id}`))
      .body as AuditPage;
    expect(audit.entries.map((entry) => [entry.action, entry.after, entry.conversationName])).toEqual([
      ['site.group.unarchive', { archivedAt: null }, 'Old news'],
      ['site.group.archive', { archivedAt: state.archivedAt }, 'Old news'],
    ]);
  });

  it('deleting a group with a long history goes a slice at a time: its lane keeps storing, the group is read-only', async () => {
    const [owner, member] = await Promise.all([t.signUp(), t.signUp()]);
    const group = await createGroup(t, owner, [member], 'Long');
    // A group the send path writes on the same lane (conversationId modulo BATCH_CONNECTIONS, 2).
    let neighbour = await createGroup(t, owner, [member], 'Neighbour');
    if (neighbour.id % 2 !== group.id % 2) neighbour = await createGroup(t, owner, [member], 'Neighbour');
    const total = DELETE_SLICE + 5;
    await queryDatabase(
      t,
      `INSERT INTO messages (conversationId, seq, senderId, clientMsgId, text, createdAt, changeSeq, replyToId)
       SELECT ?, 1 + seq, ?, UUID(), CONCAT('old ', seq), NOW(3), 1 + seq, NULL FROM seq_0_to_${total - 1}`,
      [group.id, owner.id],
    );
    await queryDatabase(t, 'UPDATE conversations SET lastSeq = ?, lastChangeSeq = ? WHERE id = ?', [
      total,
      total,
      group.id,
    ]);
    const [newest] = await queryDatabase<{ id: number }>(
      t,
      'SELECT id FROM messages WHERE conversationId = ? AND seq = ?',
      [group.id, total],
    );
    await queryDatabase(t, 'UPDATE messages SET replyToId = ? WHERE conversationId = ? AND seq = ?', [
      newest!.id,
      group.id,
      1,
    ]);
    const ownerSocket = await t.connectSocket(owner.cookie);
    const messagesLeft = async () =>
      Number(
        (
          await queryDatabase<{ n: bigint }>(
            t,
            'SELECT COUNT(*) AS n FROM messages WHERE conversationId = ?',
            [group.id],
          )
        )[0]!.n,
      );

    const hold = holdAtFailpoint('admin-group-delete:slice-deleted');
    const deleting = call('DELETE', `/api/admin/groups/${group.id}`, { confirm: 'Long' });
    await hold.reached;
    // Between slices no transaction is open: the lane stores, the group refuses what would write to it.
    expect((await sendText(ownerSocket, neighbour.id, 'still here')).seq).toBe(1);
    expect(
      ackCode(
        await ownerSocket.emitWithAck('message:send', {
          conversationId: group.id,
          clientMsgId: randomUUID(),
          text: 'too late',
        }),
      ),
    ).toBe(ErrorCode.Archived);
    expect(await messagesLeft()).toBe(total - DELETE_SLICE);
    hold.release();

    expect(httpCode(await deleting)).toBe('ok');
    expect(await messagesLeft()).toBe(0);
    expect(await queryDatabase(t, 'SELECT id FROM conversations WHERE id = ?', [group.id])).toEqual([]);
    const audit = (await call('GET', `/api/admin/audit?action=site.group.delete&conversationId=${group.id}`))
      .body as AuditPage;
    expect(audit.entries.map((entry) => [entry.before, entry.conversationName])).toEqual([
      [{ name: 'Long', members: 2, messages: total }, null],
    ]);
  });

  it('deleting a group tells its members’ open tabs on every process', async () => {
    const [owner, member] = await Promise.all([t.signUp(), t.signUp()]);
    const group = await createGroup(t, owner, [member], 'Doomed');
    const socket = await second.connectSocket(member.cookie);
    const removed = nextEvent(socket, 'conversation:removed');
    expect(httpCode(await call('DELETE', `/api/admin/groups/${group.id}`, { confirm: 'Doomed' }))).toBe('ok');
    expect(await removed).toEqual({ conversationId: group.id, reason: 'deleted' });
    const list = await t.http<{ conversations: Array<{ id: number }> }>('GET', '/api/conversations', {
      cookie: member.cookie,
    });
    expect(list.body.conversations.map((c) => c.id)).not.toContain(group.id);
  });

  it('every action is in the audit log with before and after, filterable by action, actor and target', async () => {
    const user = await t.signUp();
    await call('PUT', `/api/admin/users/${user.id}/role`, { role: 'admin' });
    await call('PUT', `/api/admin/users/${user.id}/role`, { role: 'user' });
    const byTarget = await call('GET', `/api/admin/audit?targetUserId=${user.id}`);
    const entries = (byTarget.body as AuditPage).entries;
    expect(entries.map((e) => [e.action, e.before, e.after, e.actor.username, e.targetUsername])).toEqual([
      ['site.user.role', { role: 'admin' }, { role: 'user' }, admin.username, user.username],
      ['site.user.role', { role: 'user' }, { role: 'admin' }, admin.username, user.username],
    ]);
    // By username, in any case: the same rows. An unknown username matches none; both forms of one
    // filter are refused.
    const byName = await call(
      'GET',
      `/api/admin/audit?targetUsername=${user.username.toUpperCase()}&actorUsername=${admin.username}`,
    );
    expect((byName.body as AuditPage).entries.map((e) => e.id)).toEqual(entries.map((e) => e.id));
    expect((await call('GET', '/api/admin/audit?targetUsername=nobody-here')).body).toEqual({
      entries: [],
      nextCursor: null,
    });
    const both = await call('GET', `/api/admin/audit?actorId=${admin.id}&actorUsername=${admin.username}`);
    expect(both.status).toBe(400);
    expect(httpCode(both)).toBe(ErrorCode.Invalid);
    const page1 = (await call('GET', `/api/admin/audit?action=site.&actorId=${admin.id}&limit=2`))
      .body as AuditPage;
    expect(page1.entries).toHaveLength(2);
    expect(page1.nextCursor).not.toBeNull();
    const page2 = (await call('GET', `/api/admin/audit?action=site.&limit=2&cursor=${page1.nextCursor}`))
      .body as AuditPage;
    expect(page2.entries[0]!.id).toBeLessThan(page1.entries[1]!.id);
    const future = new Date(Date.now() + 60_000).toISOString();
    const none = (await call('GET', `/api/admin/audit?from=${encodeURIComponent(future)}`)).body as AuditPage;
    expect(none.entries).toEqual([]);
    const deletes = (await call('GET', '/api/admin/audit?action=site.group.delete')).body as AuditPage;
    expect(deletes.entries[0]!.before).toMatchObject({ name: 'Doomed', members: 2 });
  });
});
