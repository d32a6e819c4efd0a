import { randomUUID } from 'node:crypto';
import { ErrorCode, type HistoryResponse } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ackCode,
  collectEvents,
  createGroup,
  nextEvent,
  sendText,
  startTestServer,
  type TestServer,
} from '../../helpers/server.js';

const LIMIT = 10;

describe('socket flood limits', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      env: { SOCKET_RATE_LIMIT: String(LIMIT), SOCKET_SIGNAL_RATE_LIMIT: String(2 * LIMIT) },
    });
  });
  afterAll(async () => t.close());

  it('refuses a flooding client with rate:limited and request/rate_limited while others keep sending promptly', async () => {
    const [flooder, bob] = [await t.signUp(), await t.signUp()];
    const { id } = await createGroup(t, flooder, [bob]);
    const [flooderSocket, bobSocket] = [
      await t.connectSocket(flooder.cookie),
      await t.connectSocket(bob.cookie),
    ];
    const warnings = collectEvents(flooderSocket, 'rate:limited');

    const flood = Array.from({ length: 60 }, (_, i) =>
      flooderSocket.emitWithAck('message:send', {
        conversationId: id,
        clientMsgId: randomUUID(),
        text: `spam ${i}`,
      }),
    );
    const started = Date.now();
    const bobsMessage = await bobSocket.timeout(2_000).emitWithAck('message:send', {
      conversationId: id,
      clientMsgId: randomUUID(),
      text: 'still here',
    });
    expect(bobsMessage.ok).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_500);

    const acks = await Promise.all(flood);
    const codes = acks.map(ackCode);
    expect(codes.filter((code) => code === 'ok')).toHaveLength(LIMIT);
    expect(codes.filter((code) => code === ErrorCode.RateLimited)).toHaveLength(60 - LIMIT);
    expect(warnings).toHaveLength(60 - LIMIT);
    expect(warnings[0]).toEqual({ event: 'message:send', retryAfterMs: expect.any(Number) });
    expect(warnings[0]!.retryAfterMs).toBeGreaterThan(0);
    expect(warnings[0]!.retryAfterMs).toBeLessThanOrEqual(10_000);

    const stored = await t.http<HistoryResponse>('GET', `/api/conversations/${id}/messages?limit=100`, {
      cookie: bob.cookie,
    });
    expect(stored.body.messages.filter((message) => message.sender.id === flooder.id)).toHaveLength(LIMIT);

    // The flooder stays connected and still hears the others.
    expect(flooderSocket.connected).toBe(true);
    const heard = nextEvent(flooderSocket, 'message:new');
    await sendText(bobSocket, id, 'can you hear me?');
    expect((await heard).text).toBe('can you hear me?');
  });

  it("shares one budget across a user's tabs and counts malformed events too", async () => {
    const [flooder, bob] = [await t.signUp(), await t.signUp()];
    const { id } = await createGroup(t, flooder, [bob]);
    const [tab1, tab2] = [await t.connectSocket(flooder.cookie), await t.connectSocket(flooder.cookie)];
    const junk = await Promise.all(
      Array.from({ length: LIMIT }, () =>
        tab1.emitWithAck('message:send', { conversationId: 'nope' } as never),
      ),
    );
    expect(junk.map(ackCode)).toEqual(Array(LIMIT).fill(ErrorCode.Invalid));

    const refused = await tab2.emitWithAck('message:send', {
      conversationId: id,
      clientMsgId: randomUUID(),
      text: 'hi',
    });
    expect(ackCode(refused)).toBe(ErrorCode.RateLimited);
    expect(tab1.connected && tab2.connected).toBe(true);

    const bobSocket = await t.connectSocket(bob.cookie);
    expect(
      ackCode(
        await bobSocket.emitWithAck('message:send', {
          conversationId: id,
          clientMsgId: randomUUID(),
          text: 'hi',
        }),
      ),
    ).toBe('ok');
  });

  it('keeps a separate budget for typing, presence and receipts, so signals never starve sends', async () => {
    const [chatty, bob] = [await t.signUp(), await t.signUp()];
    const { id } = await createGroup(t, chatty, [bob]);
    const socket = await t.connectSocket(chatty.cookie);

    // Typing and watching the group's presence (as the web app does on opening it) alike.
    const signals = await Promise.all(
      Array.from({ length: 3 * LIMIT }, (_, index) =>
        index % 2 === 0
          ? socket.emitWithAck('typing:start', { conversationId: id })
          : socket.emitWithAck('presence:watch', { conversationId: id }),
      ),
    );
    const codes = signals.map(ackCode);
    expect(codes.filter((code) => code === 'ok')).toHaveLength(2 * LIMIT);
    expect(codes.filter((code) => code === ErrorCode.RateLimited)).toHaveLength(LIMIT);

    const sent = await socket.emitWithAck('message:send', {
      conversationId: id,
      clientMsgId: randomUUID(),
      text: 'sent',
    });
    expect(sent.ok).toBe(true);
  });
});
