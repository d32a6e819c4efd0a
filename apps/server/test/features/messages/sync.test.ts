import {
  ErrorCode,
  SYNC_CONVERSATIONS_MAX,
  SYNC_PAGE_MAX,
  SYNC_RESPONSE_MAX,
  type Message,
  type SyncResponse,
  type SyncResult,
} from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ackCode,
  collectEvents,
  createGroup,
  okData,
  queryDatabase,
  sendText,
  startTestServer,
  waitUntil,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

describe('catch-up by change number (conversation:sync)', () => {
  let t: TestServer;
  beforeAll(async () => {
    // Building a backlog of hundreds of changes is not a flood, nor are many sign-ups from one address.
    t = await startTestServer({ env: { SOCKET_RATE_LIMIT: '100000', AUTH_RATE_LIMIT_PER_IP: '10000' } });
  });
  afterAll(async () => t.close());

  const sync = (socket: ClientSocket, conversations: Array<{ conversationId: number; changeSeq: number }>) =>
    socket.emitWithAck('conversation:sync', { conversations });
  const only = (response: SyncResponse): SyncResult => {
    expect(response.results).toHaveLength(1);
    return response.results[0]!;
  };

  async function pair(): Promise<{ alice: TestUser; bob: TestUser; id: number; aliceSocket: ClientSocket }> {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const { id } = await createGroup(t, alice, [bob]);
    return { alice, bob, id, aliceSocket: await t.connectSocket(alice.cookie) };
  }

  it('gives a reconnecting client exactly what changed while it was away, in change order, each once', async () => {
    const { bob, id, aliceSocket } = await pair();
    const bobSocket = await t.connectSocket(bob.cookie);
    const heard = collectEvents(bobSocket, 'message:new');
    const [m1, m2, m3] = [
      await sendText(aliceSocket, id, 'one'),
      await sendText(aliceSocket, id, 'two'),
      await sendText(aliceSocket, id, 'three'),
    ];
    await waitUntil(() => heard.length === 3, 'three live messages');
    // What a client holds: the highest changeSeq it has seen.
    const held = Math.max(...heard.map((message) => message.changeSeq));
    expect(held).toBe(m3.changeSeq);
    bobSocket.close();

    const m4 = await sendText(aliceSocket, id, 'four');
    const m5 = await sendText(aliceSocket, id, 'five');
    okData(
      await aliceSocket.emitWithAck('message:edit', {
        conversationId: id,
        messageId: m1.id,
        text: 'one, edited',
      }),
    );
    okData(await aliceSocket.emitWithAck('message:delete', { conversationId: id, messageId: m2.id }));
    okData(
      await aliceSocket.emitWithAck('message:react', {
        conversationId: id,
        messageId: m3.id,
        emoji: '🎉',
        on: true,
      }),
    );
    const lastChange = okData(
      await aliceSocket.emitWithAck('message:edit', {
        conversationId: id,
        messageId: m4.id,
        text: 'four, edited',
      }),
    );

    const back = await t.connectSocket(bob.cookie);
    const result = only(okData(await sync(back, [{ conversationId: id, changeSeq: held }])));
    expect(result.messages.map((message) => message.id)).toEqual([m5.id, m1.id, m2.id, m3.id, m4.id]);
    const changeSeqs = result.messages.map((message) => message.changeSeq);
    expect(changeSeqs).toEqual([...changeSeqs].sort((a, b) => a - b));
    expect(new Set(changeSeqs).size).toBe(changeSeqs.length);
    expect(result).toMatchObject({ conversationId: id, changeSeq: lastChange.changeSeq, hasMore: false });
    const byId = new Map(result.messages.map((message) => [message.id, message]));
    expect(byId.get(m1.id)).toMatchObject({ text: 'one, edited' });
    expect(byId.get(m2.id)).toMatchObject({ text: '', reactions: [] });
    expect(byId.get(m2.id)!.deletedAt).not.toBeNull();
    expect(byId.get(m3.id)!.reactions).toEqual([{ emoji: '🎉', userIds: [expect.any(Number)] }]);
    expect(byId.get(m4.id)).toEqual(lastChange);

    const again = only(okData(await sync(back, [{ conversationId: id, changeSeq: result.changeSeq }])));
    expect(again).toEqual({ conversationId: id, messages: [], changeSeq: result.changeSeq, hasMore: false });
  });

  it('gives everything from changeSeq 0, and nothing for an empty conversation', async () => {
    const { bob, id, aliceSocket } = await pair();
    const bobSocket = await t.connectSocket(bob.cookie);
    const empty = only(okData(await sync(bobSocket, [{ conversationId: id, changeSeq: 0 }])));
    expect(empty).toEqual({ conversationId: id, messages: [], changeSeq: 0, hasMore: false });
    const sent = [await sendText(aliceSocket, id, 'a'), await sendText(aliceSocket, id, 'b')];
    const all = only(okData(await sync(bobSocket, [{ conversationId: id, changeSeq: 0 }])));
    expect(all.messages).toEqual(sent);
    expect(all.changeSeq).toBe(sent[1]!.changeSeq);
  });

  it('pages more than SYNC_PAGE_MAX changes with hasMore, with no gaps or duplicates across pages', async () => {
    const { bob, id, aliceSocket } = await pair();
    const total = SYNC_PAGE_MAX + 30;
    const sent: Message[] = [];
    for (let start = 0; start < total; start += 25) {
      const batch = Array.from({ length: Math.min(25, total - start) }, (_, i) =>
        sendText(aliceSocket, id, `m${start + i}`),
      );
      sent.push(...(await Promise.all(batch)));
    }
    sent.sort((a, b) => a.changeSeq - b.changeSeq);
    const bobSocket = await t.connectSocket(bob.cookie);

    const first = only(okData(await sync(bobSocket, [{ conversationId: id, changeSeq: 0 }])));
    expect(first.messages).toHaveLength(SYNC_PAGE_MAX);
    expect(first.hasMore).toBe(true);
    expect(first.changeSeq).toBe(first.messages.at(-1)!.changeSeq);

    // A change between pages to a message already fetched comes again, newer, on a later page.
    const early = first.messages[0]!;
    const edited = okData(
      await aliceSocket.emitWithAck('message:edit', {
        conversationId: id,
        messageId: early.id,
        text: 'late edit',
      }),
    );

    const pages = [first];
    while (pages.at(-1)!.hasMore) {
      pages.push(
        only(okData(await sync(bobSocket, [{ conversationId: id, changeSeq: pages.at(-1)!.changeSeq }]))),
      );
      expect(pages.length).toBeLessThan(5);
    }
    const rest = pages.slice(1).flatMap((page) => page.messages);
    expect(rest.map((message) => message.id)).toEqual([
      ...sent.slice(SYNC_PAGE_MAX).map((message) => message.id),
      early.id,
    ]);
    expect(rest.at(-1)).toEqual(edited);

    const changeSeqs = pages.flatMap((page) => page.messages.map((message) => message.changeSeq));
    expect(changeSeqs).toEqual(Array.from({ length: total + 1 }, (_, i) => i + 1));
    const ids = new Set(pages.flatMap((page) => page.messages.map((message) => message.id)));
    expect(ids).toEqual(new Set(sent.map((message) => message.id)));
  });

  it('leaves out conversations the caller is not a member of, whatever changeSeq they give', async () => {
    const { bob, id, aliceSocket } = await pair();
    const [carol, dave] = [await t.signUp(), await t.signUp()];
    const secret = await createGroup(t, dave, [], 'Secret');
    await sendText(await t.connectSocket(dave.cookie), secret.id, 'for my eyes only');
    const carolSocket = await t.connectSocket(carol.cookie);
    await sendText(aliceSocket, id, 'members only');

    const response = okData(
      await sync(carolSocket, [
        { conversationId: id, changeSeq: 0 },
        { conversationId: secret.id, changeSeq: 1_000 },
        { conversationId: 987_654, changeSeq: 0 },
      ]),
    );
    expect(response).toEqual({ results: [] });

    const bobSocket = await t.connectSocket(bob.cookie);
    const mixed = okData(
      await sync(bobSocket, [
        { conversationId: secret.id, changeSeq: 0 },
        { conversationId: id, changeSeq: 0 },
      ]),
    );
    expect(mixed.results.map((result) => result.conversationId)).toEqual([id]);
    expect(mixed.results[0]!.messages.map((message) => message.text)).toEqual(['members only']);
  });

  it('refuses a changeSeq ahead of the server with request/invalid', async () => {
    const { bob, id, aliceSocket } = await pair();
    const sent = await sendText(aliceSocket, id, 'only change');
    const bobSocket = await t.connectSocket(bob.cookie);
    const ack = await sync(bobSocket, [{ conversationId: id, changeSeq: sent.changeSeq + 1 }]);
    expect(ackCode(ack)).toBe(ErrorCode.Invalid);
    expect(ack.ok ? [] : ack.error.issues?.map((issue) => issue.path)).toEqual(['conversations.changeSeq']);
  });

  let malformedSender: ClientSocket | undefined;
  it.each<[string, unknown]>([
    [
      'more than SYNC_CONVERSATIONS_MAX entries',
      {
        conversations: Array.from({ length: SYNC_CONVERSATIONS_MAX + 1 }, (_, i) => ({
          conversationId: i + 1,
          changeSeq: 0,
        })),
      },
    ],
    ['a missing list', {}],
    ['a list that is not an array', { conversations: { conversationId: 1, changeSeq: 0 } }],
    ['a negative changeSeq', { conversations: [{ conversationId: 1, changeSeq: -1 }] }],
    ['a fractional changeSeq', { conversations: [{ conversationId: 1, changeSeq: 1.5 }] }],
    ['a string conversationId', { conversations: [{ conversationId: '1', changeSeq: 0 }] }],
    ['a missing changeSeq', { conversations: [{ conversationId: 1 }] }],
    ['an unknown field in an entry', { conversations: [{ conversationId: 1, changeSeq: 0, since: 0 }] }],
    ['an unknown top-level field', { conversations: [], all: true }],
    ['null', null],
    ['a string', 'everything'],
  ])('refuses %s with request/invalid', async (_case, payload) => {
    malformedSender ??= await t.connectSocket((await t.signUp()).cookie);
    const socket = malformedSender;
    const ack = await socket.emitWithAck('conversation:sync', payload as never);
    expect(ackCode(ack)).toBe(ErrorCode.Invalid);
    expect(socket.connected).toBe(true);
  });

  it('accepts exactly SYNC_CONVERSATIONS_MAX entries', async () => {
    const { bob, id } = await pair();
    const bobSocket = await t.connectSocket(bob.cookie);
    const conversations = Array.from({ length: SYNC_CONVERSATIONS_MAX }, (_, i) => ({
      conversationId: i === 0 ? id : 1_000_000 + i,
      changeSeq: 0,
    }));
    const response = okData(await sync(bobSocket, conversations));
    expect(response.results.map((result) => result.conversationId)).toEqual([id]);
  });

  it(`answers at most ${SYNC_RESPONSE_MAX} changes in one call; the rest say hasMore and come on asking again`, async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const perConversation = SYNC_PAGE_MAX;
    const count = Math.ceil(SYNC_RESPONSE_MAX / perConversation) + 1;
    const ids: number[] = [];
    for (let i = 0; i < count; i += 1) ids.push((await createGroup(t, alice, [bob], `Backlog ${i}`)).id);
    // A backlog written straight into the database: thousands of sends would only slow the test.
    for (const id of ids) {
      await queryDatabase(
        t,
        `INSERT INTO messages (conversationId, seq, senderId, clientMsgId, text, changeSeq)
         SELECT ?, n, ?, UUID(), CONCAT('backlog ', n), n FROM (
           SELECT a.d + b.d * 10 + c.d * 100 + 1 AS n FROM
             (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) a,
             (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b,
             (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c
         ) numbers WHERE n <= ?`,
        [id, alice.id, perConversation],
      );
      await queryDatabase(t, 'UPDATE conversations SET lastSeq = ?, lastChangeSeq = ? WHERE id = ?', [
        perConversation,
        perConversation,
        id,
      ]);
    }
    const bobSocket = await t.connectSocket(bob.cookie);
    const first = okData(
      await sync(
        bobSocket,
        ids.map((conversationId) => ({ conversationId, changeSeq: 0 })),
      ),
    );
    const delivered = first.results.reduce((sum, result) => sum + result.messages.length, 0);
    expect(delivered).toBe(SYNC_RESPONSE_MAX);
    const waiting = first.results.filter((result) => result.hasMore);
    expect(waiting.length).toBeGreaterThan(0);

    const rest = okData(
      await sync(
        bobSocket,
        waiting.map((result) => ({ conversationId: result.conversationId, changeSeq: result.changeSeq })),
      ),
    );
    const total = delivered + rest.results.reduce((sum, result) => sum + result.messages.length, 0);
    expect(total).toBe(count * perConversation);
    expect(rest.results.every((result) => !result.hasMore)).toBe(true);
  });
});
