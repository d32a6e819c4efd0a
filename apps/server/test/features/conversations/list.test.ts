import type { Conversation } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdAtFailpoint } from '../../../src/lib/failpoints.js';
import {
  createGroup,
  okData,
  sendText,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

describe('conversation list', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { AUTH_RATE_LIMIT_PER_IP: '10000' } });
  });
  afterAll(async () => t.close());

  const list = async (user: TestUser) =>
    (await t.http<{ conversations: Conversation[] }>('GET', '/api/conversations', { cookie: user.cookie }))
      .body.conversations;

  it('sorts by latest activity: a new message moves its conversation to the top', async () => {
    const [alice, bob, carol] = [await t.signUp(), await t.signUp(), await t.signUp()];
    const first = await createGroup(t, alice, [bob], 'First');
    const direct = (
      await t.http<{ conversation: Conversation }>('POST', '/api/conversations/direct', {
        cookie: alice.cookie,
        body: { username: bob.username },
      })
    ).body.conversation;
    const last = await createGroup(t, alice, [carol], 'Last');
    expect((await list(alice)).map((c) => c.id)).toEqual([last.id, direct.id, first.id]);

    const bobSocket = await t.connectSocket(bob.cookie);
    await sendText(bobSocket, first.id, 'bump');
    expect((await list(alice)).map((c) => c.id)).toEqual([first.id, last.id, direct.id]);
    expect((await list(bob)).map((c) => c.id)).toEqual([first.id, direct.id]);

    await sendText(bobSocket, direct.id, 'and this one');
    expect((await list(alice)).map((c) => c.id)).toEqual([direct.id, first.id, last.id]);
  });

  it("carries each conversation's last message, change counter and everyone's receipts", async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const group = await createGroup(t, alice, [bob]);
    const empty = (await list(alice))[0]!;
    expect(empty).toMatchObject({
      id: group.id,
      lastMessage: null,
      lastSeq: 0,
      changeSeq: 0,
      lastReadSeq: 0,
      unreadCount: 0,
    });

    const aliceSocket = await t.connectSocket(alice.cookie);
    await sendText(aliceSocket, group.id, 'one');
    const second = await sendText(aliceSocket, group.id, 'two');
    okData(
      await aliceSocket.emitWithAck('message:edit', {
        conversationId: group.id,
        messageId: second.id,
        text: 'two!',
      }),
    );

    const [entry] = await list(bob);
    expect(entry).toMatchObject({
      id: group.id,
      lastSeq: 2,
      changeSeq: 3,
      lastMessage: { id: second.id, seq: 2, text: 'two!', sender: { id: alice.id } },
      lastReadSeq: 0,
      unreadCount: 2,
    });
    expect(entry!.receipts).toEqual([
      { conversationId: group.id, userId: alice.id, lastDeliveredSeq: 2, lastReadSeq: 2 },
      { conversationId: group.id, userId: bob.id, lastDeliveredSeq: 0, lastReadSeq: 0 },
    ]);
  });

  it("counts unread messages per user, never one's own", async () => {
    const [alice, bob, carol] = [await t.signUp(), await t.signUp(), await t.signUp()];
    const group = await createGroup(t, alice, [bob, carol]);
    const [aliceSocket, bobSocket] = [await t.connectSocket(alice.cookie), await t.connectSocket(bob.cookie)];
    await sendText(aliceSocket, group.id, 'a1');
    await sendText(aliceSocket, group.id, 'a2');
    await sendText(bobSocket, group.id, 'b1');

    const unread = async (user: TestUser) => (await list(user)).find((c) => c.id === group.id)!.unreadCount;
    // Bob's send moved his read position to his own message, past Alice's two.
    expect(await unread(alice)).toBe(1);
    expect(await unread(bob)).toBe(0);
    expect(await unread(carol)).toBe(3);
  });

  it('does not count a message deleted before it was read', async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const group = await createGroup(t, alice, [bob]);
    const aliceSocket = await t.connectSocket(alice.cookie);
    const kept = await sendText(aliceSocket, group.id, 'kept');
    const regretted = await sendText(aliceSocket, group.id, 'regretted');
    expect(kept.seq).toBe(1);
    okData(
      await aliceSocket.emitWithAck('message:delete', { conversationId: group.id, messageId: regretted.id }),
    );

    expect((await list(bob)).find((c) => c.id === group.id)!.unreadCount).toBe(1);
    const bobSocket = await t.connectSocket(bob.cookie);
    const read = okData(
      await bobSocket.emitWithAck('conversation:read', { conversationId: group.id, seq: 1 }),
    );
    expect(read.unreadCount).toBe(0);
  });
  it('counts unread up to the last seq it lists: a message stored while the list is read is counted once, by its own event', async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const group = await createGroup(t, alice, [bob], 'Snapshot');
    const aliceSocket = await t.connectSocket(alice.cookie);
    await sendText(aliceSocket, group.id, 'one');
    await sendText(aliceSocket, group.id, 'two');

    // Bob's list has read the conversation's row (lastSeq 2) when Alice's third message is stored.
    const hold = holdAtFailpoint('conversation-view:rows-read');
    const listed = list(bob);
    await hold.reached;
    const third = await sendText(aliceSocket, group.id, 'three');
    hold.release();
    const copy = (await listed).find((conversation) => conversation.id === group.id)!;

    expect(third.seq).toBe(3);
    expect(copy.lastSeq).toBe(2);
    // The client adds message:new of seq 3 to this count: it must not hold seq 3 already.
    expect(copy.unreadCount).toBe(2);
    expect((await list(bob)).find((conversation) => conversation.id === group.id)).toMatchObject({
      lastSeq: 3,
      unreadCount: 3,
    });
  });
});
