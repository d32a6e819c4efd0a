// Group commit: what one batch does with each of its messages, against the real database.
import { randomUUID } from 'node:crypto';
import { ErrorCode, type Message } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PendingMessage } from '../../../src/features/messages/message-batch-store.js';
import { createMessagesRepository } from '../../../src/features/messages/messages.repository.js';
import { createSendBatcher, type SendBatcher } from '../../../src/features/messages/send-batcher.js';
import {
  createGroup,
  okData,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';
import { readStoredMessages } from '../../helpers/stored-messages.js';

/** Each submit's refusal code, or 'ok' for a stored (or retried) message. */
const codesOf = (outcomes: Array<PromiseSettledResult<Message>>) =>
  outcomes.map((outcome) =>
    outcome.status === 'rejected' ? (outcome.reason as { code: string }).code : 'ok',
  );

describe('a send batch', () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let conversationId: number;
  let otherConversationId: number;
  let batcher: SendBatcher;

  beforeAll(async () => {
    t = await startTestServer();
    [alice, bob, carol] = [await t.signUp(), await t.signUp(), await t.signUp()];
    conversationId = (await createGroup(t, alice, [bob])).id;
    otherConversationId = (await createGroup(t, carol, [alice])).id;
    const repository = createMessagesRepository(t.server.prisma);
    // A long wait and a large cap: everything submitted in one tick lands in one batch.
    batcher = createSendBatcher(
      { pool: t.server.storePool, readMessages: repository.findMessagesByIds },
      { waitMs: 50, maxBatch: 100, connections: 2, admissionTimeoutMs: 3_000 },
    );
  });

  afterAll(async () => {
    await batcher?.drain();
    await t?.close();
  });

  const pending = (
    overrides: Partial<PendingMessage> & Pick<PendingMessage, 'senderId'>,
  ): PendingMessage => ({
    conversationId,
    clientMsgId: randomUUID(),
    text: 'hello',
    replyToId: null,
    attachmentId: null,
    ...overrides,
  });

  const seqsOf = async (id: number) =>
    (await readStoredMessages(t.config.databaseUrl))
      .filter((row) => row.conversationId === id)
      .map((row) => row.seq);

  it('stores a duplicate clientMsgId in the same batch once, answers both with it, and spends one seq', async () => {
    const duplicate = pending({ senderId: alice.id });
    const results = await Promise.all([
      batcher.submit(duplicate),
      batcher.submit({ ...duplicate }),
      batcher.submit(pending({ senderId: bob.id })),
    ]);

    expect(results[1]).toEqual(results[0]);
    expect(results[2]!.seq).toBe(results[0]!.seq + 1);
    const seqs = await seqsOf(conversationId);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('answers a clientMsgId stored by an earlier batch with the stored message, without a new seq', async () => {
    const first = await batcher.submit(pending({ senderId: alice.id, text: 'first copy' }));
    const [again, next] = await Promise.all([
      batcher.submit(pending({ senderId: alice.id, clientMsgId: first.clientMsgId, text: 'second copy' })),
      batcher.submit(pending({ senderId: bob.id })),
    ]);

    expect(again).toEqual(first);
    expect(next.seq).toBe(first.seq + 1);
  });

  it('refuses only its own bad messages: a non-member, a reply to another conversation, a reused clientMsgId', async () => {
    const elsewhere = await batcher.submit(
      pending({ senderId: alice.id, conversationId: otherConversationId }),
    );
    const outcomes = await Promise.allSettled([
      batcher.submit(pending({ senderId: carol.id })),
      batcher.submit(pending({ senderId: bob.id, replyToId: elsewhere.id })),
      batcher.submit(pending({ senderId: alice.id, clientMsgId: elsewhere.clientMsgId })),
      batcher.submit(pending({ senderId: alice.id, text: 'fine' })),
    ]);

    expect(codesOf(outcomes)).toEqual([
      ErrorCode.ConversationNotFound,
      ErrorCode.MessageNotFound,
      ErrorCode.Invalid,
      'ok',
    ]);
    const seqs = await seqsOf(conversationId);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('stores in one round trip what every rule lets through and decides the rest apart, each with its own answer', async () => {
    // One message per sender, no attachment: the batch goes through the one-round-trip store first.
    const [dave, erin] = [await t.signUp(), await t.signUp()];
    const groupId = (await createGroup(t, alice, [bob, dave, erin])).id;
    const elsewhere = await batcher.submit(
      pending({ senderId: carol.id, conversationId: otherConversationId }),
    );
    const earlier = await batcher.submit(pending({ senderId: erin.id, conversationId: groupId }));
    await t.server.prisma.membership.update({
      where: { conversationId_userId: { conversationId: groupId, userId: dave.id } },
      data: { mutedUntil: new Date(Date.now() + 60_000) },
    });

    const outcomes = await Promise.allSettled([
      batcher.submit(pending({ senderId: carol.id, conversationId: groupId })),
      batcher.submit(pending({ senderId: bob.id, conversationId: groupId, replyToId: elsewhere.id })),
      batcher.submit(pending({ senderId: dave.id, conversationId: groupId })),
      batcher.submit(
        pending({ senderId: erin.id, conversationId: groupId, clientMsgId: earlier.clientMsgId }),
      ),
      batcher.submit(
        pending({ senderId: alice.id, conversationId: groupId, text: 'fine', replyToId: earlier.id }),
      ),
    ]);

    expect(codesOf(outcomes)).toEqual([
      ErrorCode.ConversationNotFound,
      ErrorCode.MessageNotFound,
      ErrorCode.Muted,
      'ok',
      'ok',
    ]);
    const [, , , again, fine] = outcomes.map((outcome) =>
      outcome.status === 'fulfilled' ? outcome.value : null,
    );
    expect(again).toEqual(earlier);
    expect(fine).toMatchObject({ seq: earlier.seq + 1, changeSeq: earlier.changeSeq + 1, text: 'fine' });
    expect(fine!.replyTo).toMatchObject({ id: earlier.id, seq: earlier.seq, sender: { id: erin.id } });
    expect(await seqsOf(groupId)).toEqual([1, 2]);
    // The conversation and the sender's membership moved on with the one message stored.
    const conversation = await t.server.prisma.conversation.findUniqueOrThrow({
      where: { id: groupId },
      select: { lastSeq: true, lastChangeSeq: true },
    });
    expect(conversation).toEqual({ lastSeq: 2, lastChangeSeq: fine!.changeSeq });
    const memberships = await t.server.prisma.membership.findMany({
      where: { conversationId: groupId },
      select: { userId: true, lastReadSeq: true, lastPostedAt: true },
      orderBy: { userId: 'asc' },
    });
    const byUser = new Map(memberships.map((row) => [row.userId, row]));
    expect(byUser.get(alice.id)).toMatchObject({ lastReadSeq: 2, lastPostedAt: new Date(fine!.createdAt) });
    expect(byUser.get(erin.id)).toMatchObject({ lastReadSeq: 1 });
    expect(byUser.get(dave.id)).toMatchObject({ lastReadSeq: 0, lastPostedAt: null });
  });

  it('answers with the message exactly as it was stored, reply preview included', async () => {
    const target = await batcher.submit(pending({ senderId: bob.id, text: 'the original' }));
    const reply = await batcher.submit(
      pending({ senderId: alice.id, text: 'a reply', replyToId: target.id }),
    );

    const response = await t.http<{ messages: Message[] }>(
      'GET',
      `/api/conversations/${conversationId}/messages?limit=2`,
      { cookie: alice.cookie },
    );

    expect(response.body.messages.at(-1)).toEqual(reply);
    expect(reply.replyTo).toMatchObject({ id: target.id, excerpt: 'the original', deleted: false });
  });

  it('moves the sender read and delivered positions to their own new message', async () => {
    const socket = await t.connectSocket(bob.cookie);
    const stored = okData(
      await socket.emitWithAck('message:send', { conversationId, clientMsgId: randomUUID(), text: 'mine' }),
    );
    const [membership] = await t.server.prisma.membership.findMany({
      where: { conversationId, userId: bob.id },
      select: { lastReadSeq: true, lastDeliveredSeq: true },
    });

    expect(membership).toEqual({ lastReadSeq: stored.seq, lastDeliveredSeq: stored.seq });
  });
});
