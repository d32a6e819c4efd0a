import {
  ErrorCode,
  type ClientToServerEvents,
  type Conversation,
  type HistoryResponse,
  type Message,
} from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ackCode,
  createGroup,
  nextEvent,
  okData,
  sendText,
  startTestServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

/**
 * Every client event, given payloads that fail its schema (or, for seq, the server's own check):
 * each is answered with request/invalid, and nothing else happens.
 */
describe('malformed socket payloads', () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let conversationId: number;
  let message: Message;
  let aliceSocket: ClientSocket;
  let bobSocket: ClientSocket;

  beforeAll(async () => {
    t = await startTestServer({ env: { SOCKET_RATE_LIMIT: '100000' } });
    [alice, bob] = [await t.signUp(), await t.signUp()];
    conversationId = (await createGroup(t, alice, [bob])).id;
    [aliceSocket, bobSocket] = [await t.connectSocket(alice.cookie), await t.connectSocket(bob.cookie)];
    message = await sendText(aliceSocket, conversationId, 'the one message');
  });
  afterAll(async () => t.close());

  const notObjects: unknown[] = [null, 'text', 17, true, [1, 2], Buffer.from('{}')];
  const tooBig = 2_147_483_648;

  const cases: Record<keyof ClientToServerEvents, () => unknown[]> = {
    'message:send': () => [
      { conversationId, text: 'no clientMsgId' },
      { conversationId, clientMsgId: crypto.randomUUID(), text: 'x', replyToId: 'one' },
      { conversationId, clientMsgId: crypto.randomUUID(), text: 'x', replyToId: 0 },
      // A lone surrogate: JSON carries it, UTF-8 cannot; it would be stored as U+FFFD, unlike the ack.
      { conversationId, clientMsgId: crypto.randomUUID(), text: 'broken \ud83d half' },
      { conversationId, clientMsgId: crypto.randomUUID(), text: 'a'.repeat(4_001) },
      { conversationId: tooBig, clientMsgId: crypto.randomUUID(), text: 'x' },
      { conversationId, clientMsgId: 'not-a-uuid', text: 'x' },
      { conversationId, clientMsgId: crypto.randomUUID(), text: 'x', senderId: alice.id },
    ],
    'message:edit': () => [
      {},
      { conversationId, messageId: message.id },
      { conversationId, messageId: String(message.id), text: 'x' },
      { conversationId, messageId: message.id, text: { value: 'x' } },
      { conversationId, messageId: message.id, text: 'x', senderId: bob.id },
      { conversationId, messageId: message.id, text: '\ude00 low half first' },
      { conversationId: -1, messageId: message.id, text: 'x' },
      { conversationId, messageId: 1.5, text: 'x' },
      { conversationId, messageId: tooBig, text: 'x' },
    ],
    'message:delete': () => [
      {},
      { conversationId },
      { messageId: message.id },
      { conversationId, messageId: [message.id] },
      { conversationId, messageId: message.id, forEveryone: false },
      { conversationId: 0, messageId: message.id },
    ],
    'message:react': () => [
      { conversationId, messageId: message.id, emoji: '👍' },
      { conversationId, messageId: message.id, on: true },
      { conversationId, messageId: message.id, emoji: '👍', on: 'yes' },
      { conversationId, messageId: message.id, emoji: 128_077, on: true },
      { conversationId, messageId: message.id, emoji: 'ok', on: true },
      { conversationId, messageId: message.id, emoji: '👍', on: true, userId: bob.id },
    ],
    'conversation:sync': () => [
      {},
      { conversations: 'all' },
      { conversations: [{ conversationId }] },
      { conversations: [{ conversationId, changeSeq: '1' }] },
      { conversations: [{ conversationId, changeSeq: 0 }], includeDeleted: true },
      // From the future: nothing that far has happened yet.
      { conversations: [{ conversationId, changeSeq: message.changeSeq + 1_000 }] },
    ],
    'conversation:delivered': () => [
      {},
      { conversationId },
      { conversationId, seq: -1 },
      { conversationId, seq: '1' },
      { conversationId, seq: 1, userId: bob.id },
      { conversationId, seq: tooBig },
      { conversationId, seq: message.seq + 1 },
    ],
    'conversation:read': () => [
      {},
      { seq: 1 },
      { conversationId, seq: 0.5 },
      { conversationId, seq: null },
      { conversationId, seq: 1, unreadCount: 0 },
      { conversationId, seq: message.seq + 1 },
    ],
    'typing:start': () => [{}, { conversationId: '1' }, { conversationId, typing: true }],
    'typing:stop': () => [{}, { conversationId: null }, { conversationId, extra: 1 }],
    'presence:set': () => [{}, { status: 'invisible' }, { status: 'online', since: 0 }],
  };

  it.each(Object.keys(cases) as Array<keyof ClientToServerEvents>)(
    'answers malformed %s payloads with request/invalid and keeps the connection',
    async (event) => {
      const emit = bobSocket.emitWithAck.bind(bobSocket) as (
        event: string,
        ...args: unknown[]
      ) => Promise<never>;
      for (const payload of [...cases[event](), ...notObjects]) {
        const ack = await emit(event, payload);
        expect(ackCode(ack), `${event} ${JSON.stringify(payload)}`).toBe(ErrorCode.Invalid);
      }
      // No payload at all, only the acknowledgement.
      expect(ackCode(await emit(event))).toBe(ErrorCode.Invalid);
      expect(bobSocket.connected).toBe(true);
    },
  );

  it('changed nothing, and the server and other clients carry on', async () => {
    // An event without an acknowledgement is ignored (even a valid one), and an unknown event too.
    (aliceSocket.emit as (event: string, ...args: unknown[]) => void)('message:delete', {
      conversationId,
      messageId: message.id,
    });
    (bobSocket.emit as (event: string, ...args: unknown[]) => void)(
      'no:such-event',
      { anything: true },
      () => undefined,
    );
    // Each socket's packets are handled in order: once a later request is answered, the two above
    // have been seen and dropped.
    for (const socket of [aliceSocket, bobSocket])
      okData(await socket.emitWithAck('typing:stop', { conversationId }));

    const history = await t.http<HistoryResponse>('GET', `/api/conversations/${conversationId}/messages`, {
      cookie: alice.cookie,
    });
    expect(history.body.messages).toEqual([message]);
    const list = await t.http<{ conversations: Conversation[] }>('GET', '/api/conversations', {
      cookie: bob.cookie,
    });
    expect(list.body.conversations[0]).toMatchObject({
      lastReadSeq: 0,
      unreadCount: 1,
      changeSeq: message.changeSeq,
    });

    const heard = nextEvent(aliceSocket, 'message:new');
    const reply = await sendText(bobSocket, conversationId, 'all good here');
    expect(await heard).toEqual(reply);
    expect(
      okData(await bobSocket.emitWithAck('conversation:read', { conversationId, seq: reply.seq })),
    ).toMatchObject({
      lastReadSeq: reply.seq,
    });
    expect((await t.http('GET', '/healthz')).status).toBe(200);
  });
});
