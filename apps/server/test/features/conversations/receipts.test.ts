import { ErrorCode, type Conversation, type Receipt } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ackCode,
  collectEvents,
  createGroup,
  nextEvent,
  messageBarrier,
  okData,
  sendText,
  startTestServer,
  waitUntil,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

describe('delivery and read receipts', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { AUTH_RATE_LIMIT_PER_IP: '10000' } });
  });
  afterAll(async () => t.close());

  /** A group of Alice (who has sent `count` messages), Bob and Carol, each with a socket. */
  async function groupWithMessages(count: number) {
    const [alice, bob, carol] = [await t.signUp(), await t.signUp(), await t.signUp()];
    const group = await createGroup(t, alice, [bob, carol]);
    const [aliceSocket, bobSocket, carolSocket] = await Promise.all(
      [alice, bob, carol].map((user) => t.connectSocket(user.cookie)),
    );
    for (let i = 1; i <= count; i += 1) await sendText(aliceSocket!, group.id, `message ${i}`);
    return {
      alice,
      bob,
      carol,
      id: group.id,
      aliceSocket: aliceSocket!,
      bobSocket: bobSocket!,
      carolSocket: carolSocket!,
    };
  }

  const entryOf = async (user: TestUser, id: number): Promise<Conversation> =>
    (
      await t.http<{ conversations: Conversation[] }>('GET', '/api/conversations', { cookie: user.cookie })
    ).body.conversations.find((c) => c.id === id)!;

  it('moves the delivery position forward only and tells the other members', async () => {
    const { bob, id, aliceSocket, bobSocket, carolSocket } = await groupWithMessages(3);
    const aliceHears = nextEvent(aliceSocket, 'receipt:update');
    const carolHears = nextEvent(carolSocket, 'receipt:update');

    const delivered = await bobSocket.emitWithAck('conversation:delivered', { conversationId: id, seq: 2 });
    const expected: Receipt = { conversationId: id, userId: bob.id, lastDeliveredSeq: 2, lastReadSeq: 0 };
    expect(delivered).toEqual({ ok: true, data: expected });
    expect(await aliceHears).toEqual(expected);
    expect(await carolHears).toEqual(expected);

    const lower = await bobSocket.emitWithAck('conversation:delivered', { conversationId: id, seq: 1 });
    expect(lower).toEqual({ ok: true, data: expected });
    expect((await entryOf(bob, id)).receipts.find((r) => r.userId === bob.id)).toEqual(expected);
  });

  it('moves the read position forward only, and reading implies delivery', async () => {
    const { bob, id, aliceSocket, bobSocket } = await groupWithMessages(3);
    okData(await bobSocket.emitWithAck('conversation:delivered', { conversationId: id, seq: 2 }));

    const readOne = await bobSocket.emitWithAck('conversation:read', { conversationId: id, seq: 1 });
    expect(readOne).toEqual({ ok: true, data: { conversationId: id, lastReadSeq: 1, unreadCount: 2 } });
    let receipt = (await entryOf(bob, id)).receipts.find((r) => r.userId === bob.id);
    expect(receipt).toMatchObject({ lastDeliveredSeq: 2, lastReadSeq: 1 });

    // Updates of the earlier moves may still be on their way (they are batched): wait for this one.
    const aliceHeard = collectEvents(aliceSocket, 'receipt:update');
    const readAll = await bobSocket.emitWithAck('conversation:read', { conversationId: id, seq: 3 });
    expect(readAll).toEqual({ ok: true, data: { conversationId: id, lastReadSeq: 3, unreadCount: 0 } });
    await waitUntil(() => aliceHeard.some((update) => update.lastReadSeq === 3), 'receipt:update for seq 3');
    expect(aliceHeard.at(-1)).toEqual({
      conversationId: id,
      userId: bob.id,
      lastDeliveredSeq: 3,
      lastReadSeq: 3,
    });

    const backwards = await bobSocket.emitWithAck('conversation:read', { conversationId: id, seq: 2 });
    expect(backwards).toEqual({ ok: true, data: { conversationId: id, lastReadSeq: 3, unreadCount: 0 } });
    const backwardsDelivered = await bobSocket.emitWithAck('conversation:delivered', {
      conversationId: id,
      seq: 0,
    });
    expect(backwardsDelivered).toMatchObject({ ok: true, data: { lastDeliveredSeq: 3, lastReadSeq: 3 } });
    receipt = (await entryOf(bob, id)).receipts.find((r) => r.userId === bob.id);
    expect(receipt).toMatchObject({ lastDeliveredSeq: 3, lastReadSeq: 3 });
  });

  it('refuses a seq past the newest message with request/invalid and moves nothing', async () => {
    const { bob, id, bobSocket } = await groupWithMessages(2);
    for (const event of ['conversation:read', 'conversation:delivered'] as const) {
      const ack = await bobSocket.emitWithAck(event, { conversationId: id, seq: 3 });
      expect(ackCode(ack), event).toBe(ErrorCode.Invalid);
    }
    expect((await entryOf(bob, id)).receipts.find((r) => r.userId === bob.id)).toMatchObject({
      lastDeliveredSeq: 0,
      lastReadSeq: 0,
    });
  });

  it('refuses receipts from non-members and for unknown conversations alike, with conversation/not_found', async () => {
    const { id } = await groupWithMessages(1);
    const mallory = await t.signUp();
    const mallorySocket = await t.connectSocket(mallory.cookie);
    for (const event of ['conversation:read', 'conversation:delivered'] as const) {
      expect(ackCode(await mallorySocket.emitWithAck(event, { conversationId: id, seq: 1 }))).toBe(
        ErrorCode.ConversationNotFound,
      );
      expect(ackCode(await mallorySocket.emitWithAck(event, { conversationId: 987_654, seq: 0 }))).toBe(
        ErrorCode.ConversationNotFound,
      );
    }
  });

  it("tells the reader's other tabs the new read position and unread count, not the tab that read", async () => {
    const { bob, id, aliceSocket, bobSocket } = await groupWithMessages(3);
    const otherTab = await t.connectSocket(bob.cookie);
    const readingTabHeard = collectEvents(bobSocket, 'conversation:read');
    const told = nextEvent(otherTab, 'conversation:read');
    okData(await bobSocket.emitWithAck('conversation:read', { conversationId: id, seq: 2 }));
    expect(await told).toEqual({ conversationId: id, lastReadSeq: 2, unreadCount: 1 });
    await messageBarrier(aliceSocket, bobSocket, id);
    expect(readingTabHeard).toEqual([]);
  });

  it("sends one member's rapid receipt moves as updates that never go backwards and end at the furthest", async () => {
    const { bob, carol, id, aliceSocket, bobSocket, carolSocket } = await groupWithMessages(6);
    const bobOtherTab = await t.connectSocket(bob.cookie);
    const heard = collectEvents(aliceSocket, 'receipt:update');
    // Two tabs reporting at once, as they do when a burst of messages arrives.
    await Promise.all(
      [1, 2, 3, 4, 5, 6].map((seq) =>
        (seq % 2 ? bobSocket : bobOtherTab).emitWithAck('conversation:delivered', {
          conversationId: id,
          seq,
        }),
      ),
    );
    // The barrier: Carol's move goes through the same batching after every one of Bob's, so once
    // Alice has it, every update of Bob's has reached her. (How many batches Bob's six fall into
    // depends on timing; receipt-broadcaster's unit test pins the batching down.)
    okData(await carolSocket.emitWithAck('conversation:delivered', { conversationId: id, seq: 6 }));
    await waitUntil(() => heard.some((update) => update.userId === carol.id), "Carol's receipt:update");
    const bobs = heard.filter((update) => update.userId === bob.id);
    const positions = bobs.map((update) => update.lastDeliveredSeq);
    expect(positions.length).toBeGreaterThan(0);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(bobs.at(-1)).toEqual({ conversationId: id, userId: bob.id, lastDeliveredSeq: 6, lastReadSeq: 0 });
  });

  it('shows unread counts in the conversation list after reconnecting', async () => {
    const { bob, id, aliceSocket, bobSocket } = await groupWithMessages(3);
    okData(await bobSocket.emitWithAck('conversation:read', { conversationId: id, seq: 3 }));
    bobSocket.close();
    await sendText(aliceSocket, id, 'while you were away');
    await sendText(aliceSocket, id, 'and another');

    const reconnected: ClientSocket = await t.connectSocket(bob.cookie);
    expect(reconnected.connected).toBe(true);
    expect(await entryOf(bob, id)).toMatchObject({ lastSeq: 5, lastReadSeq: 3, unreadCount: 2 });
  });

  it("moves the sender's own read and delivery position to the message they send", async () => {
    const { alice, bob, id, bobSocket } = await groupWithMessages(3);
    expect((await entryOf(bob, id)).unreadCount).toBe(3);
    const reply = await sendText(bobSocket, id, 'caught up');
    expect(await entryOf(bob, id)).toMatchObject({ lastReadSeq: reply.seq, unreadCount: 0 });
    expect((await entryOf(alice, id)).receipts.find((r) => r.userId === bob.id)).toMatchObject({
      lastDeliveredSeq: reply.seq,
      lastReadSeq: reply.seq,
    });
    expect((await entryOf(alice, id)).unreadCount).toBe(1);
  });
});
