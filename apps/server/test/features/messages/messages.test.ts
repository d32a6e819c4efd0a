import {
  ErrorCode,
  MESSAGE_TEXT_MAX,
  type Conversation,
  type HistoryResponse,
  type Message,
} from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupCall } from '../../helpers/groups.js';
import {
  collectEvents,
  createGroup,
  messageBarrier,
  nextEvent,
  startTestServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

describe('messages', () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let mallory: TestUser;
  let conversationId: number;
  let aliceSocket: ClientSocket;
  let bobSocket: ClientSocket;
  let mallorySocket: ClientSocket;

  const history = async (user: TestUser, query = '') =>
    t.http<HistoryResponse>('GET', `/api/conversations/${conversationId}/messages${query}`, {
      cookie: user.cookie,
    });

  beforeAll(async () => {
    t = await startTestServer();
    [alice, bob, mallory] = [await t.signUp(), await t.signUp(), await t.signUp()];
    const { body } = await t.http<{ conversation: Conversation }>('POST', '/api/conversations', {
      cookie: alice.cookie,
      body: { name: 'Team', memberUsernames: [bob.username] },
    });
    conversationId = body.conversation.id;
    [aliceSocket, bobSocket, mallorySocket] = await Promise.all([
      t.connectSocket(alice.cookie),
      t.connectSocket(bob.cookie),
      t.connectSocket(mallory.cookie),
    ]);
  });
  afterAll(async () => t.close());

  it('stores a message, acknowledges the stored message and broadcasts it to the other members', async () => {
    const clientMsgId = crypto.randomUUID();
    const received = nextEvent(bobSocket, 'message:new');
    const echoedToSender = collectEvents(aliceSocket, 'message:new');
    const ack = await aliceSocket.emitWithAck('message:send', {
      conversationId,
      clientMsgId,
      text: '  Hello, Bob 👋  ',
    });
    if (!ack.ok) throw new Error(ack.error.message);
    expect(ack.data).toMatchObject({
      conversationId,
      clientMsgId,
      text: 'Hello, Bob 👋',
      type: 'text',
      sender: { id: alice.id, username: alice.username },
    });
    expect(await received).toEqual(ack.data);
    const page = await history(bob);
    expect(page.body.messages.at(-1)).toEqual(ack.data);

    // Bob answers; once Alice has his message, her own would have come back before it.
    const barrier = await messageBarrier(bobSocket, aliceSocket, conversationId);
    expect(echoedToSender).toEqual([barrier]);
  });

  it('numbers messages 1, 2, 3… in one order for everyone, even when sent concurrently', async () => {
    const before = (await history(alice)).body.messages.length;
    const sends = Array.from({ length: 20 }, (_, i) =>
      (i % 2 ? aliceSocket : bobSocket).emitWithAck('message:send', {
        conversationId,
        clientMsgId: crypto.randomUUID(),
        text: `burst ${i}`,
      }),
    );
    const acks = await Promise.all(sends);
    const seqs = acks.map((ack) => (ack.ok ? ack.data.seq : -1)).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => before + 1 + i));
    const all = (await history(bob, '?limit=100')).body.messages.map((m) => m.seq);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
  });

  it('stores a resent clientMsgId once and acknowledges both sends with the same message', async () => {
    const payload = { conversationId, clientMsgId: crypto.randomUUID(), text: 'only once' };
    const [first, concurrent] = await Promise.all([
      aliceSocket.emitWithAck('message:send', payload),
      aliceSocket.emitWithAck('message:send', payload),
    ]);
    const retry = await aliceSocket.emitWithAck('message:send', payload);
    expect(first.ok && concurrent.ok && retry.ok).toBe(true);
    expect(concurrent).toEqual(first);
    expect(retry).toEqual(first);
    const stored = (await history(alice, '?limit=100')).body.messages.filter(
      (m) => m.clientMsgId === payload.clientMsgId,
    );
    expect(stored).toHaveLength(1);
  });

  it('takes a clientMsgId resent in capitals for the same one (UUIDs are case-insensitive): stored once', async () => {
    const clientMsgId = crypto.randomUUID();
    const first = await aliceSocket.emitWithAck('message:send', {
      conversationId,
      clientMsgId,
      text: 'lower',
    });
    const [shouted, bobs] = await Promise.all([
      aliceSocket.emitWithAck('message:send', {
        conversationId,
        clientMsgId: clientMsgId.toUpperCase(),
        text: 'upper',
      }),
      // Someone else's send at the same moment (in the same batch, if they meet) is stored as usual.
      bobSocket.emitWithAck('message:send', {
        conversationId,
        clientMsgId: crypto.randomUUID(),
        text: 'bob',
      }),
    ]);
    expect(first.ok && shouted).toEqual(first);
    expect(bobs.ok).toBe(true);
    const stored = (await history(alice, '?limit=100')).body.messages.filter(
      (m) => m.clientMsgId.toLowerCase() === clientMsgId,
    );
    expect(stored.map((m) => m.text)).toEqual(['lower']);
  });

  it('refuses a clientMsgId reused for another conversation', async () => {
    const { body } = await t.http<{ conversation: Conversation }>('POST', '/api/conversations', {
      cookie: alice.cookie,
      body: { name: 'Other', memberUsernames: [] },
    });
    const clientMsgId = crypto.randomUUID();
    await aliceSocket.emitWithAck('message:send', { conversationId, clientMsgId, text: 'first' });
    const reused = await aliceSocket.emitWithAck('message:send', {
      conversationId: body.conversation.id,
      clientMsgId,
      text: 'second',
    });
    expect(reused).toMatchObject({ ok: false, error: { code: ErrorCode.Invalid } });
  });

  it('refuses a non-member with conversation/not_found: nothing stored, nothing broadcast', async () => {
    const before = (await history(alice, '?limit=100')).body.messages.length;
    const heard = collectEvents(bobSocket, 'message:new');
    const ack = await mallorySocket.emitWithAck('message:send', {
      conversationId,
      clientMsgId: crypto.randomUUID(),
      text: 'let me in',
    });
    expect(ack).toMatchObject({ ok: false, error: { code: ErrorCode.ConversationNotFound } });
    const barrier = await messageBarrier(aliceSocket, bobSocket, conversationId);
    expect(heard).toEqual([barrier]);
    expect((await history(alice, '?limit=100')).body.messages).toHaveLength(before + 1);
  });

  it('answers a retry with the stored message after its sender left the group; a new message is refused', async () => {
    const [owner, leaver] = [await t.signUp(), await t.signUp()];
    const group = await createGroup(t, owner, [leaver], 'Revolving door');
    const socket = await t.connectSocket(leaver.cookie);
    const payload = {
      conversationId: group.id,
      clientMsgId: crypto.randomUUID(),
      text: 'sent, then removed',
    };
    const first = await socket.emitWithAck('message:send', payload);
    expect(first.ok).toBe(true);
    await groupCall(t, owner, 'DELETE', `/api/conversations/${group.id}/members/${leaver.id}`);

    // The acknowledgement was lost: the client sends again, as the protocol tells it to.
    const retry = await socket.emitWithAck('message:send', payload);
    expect(retry).toEqual(first);
    const fresh = await socket.emitWithAck('message:send', { ...payload, clientMsgId: crypto.randomUUID() });
    expect(fresh).toMatchObject({ ok: false, error: { code: ErrorCode.ConversationNotFound } });
    const texts = (
      await t.http<HistoryResponse>('GET', `/api/conversations/${group.id}/messages`, {
        cookie: owner.cookie,
      })
    ).body.messages.map((message) => `${message.type}:${message.text}`);
    expect(texts.filter((text) => text === 'text:sent, then removed')).toHaveLength(1);
    expect(texts.filter((text) => text.startsWith('text:'))).toHaveLength(1);
  });

  it('refuses an unknown conversation with conversation/not_found', async () => {
    const ack = await aliceSocket.emitWithAck('message:send', {
      conversationId: 987654,
      clientMsgId: crypto.randomUUID(),
      text: 'anyone?',
    });
    expect(ack).toMatchObject({ ok: false, error: { code: ErrorCode.ConversationNotFound } });
  });

  it.each([
    ['empty text', { text: '' }, 'text'],
    ['whitespace-only text', { text: ' \n\t ' }, 'text'],
    ['zero-width-space-only text', { text: '\u200b\u200b' }, 'text'],
    ['word-joiner-only text', { text: '\u2060' }, 'text'],
    ['ZWNJ + ZWJ text', { text: '\u200c\u200d' }, 'text'],
    ['soft-hyphen-only text', { text: '\u00ad' }, 'text'],
    ['braille-blank-only text', { text: '\u2800\u2800' }, 'text'],
    ['Hangul-filler-only text', { text: '\u3164' }, 'text'],
    ['bidi-marks-only text', { text: '\u200f\u202e' }, 'text'],
    ['text over the limit', { text: 'x'.repeat(MESSAGE_TEXT_MAX + 1) }, 'text'],
    ['a number for text', { text: 42 }, 'text'],
    ['binary for text', { text: Buffer.from('hello') }, 'text'],
    ['a clientMsgId that is not a UUID', { clientMsgId: 'abc' }, 'clientMsgId'],
    ['a string conversationId', { conversationId: '1' }, 'conversationId'],
    ['an unknown field', { senderId: 1 }, ''],
  ])('refuses %s with request/invalid and stores nothing', async (_case, override, field) => {
    const before = (await history(alice, '?limit=100')).body.messages.length;
    const ack = await aliceSocket.emitWithAck('message:send', {
      conversationId,
      clientMsgId: crypto.randomUUID(),
      text: 'valid',
      ...override,
    } as never);
    expect(ack.ok).toBe(false);
    if (ack.ok) return;
    expect(ack.error.code).toBe(ErrorCode.Invalid);
    if (field) expect(ack.error.issues?.map((issue) => issue.path)).toContain(field);
    expect((await history(alice, '?limit=100')).body.messages).toHaveLength(before);
  });

  it('answers a payload that is not an object, and keeps the connection', async () => {
    for (const payload of [null, 'hello', 17, [1, 2]]) {
      const ack = await aliceSocket.emitWithAck('message:send', payload as never);
      expect(ack).toMatchObject({ ok: false, error: { code: ErrorCode.Invalid } });
    }
    expect(aliceSocket.connected).toBe(true);
  });

  it.each([
    ['Hebrew', 'שלום, מה שלומך?'],
    ['Chinese', '你好，世界'],
    ['emoji only', '🎉'],
    ['a ZWJ family emoji', '👨‍👩‍👧'],
    ['text with a right-to-left override', 'see \u202egnp.exe'],
  ])('stores %s exactly as typed', async (_case, text) => {
    const ack = await aliceSocket.emitWithAck('message:send', {
      conversationId,
      clientMsgId: crypto.randomUUID(),
      text,
    });
    if (!ack.ok) throw new Error(ack.error.message);
    expect(ack.data.text).toBe(text);
  });

  it('accepts text of exactly the limit', async () => {
    const ack = await aliceSocket.emitWithAck('message:send', {
      conversationId,
      clientMsgId: crypto.randomUUID(),
      text: 'y'.repeat(MESSAGE_TEXT_MAX),
    });
    expect(ack.ok).toBe(true);
  });

  it('pages history by seq, oldest first, with hasMore', async () => {
    const all = (await history(alice, '?limit=100')).body.messages;
    const newest = await history(alice, '?limit=5');
    expect(newest.body.messages.map((m: Message) => m.seq)).toEqual(all.slice(-5).map((m) => m.seq));
    expect(newest.body.hasMore).toBe(true);
    const older = await history(alice, `?limit=5&before=${newest.body.messages[0]!.seq}`);
    expect(older.body.messages.map((m) => m.seq)).toEqual(all.slice(-10, -5).map((m) => m.seq));
    const first = await history(alice, '?before=2');
    expect(first.body).toMatchObject({ hasMore: false });
    expect(first.body.messages.map((m) => m.seq)).toEqual([1]);

    for (const query of ['?limit=0', '?limit=101', '?before=-1', '?before=abc', '?offset=10']) {
      const bad = await history(alice, query);
      expect(bad.status, query).toBe(400);
    }
  });
});
