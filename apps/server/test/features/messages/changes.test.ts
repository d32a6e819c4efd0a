import { randomUUID } from 'node:crypto';
import {
  ErrorCode,
  MESSAGE_TEXT_MAX,
  REACTIONS_PER_USER_MAX,
  REPLY_EXCERPT_MAX,
  type HistoryResponse,
  type Message,
} from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ackCode,
  collectEvents,
  createGroup,
  nextEvent,
  messageBarrier,
  okData,
  queryDatabase,
  sendText,
  startTestServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

describe('replies, edits, deletes and reactions', () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let mallory: TestUser;
  let conversationId: number;
  let otherConversationId: number;
  let aliceSocket: ClientSocket;
  let bobSocket: ClientSocket;
  let mallorySocket: ClientSocket;

  beforeAll(async () => {
    // Far more events than a person sends: this file is not about flood limits.
    t = await startTestServer({ env: { SOCKET_RATE_LIMIT: '100000', AUTH_RATE_LIMIT_PER_IP: '10000' } });
    [alice, bob, mallory] = [await t.signUp(), await t.signUp(), await t.signUp()];
    conversationId = (await createGroup(t, alice, [bob], 'Changes')).id;
    otherConversationId = (await createGroup(t, alice, [], 'Elsewhere')).id;
    [aliceSocket, bobSocket, mallorySocket] = await Promise.all([
      t.connectSocket(alice.cookie),
      t.connectSocket(bob.cookie),
      t.connectSocket(mallory.cookie),
    ]);
  });
  afterAll(async () => t.close());

  const history = async (user: TestUser = alice) =>
    (
      await t.http<HistoryResponse>('GET', `/api/conversations/${conversationId}/messages?limit=100`, {
        cookie: user.cookie,
      })
    ).body.messages;
  const stored = async (messageId: number) => (await history()).find((message) => message.id === messageId)!;

  const edit = (socket: ClientSocket, messageId: number, text: unknown, conversation = conversationId) =>
    socket.emitWithAck('message:edit', { conversationId: conversation, messageId, text } as never);
  const remove = (socket: ClientSocket, messageId: number, conversation = conversationId) =>
    socket.emitWithAck('message:delete', { conversationId: conversation, messageId });
  const react = (
    socket: ClientSocket,
    messageId: number,
    emoji: string,
    on = true,
    conversation = conversationId,
  ) => socket.emitWithAck('message:react', { conversationId: conversation, messageId, emoji, on });

  describe('replies', () => {
    it('carries a preview of the quoted message, its excerpt cut to REPLY_EXCERPT_MAX characters', async () => {
      const long = `${'é'.repeat(REPLY_EXCERPT_MAX - 1)}👍 and then some more`;
      const quoted = await sendText(bobSocket, conversationId, long);
      const toBob = nextEvent(bobSocket, 'message:new');
      const reply = await sendText(aliceSocket, conversationId, 'I agree', { replyToId: quoted.id });
      expect(reply.replyTo).toEqual({
        id: quoted.id,
        seq: quoted.seq,
        sender: { id: bob.id, username: bob.username, displayName: expect.any(String), kind: 'person' },
        excerpt: `${'é'.repeat(REPLY_EXCERPT_MAX - 1)}👍`,
        deleted: false,
        attachmentKind: null,
      });
      expect(await toBob).toEqual(reply);
      expect((await stored(reply.id)).replyTo).toEqual(reply.replyTo);
    });

    it('quotes a short message whole', async () => {
      const quoted = await sendText(bobSocket, conversationId, 'short');
      const reply = await sendText(aliceSocket, conversationId, 're', { replyToId: quoted.id });
      expect(reply.replyTo).toMatchObject({ id: quoted.id, excerpt: 'short', deleted: false });
    });

    it('refuses to quote a message of another conversation or an unknown one, and stores nothing', async () => {
      const elsewhere = await sendText(aliceSocket, otherConversationId, 'not here');
      const before = (await history()).length;
      for (const replyToId of [elsewhere.id, 987_654]) {
        const ack = await aliceSocket.emitWithAck('message:send', {
          conversationId,
          clientMsgId: randomUUID(),
          text: 'quoting',
          replyToId,
        });
        expect(ackCode(ack)).toBe(ErrorCode.MessageNotFound);
      }
      expect(await history()).toHaveLength(before);
    });

    it('never quotes the text of a message deleted just before the reply was stored', async () => {
      for (let round = 0; round < 5; round += 1) {
        const quoted = await sendText(bobSocket, conversationId, `about to go ${round}`);
        const [deleted, reply] = await Promise.all([
          remove(bobSocket, quoted.id),
          aliceSocket.emitWithAck('message:send', {
            conversationId,
            clientMsgId: randomUUID(),
            text: 'quoting',
            replyToId: quoted.id,
          }),
        ]);
        const tombstone = okData(deleted);
        const stored = okData(reply);
        if (stored.changeSeq > tombstone.changeSeq) {
          expect(stored.replyTo).toMatchObject({ id: quoted.id, excerpt: '', deleted: true });
        } else {
          expect(stored.replyTo).toMatchObject({ id: quoted.id, excerpt: quoted.text, deleted: false });
        }
      }
    });

    it('shows the quoted message as deleted with an empty excerpt once it is deleted', async () => {
      const quoted = await sendText(bobSocket, conversationId, 'regrettable');
      const reply = await sendText(aliceSocket, conversationId, 'quoting it', { replyToId: quoted.id });
      okData(await remove(bobSocket, quoted.id));
      expect((await stored(reply.id)).replyTo).toMatchObject({ id: quoted.id, excerpt: '', deleted: true });
    });
  });

  describe('edits', () => {
    it('lets the sender change the text: editedAt set, a higher changeSeq, others told live', async () => {
      const original = await sendText(aliceSocket, conversationId, 'teh typo');
      const toBob = nextEvent(bobSocket, 'message:updated');
      const edited = okData(await edit(aliceSocket, original.id, '  the typo  '));
      expect(edited).toMatchObject({ id: original.id, seq: original.seq, text: 'the typo', deletedAt: null });
      expect(edited.editedAt).not.toBeNull();
      expect(edited.changeSeq).toBeGreaterThan(original.changeSeq);
      expect(await toBob).toEqual(edited);
      expect(await stored(original.id)).toEqual(edited);
    });

    it("refuses to edit someone else's message with message/not_author", async () => {
      const original = await sendText(bobSocket, conversationId, "Bob's words");
      expect(ackCode(await edit(aliceSocket, original.id, 'put in his mouth'))).toBe(ErrorCode.NotAuthor);
      expect((await stored(original.id)).text).toBe("Bob's words");
    });

    it('refuses non-members and unknown conversations alike with conversation/not_found', async () => {
      const original = await sendText(aliceSocket, conversationId, 'members only');
      expect(ackCode(await edit(mallorySocket, original.id, 'hijack'))).toBe(ErrorCode.ConversationNotFound);
      expect(ackCode(await edit(mallorySocket, original.id, 'hijack', 987_654))).toBe(
        ErrorCode.ConversationNotFound,
      );
      expect(ackCode(await edit(aliceSocket, original.id, 'wrong room', otherConversationId))).toBe(
        ErrorCode.MessageNotFound,
      );
      expect(ackCode(await edit(aliceSocket, 987_654, 'nothing'))).toBe(ErrorCode.MessageNotFound);
      expect((await stored(original.id)).text).toBe('members only');
    });

    it('refuses to edit a deleted message with message/deleted', async () => {
      const original = await sendText(aliceSocket, conversationId, 'soon gone');
      okData(await remove(aliceSocket, original.id));
      expect(ackCode(await edit(aliceSocket, original.id, 'back again'))).toBe(ErrorCode.MessageDeleted);
      expect((await stored(original.id)).text).toBe('');
    });

    it.each([
      ['empty text', ''],
      ['whitespace-only text', '   '],
      ['zero-width-space-only text', '\u200b'],
      ['braille-blank and Hangul-filler text', '\u2800\u3164'],
      ['word joiner, ZWNJ, ZWJ and soft hyphen', '\u2060\u200c\u200d\u00ad'],
      ['text over the limit', 'x'.repeat(MESSAGE_TEXT_MAX + 1)],
      ['a number', 7],
    ])('refuses %s with request/invalid on text', async (_case, text) => {
      const original = await sendText(aliceSocket, conversationId, 'keep me');
      const ack = await edit(aliceSocket, original.id, text);
      expect(ackCode(ack)).toBe(ErrorCode.Invalid);
      expect(ack.ok ? [] : ack.error.issues?.map((issue) => issue.path)).toContain('text');
      expect(await stored(original.id)).toEqual(original);
    });

    it('never brings back the text of a message deleted while an edit was in flight', async () => {
      for (let round = 0; round < 5; round += 1) {
        const original = await sendText(aliceSocket, conversationId, `secret ${round}`);
        const results = await Promise.all([
          remove(aliceSocket, original.id),
          ...Array.from({ length: 4 }, (_, i) => edit(aliceSocket, original.id, `edited ${i}`)),
        ]);
        expect(results[0]!.ok).toBe(true);
        for (const result of results.slice(1))
          expect(['ok', ErrorCode.MessageDeleted]).toContain(ackCode(result));
        const [row] = await queryDatabase<{ text: string; deletedAt: Date | null }>(
          t,
          'SELECT text, deletedAt FROM messages WHERE id = ?',
          [original.id],
        );
        expect(row!.deletedAt).not.toBeNull();
        expect(row!.text).toBe('');
      }
    });
  });

  describe('deletes', () => {
    it('leaves a tombstone (no text, deletedAt set, reactions cleared), sent live to the others', async () => {
      const original = await sendText(aliceSocket, conversationId, 'my card number is 4111 1111 1111 1111');
      okData(await react(bobSocket, original.id, '😮'));
      const toBob = nextEvent(bobSocket, 'message:updated');
      const tombstone = okData(await remove(aliceSocket, original.id));
      expect(tombstone).toMatchObject({ id: original.id, seq: original.seq, text: '', reactions: [] });
      expect(tombstone.deletedAt).not.toBeNull();
      expect(await toBob).toEqual(tombstone);
      expect(await stored(original.id)).toEqual(tombstone);
    });

    it('erases the text from the database itself', async () => {
      const secret = `password hunter2 ${randomUUID()}`;
      const original = await sendText(aliceSocket, conversationId, secret);
      okData(await react(bobSocket, original.id, '🙈'));
      okData(await remove(aliceSocket, original.id));
      const [row] = await queryDatabase<{ text: string; deletedAt: Date | null }>(
        t,
        'SELECT text, deletedAt FROM messages WHERE id = ?',
        [original.id],
      );
      expect(row).toMatchObject({ text: '' });
      expect(row!.deletedAt).toBeInstanceOf(Date);
      const found = await queryDatabase(t, 'SELECT id FROM messages WHERE text LIKE ?', [`%${secret}%`]);
      expect(found).toEqual([]);
      const reactions = await queryDatabase(t, 'SELECT emoji FROM reactions WHERE messageId = ?', [
        original.id,
      ]);
      expect(reactions).toEqual([]);
    });

    it('is harmless to repeat: the second delete answers with the tombstone and tells nobody again', async () => {
      const original = await sendText(aliceSocket, conversationId, 'twice');
      const first = okData(await remove(aliceSocket, original.id));
      const heard = collectEvents(bobSocket, 'message:updated');
      const second = okData(await remove(aliceSocket, original.id));
      expect(second).toEqual(first);
      await messageBarrier(aliceSocket, bobSocket, conversationId);
      expect(heard).toEqual([]);
    });

    it("refuses a member deleting someone else's message with message/not_author, and a non-member", async () => {
      // Alice owns the group, so she may delete anyone's message (GROUP_ROLE_TABLE); Bob may not.
      const original = await sendText(aliceSocket, conversationId, 'mine');
      expect(ackCode(await remove(bobSocket, original.id))).toBe(ErrorCode.NotAuthor);
      expect(ackCode(await remove(mallorySocket, original.id))).toBe(ErrorCode.ConversationNotFound);
      expect(await stored(original.id)).toEqual(original);
    });
  });

  describe('reactions', () => {
    let target: Message;
    beforeAll(async () => {
      target = await sendText(bobSocket, conversationId, 'react to me');
    });

    it('sets a reaction once however often it is set, and clears it once however often it is cleared', async () => {
      const message = await sendText(bobSocket, conversationId, 'idempotent');
      okData(await react(aliceSocket, message.id, '👍'));
      const again = okData(await react(aliceSocket, message.id, '👍'));
      expect(again.reactions).toEqual([{ emoji: '👍', userIds: [alice.id] }]);
      okData(await react(aliceSocket, message.id, '👍', false));
      const clearedAgain = okData(await react(aliceSocket, message.id, '👍', false));
      expect(clearedAgain.reactions).toEqual([]);
      expect((await stored(message.id)).reactions).toEqual([]);
    });

    it('lists who reacted with each emoji in the order they reacted, and tells the others live', async () => {
      const message = await sendText(aliceSocket, conversationId, 'vote');
      okData(await react(bobSocket, message.id, '👍'));
      okData(await react(aliceSocket, message.id, '👍'));
      const toAlice = nextEvent(aliceSocket, 'message:updated');
      const latest = okData(await react(bobSocket, message.id, '🎉'));
      expect(latest.reactions).toEqual([
        { emoji: '👍', userIds: [bob.id, alice.id] },
        { emoji: '🎉', userIds: [bob.id] },
      ]);
      expect(latest.changeSeq).toBeGreaterThan(message.changeSeq);
      expect(await toAlice).toEqual(latest);
      // Setting again keeps the original position.
      expect(okData(await react(bobSocket, message.id, '👍')).reactions[0]).toEqual({
        emoji: '👍',
        userIds: [bob.id, alice.id],
      });
    });

    it('keeps two different emoji of one user apart (👍 and 😂 are distinct keys)', async () => {
      const message = await sendText(bobSocket, conversationId, 'funny and good');
      okData(await react(aliceSocket, message.id, '👍'));
      const both = okData(await react(aliceSocket, message.id, '😂'));
      expect(both.reactions).toEqual([
        { emoji: '👍', userIds: [alice.id] },
        { emoji: '😂', userIds: [alice.id] },
      ]);
      const onlyLaugh = okData(await react(aliceSocket, message.id, '👍', false));
      expect(onlyLaugh.reactions).toEqual([{ emoji: '😂', userIds: [alice.id] }]);
    });

    it.each(['👍🏽', '👩‍💻', '🇫🇷', '❤️', '👨‍👩‍👧‍👦'])(
      'accepts the multi-code-point emoji %s and keeps it intact',
      async (emoji) => {
        const message = okData(await react(aliceSocket, target.id, emoji));
        expect(message.reactions).toContainEqual({ emoji, userIds: [alice.id] });
        expect((await stored(target.id)).reactions).toContainEqual({ emoji, userIds: [alice.id] });
        okData(await react(aliceSocket, target.id, emoji, false));
      },
    );

    it('keeps a skin-tone variant apart from the plain emoji', async () => {
      const message = await sendText(bobSocket, conversationId, 'tones');
      okData(await react(aliceSocket, message.id, '👍'));
      const both = okData(await react(aliceSocket, message.id, '👍🏽'));
      expect(both.reactions.map((reaction) => reaction.emoji)).toEqual(['👍', '👍🏽']);
    });

    it.each(['lol', '1', ' ', '', 'a👍', '👍 ', '<b>', 'x'.repeat(40), '👍'.repeat(33)])(
      'refuses %j as a reaction with request/invalid',
      async (emoji) => {
        expect(ackCode(await react(aliceSocket, target.id, emoji))).toBe(ErrorCode.Invalid);
        expect((await stored(target.id)).reactions.map((reaction) => reaction.emoji)).not.toContain(emoji);
      },
    );

    it('gives the newest change of a message every reaction committed before it, even when they race', async () => {
      const emoji = ['😀', '😁', '😂', '🤣', '😃'];
      for (let round = 0; round < 3; round += 1) {
        const message = await sendText(bobSocket, conversationId, `race ${round}`);
        const acks = await Promise.all(
          [aliceSocket, bobSocket].flatMap((socket) => emoji.map((e) => react(socket, message.id, e))),
        );
        const newest = acks.map(okData).sort((a, b) => b.changeSeq - a.changeSeq)[0]!;
        expect(newest.reactions).toEqual(
          expect.arrayContaining(
            emoji.map((e) => ({ emoji: e, userIds: expect.arrayContaining([alice.id, bob.id]) })),
          ),
        );
        expect(newest.reactions.flatMap((reaction) => reaction.userIds)).toHaveLength(10);
        expect(await stored(message.id)).toEqual(newest);
      }
    });

    it('refuses non-members and messages of other conversations', async () => {
      expect(ackCode(await react(mallorySocket, target.id, '👎'))).toBe(ErrorCode.ConversationNotFound);
      expect(ackCode(await react(aliceSocket, target.id, '👎', true, otherConversationId))).toBe(
        ErrorCode.MessageNotFound,
      );
      expect((await stored(target.id)).reactions.map((reaction) => reaction.emoji)).not.toContain('👎');
    });

    it('refuses reactions on a deleted message with message/deleted', async () => {
      const message = await sendText(bobSocket, conversationId, 'going');
      okData(await remove(bobSocket, message.id));
      expect(ackCode(await react(aliceSocket, message.id, '👍'))).toBe(ErrorCode.MessageDeleted);
      expect((await stored(message.id)).reactions).toEqual([]);
    });

    it('never leaves reactions on a message deleted while they were in flight', async () => {
      for (let round = 0; round < 5; round += 1) {
        const message = await sendText(bobSocket, conversationId, `short-lived ${round}`);
        const results = await Promise.all([
          remove(bobSocket, message.id),
          react(aliceSocket, message.id, '👍'),
          react(aliceSocket, message.id, '🔥'),
          react(aliceSocket, message.id, '👀'),
        ]);
        expect(results[0]!.ok).toBe(true);
        const rows = await queryDatabase(t, 'SELECT emoji FROM reactions WHERE messageId = ?', [message.id]);
        expect(rows).toEqual([]);
      }
    });

    const manyEmoji = [
      '😀',
      '😁',
      '😂',
      '🤣',
      '😃',
      '😄',
      '😅',
      '😆',
      '😉',
      '😊',
      '😋',
      '😎',
      '😍',
      '😘',
      '🥰',
      '😗',
      '😙',
      '😚',
      '🙂',
      '🤗',
      '🤩',
      '🤔',
      '🤨',
      '😐',
      '😑',
    ];

    it(`refuses more than REACTIONS_PER_USER_MAX (${REACTIONS_PER_USER_MAX}) distinct emoji from one user on one message`, async () => {
      const message = await sendText(bobSocket, conversationId, 'so many feelings');
      for (const emoji of manyEmoji.slice(0, REACTIONS_PER_USER_MAX))
        okData(await react(aliceSocket, message.id, emoji));
      expect(ackCode(await react(aliceSocket, message.id, manyEmoji[REACTIONS_PER_USER_MAX]!))).toBe(
        ErrorCode.Invalid,
      );
      // Setting one already there again is a retry, not a new reaction.
      const retried = okData(await react(aliceSocket, message.id, manyEmoji[0]!));
      expect(retried.reactions).toHaveLength(REACTIONS_PER_USER_MAX);
      // Others are not limited by Alice's reactions.
      okData(await react(bobSocket, message.id, manyEmoji[REACTIONS_PER_USER_MAX]!));
      // Clearing one makes room again.
      okData(await react(aliceSocket, message.id, manyEmoji[1]!, false));
      okData(await react(aliceSocket, message.id, manyEmoji[REACTIONS_PER_USER_MAX + 1]!));
    });

    it('holds the per-user limit even when many reactions arrive at once', async () => {
      const message = await sendText(bobSocket, conversationId, 'burst');
      const results = await Promise.all(manyEmoji.map((emoji) => react(aliceSocket, message.id, emoji)));
      const accepted = results.filter((result) => result.ok).length;
      expect(accepted).toBe(REACTIONS_PER_USER_MAX);
      const rows = await queryDatabase(t, 'SELECT emoji FROM reactions WHERE messageId = ? AND userId = ?', [
        message.id,
        alice.id,
      ]);
      expect(rows).toHaveLength(REACTIONS_PER_USER_MAX);
    });
  });
});
