import {
  ErrorCode,
  PASSWORD_UNCHANGED_MESSAGE,
  type Message,
  type SessionEnded,
  type UserUpdated,
} from '@parley/shared';
import { PASSWORD_TOO_COMMON_MESSAGE } from '@parley/shared/password-strength';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROFILE_CHANGES_PER_MINUTE } from '../../../src/features/account/account.routes.js';
import { holdAtFailpoint } from '../../../src/lib/failpoints.js';
import { createBotWithToken } from '../../helpers/bots.js';
import {
  collectEvents,
  createGroup,
  messageBarrier,
  nextEvent,
  openDirect,
  sendText,
  type TestServer,
  type TestUser,
  queryDatabase,
  startSecondProcess,
  startTestServer,
  createHttpClient,
} from '../../helpers/server.js';

const password = 'correct horse battery';
const newPassword = 'lantern orchard meridian';

type ErrorBody = { error: { code: string; issues?: Array<{ path: string; message: string }> } };

describe('the account: display name and password', () => {
  let t: TestServer;
  let admin: TestUser;
  beforeAll(async () => {
    t = await startTestServer({
      env: {
        AUTH_RATE_LIMIT_PER_ACCOUNT: '3',
        AUTH_RATE_LIMIT_PER_ACCOUNT_NEW_DEVICES: '6',
        AUTH_RATE_LIMIT_PER_IP: '1000',
      },
    });
    admin = await t.signUp();
  });
  afterAll(async () => t.close());

  async function login(username: string, secret: string) {
    return t.http<{ user: { id: number } } & ErrorBody>('POST', '/api/auth/login', {
      body: { username, password: secret },
    });
  }

  it('renames a person and tells each socket that shares a conversation once, their own other tabs too', async () => {
    const [ana, ben, cai] = [await t.signUp(), await t.signUp(), await t.signUp()];
    const direct = await openDirect(t, ana, ben);
    // Ben shares two conversations with Ana and still hears of it once.
    const group = await createGroup(t, ana, [ben, cai]);
    const anaOtherTab = await t.connectSocket(ana.cookie);
    const benSocket = await t.connectSocket(ben.cookie);
    const caiSocket = await t.connectSocket(cai.cookie);
    const sent = await sendText(anaOtherTab, direct.id, 'before the rename');
    const benHears = collectEvents(benSocket, 'user:updated');
    const caiHears = nextEvent(caiSocket, 'user:updated');
    const otherTabHears = nextEvent(anaOtherTab, 'user:updated');

    const renamed = await t.http<{ user: { displayName: string; username: string } }>('PATCH', '/api/me', {
      cookie: ana.cookie,
      body: { displayName: '  安娜 Ana  ' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.user).toMatchObject({ displayName: '安娜 Ana', username: ana.username });

    const expected: UserUpdated = {
      user: { id: ana.id, username: ana.username, displayName: '安娜 Ana', kind: 'person' },
    };
    expect(await caiHears).toEqual(expected);
    expect(await otherTabHears).toEqual(expected);
    // Everything emitted to Ben before the barrier has arrived with it.
    await messageBarrier(anaOtherTab, benSocket, group.id);
    expect(benHears).toEqual([expected]);

    const me = await t.http<{ user: { displayName: string } }>('GET', '/api/auth/me', { cookie: ana.cookie });
    expect(me.body.user.displayName).toBe('安娜 Ana');
    // Messages name their sender by id: history shows the new name, the earlier message too.
    const history = await t.http<{ messages: Message[] }>('GET', `/api/conversations/${direct.id}/messages`, {
      cookie: ben.cookie,
    });
    expect(history.body.messages.find((message) => message.id === sent.id)?.sender.displayName).toBe(
      '安娜 Ana',
    );
    for (const socket of [anaOtherTab, benSocket, caiSocket]) socket.close();
  });

  it('refuses a display name that registration would refuse, and a body with anything else', async () => {
    const user = await t.signUp();
    for (const body of [
      { displayName: '   ' },
      { displayName: 'evil\u202egnp.exe' },
      { displayName: 'x'.repeat(65) },
    ]) {
      const response = await t.http<ErrorBody>('PATCH', '/api/me', { cookie: user.cookie, body });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe(ErrorCode.Invalid);
      expect(response.body.error.issues?.[0]?.path).toBe('body.displayName');
    }
    const extra = await t.http<ErrorBody>('PATCH', '/api/me', {
      cookie: user.cookie,
      body: { displayName: 'Fine', username: 'taken_over' },
    });
    expect(extra.status).toBe(400);
    const signedOut = await t.http<ErrorBody>('PATCH', '/api/me', { body: { displayName: 'Nobody' } });
    expect(signedOut.status).toBe(401);
    expect(signedOut.body.error.code).toBe(ErrorCode.Unauthenticated);
  });

  it('bounds how often a person renames, since each rename is a broadcast to all their conversations', async () => {
    const user = await t.signUp();
    const statuses: number[] = [];
    for (let change = 0; change <= PROFILE_CHANGES_PER_MINUTE; change++) {
      const response = await t.http('PATCH', '/api/me', {
        cookie: user.cookie,
        body: { displayName: `Name ${change}` },
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([...Array<number>(PROFILE_CHANGES_PER_MINUTE).fill(200), 429]);
  });

  it('spends nothing of that bound on a name that does not change', async () => {
    const user = await t.signUp(undefined, 'Steady Name');
    for (let attempt = 0; attempt <= PROFILE_CHANGES_PER_MINUTE; attempt++) {
      const response = await t.http('PATCH', '/api/me', {
        cookie: user.cookie,
        body: { displayName: 'Steady Name' },
      });
      expect(response.status).toBe(200);
    }
    const changed = await t.http('PATCH', '/api/me', {
      cookie: user.cookie,
      body: { displayName: 'New Name' },
    });
    expect(changed.status).toBe(200);
  });

  it('changes the password: the old one stops working, other sessions end, this one goes on under a new id', async () => {
    const user = await t.signUp();
    const elsewhere = await login(user.username, password);
    expect(elsewhere.status).toBe(200);
    const elsewhereSocket = await t.connectSocket(elsewhere.cookie);
    const ended = new Promise<SessionEnded>((resolve) => elsewhereSocket.once('session:ended', resolve));
    const hereSocket = await t.connectSocket(user.cookie);
    const hereDropped = new Promise<string>((resolve) => hereSocket.once('disconnect', resolve));

    const changed = await t.http('PUT', '/api/me/password', {
      cookie: user.cookie,
      body: { currentPassword: password, newPassword },
    });
    expect(changed.status).toBe(204);
    expect(changed.cookie).toBeTruthy();
    expect(changed.cookie).not.toBe(user.cookie);

    expect((await ended).code).toBe(ErrorCode.PasswordChanged);
    // This browser's socket rode the old session id: it is closed, to reconnect with the new cookie.
    expect(await hereDropped).toBe('io server disconnect');
    expect((await t.http('GET', '/api/auth/me', { cookie: changed.cookie })).status).toBe(200);
    expect((await t.http('GET', '/api/auth/me', { cookie: user.cookie })).status).toBe(401);
    expect((await t.http('GET', '/api/auth/me', { cookie: elsewhere.cookie })).status).toBe(401);
    (await t.connectSocket(changed.cookie!)).close();

    const old = await login(user.username, password);
    expect(old.status).toBe(401);
    expect(old.body.error.code).toBe(ErrorCode.InvalidCredentials);
    expect((await login(user.username, newPassword)).status).toBe(200);
    elsewhereSocket.close();
    hereSocket.close();
  });

  it('lets no login that checked the old password outlive the change', async () => {
    const user = await t.signUp();
    // A login verifies the old password, then waits before making its session...
    const hold = holdAtFailpoint('login:password-verified');
    const racing = login(user.username, password);
    await hold.reached;
    // ...while the password changes and every session found is ended.
    const changed = await t.http('PUT', '/api/me/password', {
      cookie: user.cookie,
      body: { currentPassword: password, newPassword },
    });
    expect(changed.status).toBe(204);
    hold.release();
    const late = await racing;
    expect(late.status).toBe(401);
    expect(late.body.error.code).toBe(ErrorCode.InvalidCredentials);
    if (late.cookie) expect((await t.http('GET', '/api/auth/me', { cookie: late.cookie })).status).toBe(401);
    expect((await t.http('GET', '/api/auth/me', { cookie: changed.cookie })).status).toBe(200);
  });

  it('refuses a wrong current password, a common new one and one made of the account’s own words', async () => {
    const user = await t.signUp(undefined, 'Quintessa Marlowe');
    const wrong = await t.http<ErrorBody>('PUT', '/api/me/password', {
      cookie: user.cookie,
      body: { currentPassword: 'not my password', newPassword },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe(ErrorCode.WrongPassword);

    // Each attempt counts (three a session here): a fresh session for the three weak ones.
    const session = await login(user.username, password);
    for (const weak of ['password1234', `${user.username}${user.username}`, 'QuintessaMarlowe']) {
      const response = await t.http<ErrorBody>('PUT', '/api/me/password', {
        cookie: session.cookie,
        body: { currentPassword: password, newPassword: weak },
      });
      expect(response.status, weak).toBe(400);
      expect(response.body.error.issues).toEqual([
        { path: 'body.newPassword', message: PASSWORD_TOO_COMMON_MESSAGE },
      ]);
    }
    const short = await t.http<ErrorBody>('PUT', '/api/me/password', {
      cookie: session.cookie,
      body: { currentPassword: password, newPassword: 'short' },
    });
    expect(short.status).toBe(400);
    expect(short.body.error.issues?.[0]?.path).toBe('body.newPassword');
    const same = await t.http<ErrorBody>('PUT', '/api/me/password', {
      cookie: session.cookie,
      body: { currentPassword: password, newPassword: password },
    });
    expect(same.status).toBe(400);
    expect(same.body.error.issues).toEqual([
      { path: 'body.newPassword', message: PASSWORD_UNCHANGED_MESSAGE },
    ]);
    // Nothing changed: the password still signs in.
    expect((await login(user.username, password)).status).toBe(200);
  });

  it('counts attempts per session, so a stolen session can neither guess on nor lock the owner out', async () => {
    const user = await t.signUp();
    const stolen = await login(user.username, password);
    const codes: string[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const response = await t.http<ErrorBody>('PUT', '/api/me/password', {
        cookie: stolen.cookie,
        body: { currentPassword: `guess ${attempt}`, newPassword },
      });
      codes.push(response.body.error.code);
    }
    expect(codes).toEqual([
      ErrorCode.WrongPassword,
      ErrorCode.WrongPassword,
      ErrorCode.WrongPassword,
      ErrorCode.RateLimited,
    ]);
    // The owner, in their own session, changes it, which ends the stolen one.
    const owner = await t.http('PUT', '/api/me/password', {
      cookie: user.cookie,
      body: { currentPassword: password, newPassword },
    });
    expect(owner.status).toBe(204);
    expect((await t.http('GET', '/api/auth/me', { cookie: stolen.cookie })).status).toBe(401);
  });

  it('counts attempts per account too, looser, so many sessions cannot guess on either', async () => {
    const user = await t.signUp();
    for (const session of [await login(user.username, password), await login(user.username, password)]) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const response = await t.http<ErrorBody>('PUT', '/api/me/password', {
          cookie: session.cookie,
          body: { currentPassword: `guess ${attempt}`, newPassword },
        });
        expect(response.body.error.code).toBe(ErrorCode.WrongPassword);
      }
    }
    // Six for the account here: a third session waits, even with the right password.
    const limited = await t.http<ErrorBody>('PUT', '/api/me/password', {
      cookie: user.cookie,
      body: { currentPassword: password, newPassword },
    });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe(ErrorCode.RateLimited);
  });

  it('lets one of two changes made at once win; the other is told its password is no longer current', async () => {
    const user = await t.signUp();
    const other = await login(user.username, password);
    const [first, second] = await Promise.all(
      [
        [user.cookie, 'lantern orchard meridian'],
        [other.cookie!, 'quiet harbour willow'],
      ].map(([cookie, chosen]) =>
        t.http<ErrorBody>('PUT', '/api/me/password', {
          cookie,
          body: { currentPassword: password, newPassword: chosen },
        }),
      ),
    );
    const statuses = [first!.status, second!.status].sort();
    expect(statuses).toEqual([204, 403]);
    const winner = first!.status === 204 ? first! : second!;
    const loser = first!.status === 204 ? second! : first!;
    expect(loser.body.error.code).toBe(ErrorCode.WrongPassword);
    const chosen = first!.status === 204 ? 'lantern orchard meridian' : 'quiet harbour willow';
    const lost = first!.status === 204 ? 'quiet harbour willow' : 'lantern orchard meridian';
    expect((await login(user.username, chosen)).status).toBe(200);
    expect((await login(user.username, lost)).status).toBe(401);
    expect((await t.http('GET', '/api/auth/me', { cookie: winner.cookie })).status).toBe(200);
    const loserCookie = loser === first ? user.cookie : other.cookie;
    expect((await t.http('GET', '/api/auth/me', { cookie: loserCookie })).status).toBe(401);
  });

  it('leaves no session standing when the account is deactivated during the change', async () => {
    const user = await t.signUp();
    const hold = holdAtFailpoint('password-change:written');
    const changing = t.http<ErrorBody>('PUT', '/api/me/password', {
      cookie: user.cookie,
      body: { currentPassword: password, newPassword },
    });
    await hold.reached;
    const deactivated = await t.http('POST', `/api/admin/users/${user.id}/deactivate`, {
      cookie: admin.cookie,
    });
    expect(deactivated.status).toBe(200);
    hold.release();
    const answer = await changing;
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe(ErrorCode.AccountDeactivated);
    if (answer.cookie)
      expect((await t.http('GET', '/api/auth/me', { cookie: answer.cookie })).status).toBe(401);
    const [row] = await queryDatabase<{ sessions: bigint }>(
      t,
      'SELECT COUNT(*) AS sessions FROM sessions WHERE userId = ?',
      [user.id],
    );
    expect(Number(row!.sessions)).toBe(0);
  });

  it('gives way to a site admin’s reset made during the change: the temporary password signs in', async () => {
    const user = await t.signUp();
    const hold = holdAtFailpoint('password-change:written');
    const changing = t.http<ErrorBody>('PUT', '/api/me/password', {
      cookie: user.cookie,
      body: { currentPassword: password, newPassword },
    });
    await hold.reached;
    const reset = await t.http<{ temporaryPassword: string }>(
      'POST',
      `/api/admin/users/${user.id}/password-reset`,
      { cookie: admin.cookie },
    );
    expect(reset.status).toBe(200);
    hold.release();
    const answer = await changing;
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe(ErrorCode.Unauthenticated);
    if (answer.cookie)
      expect((await t.http('GET', '/api/auth/me', { cookie: answer.cookie })).status).toBe(401);
    expect((await login(user.username, reset.body.temporaryPassword)).status).toBe(200);
    expect((await login(user.username, newPassword)).status).toBe(401);
  });

  it('refuses both to a bot’s token: a site admin renames a bot, and its members hear of that', async () => {
    const bot = await createBotWithToken(t, admin.cookie);
    const bearer = { authorization: `Bearer ${bot.token}` };
    const rename = await t.http<ErrorBody>('PATCH', '/api/me', {
      headers: bearer,
      body: { displayName: 'Me' },
    });
    expect(rename.status).toBe(403);
    expect(rename.body.error.code).toBe(ErrorCode.PersonOnly);
    const change = await t.http<ErrorBody>('PUT', '/api/me/password', {
      headers: bearer,
      body: { currentPassword: 'anything', newPassword },
    });
    expect(change.status).toBe(403);
    expect(change.body.error.code).toBe(ErrorCode.PersonOnly);
    // Before the body is looked at: a bot learns nothing about these routes' input.
    for (const [method, path] of [
      ['PATCH', '/api/me'],
      ['PUT', '/api/me/password'],
    ] as const) {
      const malformed = await t.http<ErrorBody>(method, path, { headers: bearer, body: { displayName: 7 } });
      expect([malformed.status, malformed.body.error.code], `${method} ${path}`).toEqual([
        403,
        ErrorCode.PersonOnly,
      ]);
    }

    const person = await t.signUp();
    await openDirect(t, person, { id: bot.id, username: bot.username, cookie: '' });
    const socket = await t.connectSocket(person.cookie);
    const heard = nextEvent(socket, 'user:updated');
    const edited = await t.http('PATCH', `/api/admin/bots/${bot.id}`, {
      cookie: admin.cookie,
      body: { displayName: 'Helper 助手' },
    });
    expect(edited.status).toBe(200);
    expect(await heard).toEqual({
      user: { id: bot.id, username: bot.username, displayName: 'Helper 助手', kind: 'bot' },
    });
    socket.close();
  });
});

describe('the account across two processes', () => {
  it('reaches a peer connected to the other process, and ends a session held there', async () => {
    const t = await startTestServer({ redis: true, env: { AUTH_RATE_LIMIT_PER_IP: '1000' } });
    const second = await startSecondProcess(t);
    try {
      const [ana, ben] = [await t.signUp(), await t.signUp()];
      await openDirect(t, ana, ben);
      const benThere = await second.connectSocket(ben.cookie);
      const heard = nextEvent(benThere, 'user:updated');
      const renamed = await t.http('PATCH', '/api/me', {
        cookie: ana.cookie,
        body: { displayName: 'Ana B.' },
      });
      expect(renamed.status).toBe(200);
      expect((await heard).user).toMatchObject({ id: ana.id, displayName: 'Ana B.' });

      // Ana's other session, its socket on the second process, ends with the password change.
      const elsewhere = await t.http('POST', '/api/auth/login', {
        body: { username: ana.username, password },
      });
      const anaThere = await second.connectSocket(elsewhere.cookie!);
      const ended = nextEvent(anaThere, 'session:ended');
      const changed = await t.http('PUT', '/api/me/password', {
        cookie: ana.cookie,
        body: { currentPassword: password, newPassword },
      });
      expect(changed.status).toBe(204);
      expect((await ended).code).toBe(ErrorCode.PasswordChanged);
      const refused = await createHttpClient(second.url)('GET', '/api/auth/me', { cookie: elsewhere.cookie });
      expect(refused.status).toBe(401);
    } finally {
      await second.close();
      await t.close();
    }
  });
});
