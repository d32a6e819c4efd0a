import { ErrorCode, type Ack, type Message, type SendMessagePayload } from '@parley/shared';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { emitSendMessage, isSocketConnected } from '@/socket';
import { outboxDb } from '@/storage/outboxDb';
import { useConversationsStore } from '@/stores/conversations';
import { useMessagesStore } from '@/stores/messages';
import { outboxRetry, useOutboxStore } from '@/stores/outbox';
import { useSessionStore } from '@/stores/session';
import { alice, bob, makeConversation, makeMessage, summaryOf } from '../fixtures';

vi.mock('@/socket', () => ({
  emitSendMessage: vi.fn(),
  isSocketConnected: vi.fn(() => true),
  emitDelivered: vi.fn(),
  emitMarkRead: vi.fn(),
}));
const emit = vi.mocked(emitSendMessage);
const connected = vi.mocked(isSocketConnected);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

let nextSeq = 1;
function stored(payload: SendMessagePayload): Ack<Message> {
  const seq = nextSeq++;
  return {
    ok: true,
    data: makeMessage({
      seq,
      id: 5000 + seq,
      conversationId: payload.conversationId,
      clientMsgId: payload.clientMsgId,
      text: payload.text,
      sender: summaryOf(alice),
    }),
  };
}

function refused(code: string): Ack<Message> {
  return { ok: false, error: { code: code as ErrorCode, message: code } };
}

/** A fresh app on the same IndexedDB, as after a reload. */
function reload() {
  setActivePinia(createPinia());
  useSessionStore().user = alice;
  useConversationsStore().upsert(makeConversation({ id: 1 }));
  const messages = useMessagesStore();
  // The conversation is open: its (empty) history is loaded.
  messages.thread(1).status = 'ready';
  return { outbox: useOutboxStore(), messages };
}

function states(conversationId = 1) {
  return useMessagesStore()
    .timeline(conversationId)
    .map((message) => [message.text, message.state]);
}

describe('outbox', () => {
  beforeEach(() => {
    emit.mockReset();
    connected.mockReset();
    connected.mockReturnValue(true);
    outboxRetry.baseMs = 5;
    outboxRetry.maxMs = 20;
    nextSeq = 1;
    reload();
  });
  afterEach(() => {
    outboxRetry.baseMs = 1000;
    outboxRetry.maxMs = 30_000;
  });

  it('writes the message to IndexedDB before the first attempt, and removes it only when acknowledged', async () => {
    const ack = deferred<Ack<Message>>();
    let savedAtFirstAttempt: Promise<unknown[]> = Promise.resolve([]);
    emit.mockImplementationOnce(() => {
      savedAtFirstAttempt = outboxDb.list(alice.id);
      return ack.promise;
    });
    const outbox = useOutboxStore();

    const clientMsgId = await outbox.send(1, 'hello');
    await vi.waitFor(() => expect(emit).toHaveBeenCalledTimes(1));

    expect(clientMsgId).toMatch(UUID);
    expect(await savedAtFirstAttempt).toEqual([
      expect.objectContaining({
        clientMsgId,
        conversationId: 1,
        text: 'hello',
        replyToId: null,
        state: 'pending',
      }),
    ]);
    expect(states()).toEqual([['hello', 'sending']]);

    ack.resolve(stored(emit.mock.calls[0]![0]));
    await outbox.whenSettled(clientMsgId!);

    expect(await outboxDb.list(alice.id)).toEqual([]);
    expect(states()).toEqual([['hello', 'sent']]);
    expect(useConversationsStore().get(1)).toMatchObject({ lastSeq: 1, unreadCount: 0 });
  });

  it('sends a conversation’s messages one at a time, in the order typed', async () => {
    const acks = [deferred<Ack<Message>>(), deferred<Ack<Message>>(), deferred<Ack<Message>>()];
    acks.forEach((ack) => emit.mockImplementationOnce(() => ack.promise));
    const outbox = useOutboxStore();

    const ids = [await outbox.send(1, 'one'), await outbox.send(1, 'two'), await outbox.send(1, 'three')];
    await vi.waitFor(() => expect(emit).toHaveBeenCalledTimes(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(emit).toHaveBeenCalledTimes(1);

    for (const [index, ack] of acks.entries()) {
      await vi.waitFor(() => expect(emit).toHaveBeenCalledTimes(index + 1));
      ack.resolve(stored(emit.mock.calls[index]![0]));
    }
    await Promise.all(ids.map((id) => outbox.whenSettled(id!)));

    expect(emit.mock.calls.map(([payload]) => payload.text)).toEqual(['one', 'two', 'three']);
    expect(
      useMessagesStore()
        .timeline(1)
        .map((message) => [message.text, message.seq]),
    ).toEqual([
      ['one', 1],
      ['two', 2],
      ['three', 3],
    ]);
  });

  it.each([
    ['no acknowledgement in time', ErrorCode.Unavailable],
    ['server/unavailable', ErrorCode.Unavailable],
    ['server/busy', ErrorCode.Busy],
    ['request/rate_limited', ErrorCode.RateLimited],
  ])('keeps the message pending after %s and retries with the same clientMsgId', async (_, code) => {
    emit.mockResolvedValueOnce(refused(code)).mockResolvedValueOnce(refused(code));
    emit.mockImplementation(async (payload) => stored(payload));
    const outbox = useOutboxStore();

    const clientMsgId = await outbox.send(1, 'hello', null);
    await vi.waitFor(() => expect(emit).toHaveBeenCalledTimes(1));
    expect(states()).toEqual([['hello', 'sending']]);

    expect(await outbox.whenSettled(clientMsgId!)).toBe('sent');
    expect(emit).toHaveBeenCalledTimes(3);
    expect(new Set(emit.mock.calls.map(([payload]) => JSON.stringify(payload))).size).toBe(1);
    expect(states()).toEqual([['hello', 'sent']]);
  });

  it('waits at least the retryAfterMs that server/busy asks before retrying', async () => {
    const calledAt: number[] = [];
    emit.mockImplementationOnce(async () => {
      calledAt.push(Date.now());
      return { ok: false, error: { code: ErrorCode.Busy, message: 'busy', retryAfterMs: 150 } };
    });
    emit.mockImplementation(async (payload) => {
      calledAt.push(Date.now());
      return stored(payload);
    });
    const outbox = useOutboxStore();

    const clientMsgId = await outbox.send(1, 'hello');

    expect(await outbox.whenSettled(clientMsgId!)).toBe('sent');
    expect(calledAt).toHaveLength(2);
    expect(calledAt[1]! - calledAt[0]!).toBeGreaterThanOrEqual(150);
  });

  it('marks the message failed on a refusal outside the retryable codes, without retrying', async () => {
    emit.mockResolvedValueOnce(refused(ErrorCode.MessageDeleted));
    const outbox = useOutboxStore();

    const clientMsgId = await outbox.send(1, 'hello');

    expect(await outbox.whenSettled(clientMsgId!)).toBe('failed');
    expect(emit).toHaveBeenCalledTimes(1);
  });

  it('keeps a message whose send met an ended session pending, and sends it once accepted', async () => {
    emit.mockResolvedValueOnce(refused(ErrorCode.Unauthenticated));
    emit.mockImplementation(async (payload) => stored(payload));
    const outbox = useOutboxStore();

    const clientMsgId = await outbox.send(1, 'hello');

    expect(await outbox.whenSettled(clientMsgId!)).toBe('sent');
    expect(emit).toHaveBeenCalledTimes(2);
  });

  it('holds later messages back while an earlier one waits to be retried', async () => {
    emit.mockResolvedValueOnce(refused(ErrorCode.Unavailable));
    emit.mockImplementation(async (payload) => stored(payload));
    const outbox = useOutboxStore();

    const first = await outbox.send(1, 'first');
    const second = await outbox.send(1, 'second');
    await outbox.whenSettled(second!);
    await outbox.whenSettled(first!);

    expect(emit.mock.calls.map(([payload]) => payload.text)).toEqual(['first', 'first', 'second']);
  });

  it.each([
    ErrorCode.Invalid,
    ErrorCode.NotMember,
    ErrorCode.ConversationNotFound,
    ErrorCode.MessageNotFound,
  ])('marks the message failed on %s, without retrying', async (code) => {
    emit.mockResolvedValueOnce(refused(code));
    const outbox = useOutboxStore();

    const clientMsgId = await outbox.send(1, 'hello');

    expect(await outbox.whenSettled(clientMsgId!)).toBe('failed');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(emit).toHaveBeenCalledTimes(1);
    expect(useMessagesStore().timeline(1)[0]).toMatchObject({ state: 'failed', errorCode: code });
    expect(await outboxDb.list(alice.id)).toEqual([
      expect.objectContaining({ clientMsgId, state: 'failed' }),
    ]);
  });

  it('does not let a refused message hold back the next one', async () => {
    emit.mockResolvedValueOnce(refused(ErrorCode.MessageNotFound));
    emit.mockImplementation(async (payload) => stored(payload));
    const outbox = useOutboxStore();

    const refusedId = await outbox.send(1, 'a reply to a message that is gone');
    const nextId = await outbox.send(1, 'next');

    expect(await outbox.whenSettled(nextId!)).toBe('sent');
    expect(states()).toEqual([
      ['next', 'sent'],
      ['a reply to a message that is gone', 'failed'],
    ]);
    expect(refusedId).not.toBe(nextId);
  });

  it('Retry sends a failed message again with the same clientMsgId', async () => {
    emit.mockResolvedValueOnce(refused(ErrorCode.NotMember));
    emit.mockImplementation(async (payload) => stored(payload));
    const outbox = useOutboxStore();
    const clientMsgId = (await outbox.send(1, 'hello'))!;
    await outbox.whenSettled(clientMsgId);

    await outbox.retry(clientMsgId);

    expect(await outbox.whenSettled(clientMsgId)).toBe('sent');
    expect(emit.mock.calls.map(([payload]) => payload.clientMsgId)).toEqual([clientMsgId, clientMsgId]);
    expect(states()).toEqual([['hello', 'sent']]);
    expect(await outboxDb.list(alice.id)).toEqual([]);
  });

  it('Discard removes a failed message from the conversation and from IndexedDB', async () => {
    emit.mockResolvedValueOnce(refused(ErrorCode.NotMember));
    const outbox = useOutboxStore();
    const clientMsgId = (await outbox.send(1, 'hello'))!;
    await outbox.whenSettled(clientMsgId);

    await outbox.discard(clientMsgId);

    expect(states()).toEqual([]);
    expect(await outboxDb.list(alice.id)).toEqual([]);
  });

  it('queues messages written offline and sends them, in order, once connected', async () => {
    connected.mockReturnValue(false);
    emit.mockImplementation(async (payload) => stored(payload));
    const outbox = useOutboxStore();

    const ids = [await outbox.send(1, 'written offline'), await outbox.send(1, 'and another')];
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(emit).not.toHaveBeenCalled();
    expect(states()).toEqual([
      ['written offline', 'sending'],
      ['and another', 'sending'],
    ]);

    connected.mockReturnValue(true);
    outbox.resume();

    await Promise.all(ids.map((id) => outbox.whenSettled(id!)));
    expect(emit.mock.calls.map(([payload]) => payload.text)).toEqual(['written offline', 'and another']);
  });

  it('restores pending and failed messages after a reload, and sends the pending ones with their clientMsgId', async () => {
    connected.mockReturnValue(false);
    emit.mockResolvedValueOnce(refused(ErrorCode.NotMember));
    const before = useOutboxStore();
    const replyTo = { id: 77, seq: 7, sender: summaryOf(bob), excerpt: 'the question', deleted: false };
    connected.mockReturnValue(true);
    const failedId = (await before.send(1, 'refused'))!;
    await before.whenSettled(failedId);
    connected.mockReturnValue(false);
    const pendingId = (await before.send(1, 'still pending', replyTo))!;

    const { outbox } = reload();
    emit.mockReset();
    emit.mockImplementation(async (payload) => stored(payload));
    await outbox.restore(alice.id);

    expect(
      useMessagesStore()
        .timeline(1)
        .map((message) => [message.text, message.state, message.clientMsgId]),
    ).toEqual([
      ['refused', 'failed', failedId],
      ['still pending', 'sending', pendingId],
    ]);
    expect(useMessagesStore().timeline(1)[1]?.replyTo).toEqual(replyTo);

    connected.mockReturnValue(true);
    outbox.resume();
    await outbox.whenSettled(pendingId);
    expect(emit.mock.calls.map(([payload]) => payload)).toEqual([
      { conversationId: 1, clientMsgId: pendingId, text: 'still pending', replyToId: 77 },
    ]);
    expect(await outboxDb.list(alice.id)).toEqual([expect.objectContaining({ clientMsgId: failedId })]);
  });

  it('does not show or send another user’s saved messages', async () => {
    connected.mockReturnValue(false);
    await useOutboxStore().send(1, 'alice’s secret');

    setActivePinia(createPinia());
    useSessionStore().user = { ...alice, ...summaryOf(bob) };
    connected.mockReturnValue(true);
    await useOutboxStore().restore(bob.id);

    expect(useMessagesStore().timeline(1)).toEqual([]);
    expect(emit).not.toHaveBeenCalled();
  });

  it('stops tracking a message that another tab got stored (its echo arrives)', async () => {
    connected.mockReturnValue(false);
    const outbox = useOutboxStore();
    const clientMsgId = (await outbox.send(1, 'hello'))!;
    const echo = stored({ conversationId: 1, clientMsgId, text: 'hello' });
    if (!echo.ok) throw new Error('unreachable');

    useMessagesStore().receive(echo.data);
    await outbox.settle(echo.data);

    expect(outbox.pendingCount()).toBe(0);
    expect(await outboxDb.list(alice.id)).toEqual([]);
    connected.mockReturnValue(true);
    outbox.resume();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(emit).not.toHaveBeenCalled();
  });
});
