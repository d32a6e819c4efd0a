import type { Message } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { companionChat } from '../../helpers/companions.js';
import { nextEvent, sendText, startTestServer, type TestServer } from '../../helpers/server.js';

describe('companions without LLM_BASE_URL', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ env: { AUTH_RATE_LIMIT_PER_IP: '10000' } });
  });
  afterAll(() => t.close());

  it('are shown as unavailable, answer with a clear failed reply, and nothing else changes', async () => {
    const chat = await companionChat(t, { greeting: 'Hello!' });
    const status = await t.http<{ companion: { available: boolean; unavailableReason: string } }>(
      'GET',
      `/api/conversations/${chat.conversationId}/companion`,
      { cookie: chat.person.cookie },
    );
    expect(status.body.companion).toMatchObject({
      available: false,
      unavailableReason: 'companion/unavailable',
    });
    const listed = await t.http<{ companions: Array<{ available: boolean; unavailableReason: string }> }>(
      'GET',
      '/api/admin/companions',
      { cookie: chat.admin.cookie },
    );
    expect(listed.body.companions[0]).toMatchObject({
      available: false,
      unavailableReason: 'companion/unavailable',
    });

    const failed = nextEvent(chat.socket, 'message:new');
    const mine = await sendText(chat.socket, chat.conversationId, 'hello?');
    const reply: Message = await failed;
    expect(reply).toMatchObject({
      sender: { id: chat.bot.id },
      text: '',
      generation: { state: 'failed', error: 'companion/unavailable' },
    });
    expect(mine.text).toBe('hello?');
    const retry = await t.http<{ error: { code: string } }>(
      'POST',
      `/api/conversations/${chat.conversationId}/messages/${reply.id}/retry`,
      { cookie: chat.person.cookie },
    );
    expect([retry.status, retry.body.error.code]).toEqual([503, 'companion/unavailable']);

    // People still talk to each other.
    const friend = await t.signUp();
    const direct = await t.http<{ conversation: { id: number } }>('POST', '/api/conversations/direct', {
      cookie: chat.person.cookie,
      body: { username: friend.username },
    });
    expect(direct.status).toBe(201);
    const socket = await t.connectSocket(chat.person.cookie);
    expect((await sendText(socket, direct.body.conversation.id, 'hi')).text).toBe('hi');
  });
});
