import { ErrorCode, type Ack, type Message, type SendMessagePayload } from '@parley/shared';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { emitSendMessage } from '@/socket';
import { useConversationsStore } from '@/stores/conversations';
import { useMessagesStore } from '@/stores/messages';
import { useOutboxStore } from '@/stores/outbox';
import { useSessionStore } from '@/stores/session';
import { alice, makeConversation, makeMessage, summaryOf } from '../fixtures';

vi.mock('@/socket', () => ({ emitSendMessage: vi.fn() }));
const emit = vi.mocked(emitSendMessage);

function storedFrom(payload: SendMessagePayload, seq: number): Message {
  return makeMessage({
    seq,
    conversationId: payload.conversationId,
    clientMsgId: payload.clientMsgId,
    text: payload.text,
    sender: summaryOf(alice),
  });
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('outbox store', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    emit.mockReset();
    useSessionStore().user = alice;
    useConversationsStore().upsert(makeConversation({ id: 1 }));
  });

  it('shows the message at once as sending, then as the stored message when acknowledged', async () => {
    const ack = deferred<Ack<Message>>();
    emit.mockReturnValueOnce(ack.promise);
    const messages = useMessagesStore();
    const outbox = useOutboxStore();

    const sending = outbox.send(1, 'hello');

    expect(messages.timeline(1).map((message) => [message.text, message.state])).toEqual([
      ['hello', 'sending'],
    ]);
    const payload = emit.mock.calls[0]![0];
    expect(payload).toMatchObject({ conversationId: 1, text: 'hello' });
    expect(payload.clientMsgId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );

    ack.resolve({ ok: true, data: storedFrom(payload, 12) });
    await sending;

    expect(messages.timeline(1).map((message) => [message.seq, message.state])).toEqual([[12, 'sent']]);
    expect(useConversationsStore().get(1)).toMatchObject({ lastSeq: 12, unreadCount: 0 });
  });

  it('marks the message failed when the server refuses it', async () => {
    emit.mockResolvedValueOnce({ ok: false, error: { code: ErrorCode.NotMember, message: 'not a member' } });
    const messages = useMessagesStore();

    expect(await useOutboxStore().send(1, 'hello')).toBeNull();

    expect(messages.timeline(1).map((message) => message.state)).toEqual(['failed']);
  });

  it('marks the message failed when no acknowledgement comes in time, and a retry reuses its clientMsgId', async () => {
    emit.mockResolvedValueOnce({
      ok: false,
      error: { code: ErrorCode.Unavailable, message: 'no acknowledgement in time' },
    });
    const messages = useMessagesStore();
    const outbox = useOutboxStore();
    await outbox.send(1, 'hello');
    const failed = messages.timeline(1)[0]!;
    expect(failed.state).toBe('failed');

    emit.mockImplementationOnce(async (payload) => ({ ok: true, data: storedFrom(payload, 3) }));
    await outbox.retry(1, failed.clientMsgId);

    expect(emit).toHaveBeenCalledTimes(2);
    expect(emit.mock.calls[1]![0]).toEqual(emit.mock.calls[0]![0]);
    expect(messages.timeline(1).map((message) => [message.seq, message.state, message.clientMsgId])).toEqual([
      [3, 'sent', failed.clientMsgId],
    ]);
  });

  it('keeps a single copy when the echo from another tab arrives before the acknowledgement', async () => {
    const ack = deferred<Ack<Message>>();
    emit.mockReturnValueOnce(ack.promise);
    const messages = useMessagesStore();
    messages.thread(1).status = 'ready';

    const sending = useOutboxStore().send(1, 'hello');
    const stored = storedFrom(emit.mock.calls[0]![0], 1);
    messages.receive(stored);
    ack.resolve({ ok: true, data: stored });
    await sending;

    expect(messages.timeline(1).map((message) => [message.seq, message.state])).toEqual([[1, 'sent']]);
  });

  it('does not retry a message that is not failed', async () => {
    emit.mockReturnValueOnce(new Promise(() => undefined));
    const messages = useMessagesStore();
    const outbox = useOutboxStore();
    void outbox.send(1, 'hello');
    await outbox.retry(1, messages.timeline(1)[0]!.clientMsgId);
    expect(emit).toHaveBeenCalledTimes(1);
  });
});
