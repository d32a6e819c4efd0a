import {
  ErrorCode,
  NOTIFICATIONS_MUTED_FOREVER,
  type Conversation,
  type ErrorResponse,
  type NotificationSettings,
} from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpCode } from '../../helpers/groups.js';
import {
  collectEvents,
  createGroup,
  nextEvent,
  queryDatabase,
  startSecondProcess,
  startTestServer,
  waitUntil,
  type SecondProcess,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

describe("a member's own notification setting (PUT /api/conversations/:id/notifications)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { AUTH_RATE_LIMIT_PER_IP: '10000' } });
  });
  afterAll(async () => t.close());

  const put = (user: TestUser, conversationId: number | string, body: unknown) =>
    t.http<NotificationSettings & Partial<ErrorResponse>>(
      'PUT',
      `/api/conversations/${conversationId}/notifications`,
      { cookie: user.cookie, body },
    );
  const fetchConversation = async (user: TestUser, id: number) =>
    (await t.http<{ conversation: Conversation }>('GET', `/api/conversations/${id}`, { cookie: user.cookie }))
      .body.conversation;

  it('mutes for a period, tells every tab of the caller, and leaves the other members as they were', async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const { id } = await createGroup(t, alice, [bob], 'Quiet please');
    const otherTab = await t.connectSocket(alice.cookie);
    const told = nextEvent(otherTab, 'conversation:notifications');

    const before = Date.now();
    const response = await put(alice, id, { muted: true, seconds: 8 * 60 * 60 });
    expect(response.status).toBe(200);
    const until = Date.parse(response.body.notificationsMutedUntil!);
    expect(until).toBeGreaterThanOrEqual(before + 8 * 60 * 60 * 1000 - 1000);
    expect(until).toBeLessThanOrEqual(Date.now() + 8 * 60 * 60 * 1000 + 1000);
    expect(await told).toEqual({
      conversationId: id,
      notificationsMutedUntil: response.body.notificationsMutedUntil,
      version: response.body.version,
    });

    expect((await fetchConversation(alice, id)).notificationsMutedUntil).toBe(
      response.body.notificationsMutedUntil,
    );
    expect((await fetchConversation(bob, id)).notificationsMutedUntil).toBeNull();
    // The moderation mute is another thing: Alice may still post.
    expect((await fetchConversation(alice, id)).mutedUntil).toBeNull();
  });

  it('mutes until turned back on, and turns back on', async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const { id } = await createGroup(t, alice, [bob], 'Forever');
    const forever = await put(alice, id, { muted: true });
    expect(forever.body).toEqual({
      conversationId: id,
      notificationsMutedUntil: NOTIFICATIONS_MUTED_FOREVER,
      version: 1,
    });
    expect((await fetchConversation(alice, id)).notificationsMutedUntil).toBe(NOTIFICATIONS_MUTED_FOREVER);

    const on = await put(alice, id, { muted: false });
    expect(on.body).toEqual({ conversationId: id, notificationsMutedUntil: null, version: 2 });
    expect((await fetchConversation(alice, id)).notificationsMutedUntil).toBeNull();
  });

  it('lists a mute that has run out as notifications on', async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const { id } = await createGroup(t, alice, [bob], 'Expired');
    await put(alice, id, { muted: true, seconds: 60 });
    await queryDatabase(
      t,
      'UPDATE memberships SET notificationsMutedUntil = ? WHERE conversationId = ? AND userId = ?',
      [new Date(Date.now() - 1000), id, alice.id],
    );
    const list = await t.http<{ conversations: Conversation[] }>('GET', '/api/conversations', {
      cookie: alice.cookie,
    });
    expect(
      list.body.conversations.find((conversation) => conversation.id === id)?.notificationsMutedUntil,
    ).toBe(null);
  });

  it('refuses a conversation the caller is not in, and bodies outside the contract', async () => {
    const [alice, bob, mallory] = [await t.signUp(), await t.signUp(), await t.signUp()];
    const { id } = await createGroup(t, alice, [bob], 'Private');

    const outsider = await put(mallory, id, { muted: true });
    expect(outsider.status).toBe(404);
    expect(httpCode(outsider)).toBe(ErrorCode.ConversationNotFound);
    expect(httpCode(await put(alice, 2_000_000_000, { muted: true }))).toBe(ErrorCode.ConversationNotFound);

    for (const body of [
      {},
      { muted: 'yes' },
      { muted: false, seconds: 3600 },
      { muted: true, seconds: 59 },
      { muted: true, seconds: 366 * 24 * 60 * 60 },
      { muted: true, seconds: 1.5 },
      { muted: true, until: '2030-01-01T00:00:00Z' },
    ]) {
      const refused = await put(alice, id, body);
      expect({ body, status: refused.status, code: httpCode(refused) }).toEqual({
        body,
        status: 400,
        code: ErrorCode.Invalid,
      });
    }
    expect(httpCode(await put(alice, 'abc', { muted: true }))).toBe(ErrorCode.Invalid);
    // Nothing refused was stored.
    expect((await fetchConversation(alice, id)).notificationsMutedUntil).toBeNull();

    const anonymous = await t.http('PUT', `/api/conversations/${id}/notifications`, {
      body: { muted: true },
    });
    expect(anonymous.status).toBe(401);
  });

  it("keeps changes to a person's pace: the 61st in a minute is rate limited", async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const { id } = await createGroup(t, alice, [bob], 'Flapping');
    const codes: string[] = [];
    for (let index = 0; index < 61; index += 1) {
      codes.push(httpCode(await put(alice, id, { muted: index % 2 === 0 })));
    }
    expect(codes.slice(0, 60).every((code) => code === 'ok')).toBe(true);
    expect(codes[60]).toBe(ErrorCode.RateLimited);
    // Bob's budget is his own.
    expect(httpCode(await put(bob, id, { muted: true }))).toBe('ok');
  });
});

describe('concurrent notification changes on two processes', () => {
  let t: TestServer;
  let second: SecondProcess;
  beforeAll(async () => {
    t = await startTestServer({ redis: true, env: { AUTH_RATE_LIMIT_PER_IP: '10000' } });
    second = await startSecondProcess(t);
  });
  afterAll(async () => {
    await second.close();
    await t.close();
  });

  it("leaves every tab, keeping the highest version's, on the stored state", async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const { id } = await createGroup(t, alice, [bob], 'Racing tabs');
    const tabs = [await t.connectSocket(alice.cookie), await second.connectSocket(alice.cookie)];
    const heard = tabs.map((tab) => collectEvents(tab, 'conversation:notifications'));
    const changes = 20;
    // Out of order often enough without the version: most rounds of this left a tab on another state.
    const answers = await Promise.all(
      Array.from({ length: changes }, async (_, index) => {
        const response = await fetch(
          `${index % 2 === 0 ? t.url : second.url}/api/conversations/${id}/notifications`,
          {
            method: 'PUT',
            headers: { cookie: alice.cookie, 'content-type': 'application/json', origin: t.origin },
            body: JSON.stringify({ muted: true, seconds: 60 + index }),
          },
        );
        expect(response.status).toBe(200);
        return (await response.json()) as NotificationSettings;
      }),
    );
    await waitUntil(() => heard.every((events) => events.length === changes), 'every change heard');

    const [row] = await queryDatabase<{ until: Date }>(
      t,
      'SELECT notificationsMutedUntil AS until FROM memberships WHERE conversationId = ? AND userId = ?',
      [id, alice.id],
    );
    const latest = (settings: NotificationSettings[]) =>
      settings.reduce((best, next) => (next.version > best.version ? next : best));
    expect(new Set(answers.map((answer) => answer.version)).size).toBe(changes);
    expect(latest(answers).notificationsMutedUntil).toBe(row!.until.toISOString());
    for (const events of heard) {
      expect(latest(events).notificationsMutedUntil).toBe(row!.until.toISOString());
    }
  });
});
