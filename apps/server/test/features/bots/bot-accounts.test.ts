// Bot accounts: made by site admins in the console, users of kind `bot` everywhere a user shows,
// never signed in with a password.
import { ErrorCode, type BotResponse, type Conversation, type UserSearchResponse } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpCode } from '../../helpers/groups.js';
import {
  queryDatabase,
  startTestServer,
  uniqueName,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

describe('bot accounts', () => {
  let t: TestServer;
  let admin: TestUser;
  let person: TestUser;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await t.signUp();
    person = await t.signUp();
  });
  afterAll(() => t.close());

  const createBot = (body: Record<string, unknown>, cookie = admin.cookie) =>
    t.http<BotResponse>('POST', '/api/admin/bots', { cookie, body });

  it('a site admin creates a bot with its owner, description and avatar', async () => {
    const username = uniqueName('helper');
    const response = await createBot({
      username,
      displayName: 'Helper',
      description: 'Answers questions',
      avatarUrl: 'https://example.com/helper.png',
      ownerUsername: person.username,
    });
    expect(response.status).toBe(201);
    expect(response.body.bot).toMatchObject({
      username,
      displayName: 'Helper',
      description: 'Answers questions',
      avatarUrl: 'https://example.com/helper.png',
      owner: { id: person.id, username: person.username, kind: 'person' },
      deactivatedAt: null,
    });

    const list = await t.http<{ bots: Array<{ id: number }> }>('GET', '/api/admin/bots', {
      cookie: admin.cookie,
    });
    expect(list.body.bots.map((bot) => bot.id)).toContain(response.body.bot.id);
  });

  it('the creating admin owns a bot created without an owner', async () => {
    const response = await createBot({ username: uniqueName('plain'), displayName: 'Plain' });
    expect(response.body.bot.owner.id).toBe(admin.id);
    expect(response.body.bot.avatarUrl).toBeNull();
  });

  it('refuses people who are not site admins, a taken username, a script avatar URL and an unknown owner', async () => {
    expect(httpCode(await createBot({ username: uniqueName('x'), displayName: 'X' }, person.cookie))).toBe(
      ErrorCode.AdminOnly,
    );
    expect(httpCode(await createBot({ username: person.username, displayName: 'X' }))).toBe(
      ErrorCode.UsernameTaken,
    );
    expect(
      httpCode(
        await createBot({ username: uniqueName('x'), displayName: 'X', avatarUrl: 'javascript:alert(1)' }),
      ),
    ).toBe(ErrorCode.Invalid);
    expect(
      httpCode(
        await createBot({ username: uniqueName('x'), displayName: 'X', ownerUsername: 'nobody_here' }),
      ),
    ).toBe(ErrorCode.UserNotFound);
  });

  it('a bot cannot sign in with a password, whatever it is given', async () => {
    const { body } = await createBot({ username: uniqueName('nologin'), displayName: 'No login' });
    for (const password of ['!', '', 'correct horse battery']) {
      const response = await t.http('POST', '/api/auth/login', {
        body: { username: body.bot.username, password: password || 'x' },
      });
      expect(httpCode(response)).toBe(ErrorCode.BotPasswordLogin);
      expect(response.cookie).toBeNull();
    }
  });

  it('a bot gets no site role and no password reset, and never counts as the last admin', async () => {
    const { body } = await createBot({ username: uniqueName('noadmin'), displayName: 'No admin' });
    const promote = await t.http('PUT', `/api/admin/users/${body.bot.id}/role`, {
      cookie: admin.cookie,
      body: { role: 'admin' },
    });
    expect([promote.status, httpCode(promote)]).toEqual([400, ErrorCode.Invalid]);
    const reset = await t.http('POST', `/api/admin/users/${body.bot.id}/password-reset`, {
      cookie: admin.cookie,
    });
    expect([reset.status, httpCode(reset)]).toEqual([400, ErrorCode.Invalid]);

    // One made an admin before this rule (straight in the database) does not let the last person go.
    await queryDatabase(t, "UPDATE users SET role = 'admin' WHERE id = ?", [body.bot.id]);
    const demoteSelf = await t.http('PUT', `/api/admin/users/${admin.id}/role`, {
      cookie: admin.cookie,
      body: { role: 'user' },
    });
    expect(httpCode(demoteSelf)).toBe(ErrorCode.LastAdmin);
    // And the bot itself may be demoted, though it was the only other admin.
    const demoteBot = await t.http('PUT', `/api/admin/users/${body.bot.id}/role`, {
      cookie: admin.cookie,
      body: { role: 'user' },
    });
    expect(demoteBot.status).toBe(200);
  });

  it('a bot is marked as a bot in people search and in a direct conversation with it', async () => {
    const { body } = await createBot({ username: uniqueName('findme'), displayName: 'Find me' });
    const search = await t.http<UserSearchResponse>('GET', `/api/users?q=${body.bot.username}`, {
      cookie: person.cookie,
    });
    expect(search.body.users).toEqual([
      { id: body.bot.id, username: body.bot.username, displayName: 'Find me', kind: 'bot' },
    ]);

    const direct = await t.http<{ conversation: Conversation }>('POST', '/api/conversations/direct', {
      cookie: person.cookie,
      body: { username: body.bot.username },
    });
    expect(direct.status).toBeLessThan(300);
    const kinds = Object.fromEntries(direct.body.conversation.members.map((m) => [m.username, m.kind]));
    expect(kinds).toEqual({ [person.username]: 'person', [body.bot.username]: 'bot' });
  });

  it('an admin edits a bot and deactivates it; a deactivated bot cannot be found to chat with', async () => {
    const { body } = await createBot({ username: uniqueName('edit'), displayName: 'Before' });
    const edited = await t.http<BotResponse>('PATCH', `/api/admin/bots/${body.bot.id}`, {
      cookie: admin.cookie,
      body: { displayName: 'After', description: 'Now described', ownerUsername: person.username },
    });
    expect(edited.body.bot).toMatchObject({ displayName: 'After', description: 'Now described' });
    expect(edited.body.bot.owner.id).toBe(person.id);

    const deactivated = await t.http<BotResponse>('POST', `/api/admin/bots/${body.bot.id}/deactivate`, {
      cookie: admin.cookie,
    });
    expect(deactivated.body.bot.deactivatedAt).not.toBeNull();
    const direct = await t.http('POST', '/api/conversations/direct', {
      cookie: person.cookie,
      body: { username: body.bot.username },
    });
    expect(httpCode(direct)).toBe(ErrorCode.UserNotFound);

    const reactivated = await t.http<BotResponse>('POST', `/api/admin/bots/${body.bot.id}/reactivate`, {
      cookie: admin.cookie,
    });
    expect(reactivated.body.bot.deactivatedAt).toBeNull();
  });

  it('answers bot/not_found for a bot that does not exist, or a person’s id', async () => {
    expect(httpCode(await t.http('GET', '/api/admin/bots/999999', { cookie: admin.cookie }))).toBe(
      ErrorCode.BotNotFound,
    );
    expect(
      httpCode(await t.http('PATCH', `/api/admin/bots/${person.id}`, { cookie: admin.cookie, body: {} })),
    ).toBe(ErrorCode.BotNotFound);
  });
});
