import {
  CONVERSATION_PAGE_DEFAULT,
  CONVERSATION_PAGE_MAX,
  ErrorCode,
  type Conversation,
  type ConversationListResponse,
} from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdAtFailpoint } from '../../../src/lib/failpoints.js';
import {
  createGroup,
  okData,
  queryDatabase,
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

  describe('pages', () => {
    const page = async (user: TestUser, query: string) =>
      t.http<ConversationListResponse>('GET', `/api/conversations${query}`, { cookie: user.cookie });

    /** Every page from the first, `limit` at a time: the ids in the order listed, and the pages. */
    async function pageThrough(user: TestUser, limit: number, between?: (pages: number) => Promise<void>) {
      const ids: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const response = await page(user, `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.status).toBe(200);
        expect(response.body.conversations.length).toBeLessThanOrEqual(limit);
        ids.push(...response.body.conversations.map((conversation) => conversation.id));
        cursor = response.body.nextCursor;
        pages += 1;
        await between?.(pages);
      } while (cursor !== null);
      return { ids, pages };
    }

    /**
     * `count` groups of `user`'s, made in SQL with the given activity times (ms since the epoch):
     * their ids in the order the list must give them (latest activity first, then highest id).
     */
    async function groupsActiveAt(user: TestUser, times: number[]): Promise<number[]> {
      const made: Array<{ id: number; at: number }> = [];
      for (const at of times) {
        await queryDatabase(
          t,
          "INSERT INTO conversations (kind, name, createdById, lastActivityAt) VALUES ('group', 'Paged', ?, ?)",
          [user.id, new Date(at)],
        );
        const [row] = await queryDatabase<{ id: number | bigint }>(
          t,
          'SELECT MAX(id) AS id FROM conversations',
        );
        const id = Number(row!.id);
        await queryDatabase(
          t,
          "INSERT INTO memberships (conversationId, userId, role) VALUES (?, ?, 'owner')",
          [id, user.id],
        );
        made.push({ id, at });
      }
      return made.sort((a, b) => b.at - a.at || b.id - a.id).map((group) => group.id);
    }

    it('lists every conversation once, in order, whatever the page size; ties of activity go by id', async () => {
      const alice = await t.signUp();
      const base = Date.UTC(2026, 0, 1);
      // Three pairs with the same activity time to the millisecond, one of them split by a page.
      const expected = await groupsActiveAt(alice, [
        base,
        base + 5,
        base,
        base + 5,
        base + 9,
        base + 1,
        base + 1,
      ]);
      for (const limit of [1, 2, 3, 7, 8]) {
        const { ids, pages } = await pageThrough(alice, limit);
        expect(ids, `limit ${limit}`).toEqual(expected);
        expect(pages, `limit ${limit}`).toBe(Math.max(1, Math.ceil(expected.length / limit)));
      }
    });

    it(`gives ${CONVERSATION_PAGE_DEFAULT} when no limit is asked for, and says where the rest begins`, async () => {
      const alice = await t.signUp();
      const expected = await groupsActiveAt(
        alice,
        Array.from({ length: CONVERSATION_PAGE_DEFAULT + 1 }, (_, i) => Date.UTC(2026, 1, 1) + i),
      );
      const first = await page(alice, '');
      expect(first.body.conversations.map((conversation) => conversation.id)).toEqual(
        expected.slice(0, CONVERSATION_PAGE_DEFAULT),
      );
      expect(first.body.nextCursor).not.toBeNull();
      const rest = await page(alice, `?cursor=${first.body.nextCursor}`);
      expect(rest.body).toMatchObject({ nextCursor: null });
      expect(rest.body.conversations.map((conversation) => conversation.id)).toEqual(expected.slice(-1));
    });

    it('a conversation that becomes active while a client pages moves ahead of the cursor: listed once', async () => {
      const [alice, bob] = [await t.signUp(), await t.signUp()];
      const older = await createGroup(t, alice, [bob], 'Older');
      const groups = [older.id];
      for (let i = 0; i < 4; i += 1) groups.unshift((await createGroup(t, alice, [bob], `Newer ${i}`)).id);
      const bobSocket = await t.connectSocket(bob.cookie);

      const { ids } = await pageThrough(alice, 2, async (pages) => {
        // After the first page, the oldest conversation (on the last page) gets a message.
        if (pages === 1) await sendText(bobSocket, older.id, 'back to the top');
      });
      expect(ids).toEqual(groups.slice(0, 4));
      expect((await page(alice, '?limit=1')).body.conversations[0]!.id).toBe(older.id);
    });

    it('refuses a cursor it did not give and a limit out of bounds with request/invalid', async () => {
      const alice = await t.signUp();
      for (const [query, field] of [
        ['?cursor=abc', 'cursor'],
        ['?cursor=1.0', 'cursor'],
        ['?cursor=1.2147483648', 'cursor'],
        ['?cursor=-1.5', 'cursor'],
        ['?cursor=1.5.6', 'cursor'],
        ['?limit=0', 'limit'],
        [`?limit=${CONVERSATION_PAGE_MAX + 1}`, 'limit'],
        ['?limit=two', 'limit'],
        ['?before=5', ''],
      ] as const) {
        const response = await t.http<{ error: { code: string; issues?: Array<{ path: string }> } }>(
          'GET',
          `/api/conversations${query}`,
          { cookie: alice.cookie },
        );
        expect(response.status, query).toBe(400);
        expect(response.body.error.code, query).toBe(ErrorCode.Invalid);
        if (field)
          expect(
            response.body.error.issues?.map((issue) => issue.path),
            query,
          ).toContain(`querystring.${field}`);
      }
    });
  });
});
