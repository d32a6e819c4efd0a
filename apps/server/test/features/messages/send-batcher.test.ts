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

    const codes = outcomes.map((outcome) =>
      outcome.status === 'rejected' ? (outcome.reason as { code: string }).code : 'ok',
    );
    expect(codes).toEqual([
      ErrorCode.ConversationNotFound,
      ErrorCode.MessageNotFound,
      ErrorCode.Invalid,
      'ok',
    ]);
    const seqs = await seqsOf(conversationId);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
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
