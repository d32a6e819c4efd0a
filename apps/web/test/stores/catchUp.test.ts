import { ErrorCode, type Ack, type Message, type SyncPayload, type SyncResponse } from '@parley/shared';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { emitDelivered, emitSync } from '@/socket';
import { HOLE_SYNC_DELAY_MS, SYNC_ROUNDS_MAX, useCatchUpStore } from '@/stores/catchUp';
import { useConversationsStore } from '@/stores/conversations';
import { useMessagesStore } from '@/stores/messages';
import { useSessionStore } from '@/stores/session';
import { alice, makeConversation, makeMessage, stubFetch, type RecordedRequest } from '../fixtures';

vi.mock('@/socket', () => ({
  isSocketConnected: vi.fn(() => true),
  emitSync: vi.fn(),
  emitDelivered: vi.fn(async () => ({ ok: false, error: { code: 'server/unavailable', message: '' } })),
  emitMarkRead: vi.fn(),
}));
const sync = vi.mocked(emitSync);

/**
 * One fake server for both HTTP and the sync event: conversation 1 has `total` messages (id = seq);
 * `changes` lists messages in change order, as the server would send them after a changeSeq.
 */
function server(initial: { total: number; changeSeq: number }) {
  const state = { ...initial, changes: [] as Message[], pageMax: 200 };
  const message = (seq: number, changeSeq = seq) => makeMessage({ seq, id: seq, changeSeq });
  const conversation = () =>
    makeConversation({
      id: 1,
      lastSeq: state.total,
      changeSeq: state.changeSeq,
      lastMessage: state.total > 0 ? message(state.total) : null,
    });
  const requests: RecordedRequest[] = stubFetch(({ url }) => {
    if (url === '/api/conversations') return { status: 200, body: { conversations: [conversation()] } };
    if (url === '/api/conversations/1') return { status: 200, body: { conversation: conversation() } };
    const params = new URL(url, 'http://test').searchParams;
    const limit = Number(params.get('limit') ?? 50);
    const to = params.has('before') ? Number(params.get('before')) - 1 : state.total;
    const from = Math.max(1, to - limit + 1);
    const latest = new Map(state.changes.map((change) => [change.seq, change]));
    const messages = Array.from({ length: Math.max(0, to - from + 1) }, (_, index) => {
      const seq = from + index;
      return latest.get(seq) ?? message(seq);
    });
    return { status: 200, body: { messages, hasMore: from > 1 } };
  });
  sync.mockImplementation(async (payload: SyncPayload): Promise<Ack<SyncResponse>> => ({
    ok: true,
    data: {
      results: payload.conversations.map(({ conversationId, changeSeq }) => {
        const after = state.changes.filter((change) => change.changeSeq > changeSeq);
        const page = after.slice(0, state.pageMax);
        return {
          conversationId,
          messages: page,
          changeSeq: page.at(-1)?.changeSeq ?? changeSeq,
          hasMore: after.length > page.length,
        };
      }),
    },
  }));
  return {
    state,
    requests,
    message,
    /** New messages and changes happen while the client is away. */
    change(...changes: Message[]) {
      for (const change of changes) {
        state.changes.push(change);
        state.changeSeq = Math.max(state.changeSeq, change.changeSeq);
        state.total = Math.max(state.total, change.seq);
      }
    },
  };
}

async function openConversation(total: number) {
  const fake = server({ total, changeSeq: total });
  const conversations = useConversationsStore();
  await conversations.load();
  const messages = useMessagesStore();
  await messages.loadInitial(1);
  return { fake, messages };
}

describe('catch-up after a reconnect', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    useSessionStore().user = alice;
    sync.mockReset();
    vi.mocked(emitDelivered).mockClear();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('asks, for each loaded conversation only, for what changed after the changeSeq it has seen', async () => {
    const { fake } = await openConversation(3);
    useConversationsStore().upsert(makeConversation({ id: 2, changeSeq: 9 }));

    await useCatchUpStore().run();

    expect(sync).toHaveBeenCalledTimes(1);
    expect(sync.mock.calls[0]![0]).toEqual({ conversations: [{ conversationId: 1, changeSeq: 3 }] });
    expect(fake.requests.filter((request) => request.url === '/api/conversations')).toHaveLength(2);
  });

  it('merges by id, keeping the newer copy, and appends the messages sent while away', async () => {
    const { fake, messages } = await openConversation(3);
    fake.change(
      { ...fake.message(2), text: 'edited while away', editedAt: '2026-01-02T11:00:00.000Z', changeSeq: 4 },
      fake.message(4, 5),
      fake.message(5, 6),
    );

    await useCatchUpStore().run();

    expect(messages.timeline(1).map((message) => [message.seq, message.text])).toEqual([
      [1, 'message 1'],
      [2, 'edited while away'],
      [3, 'message 3'],
      [4, 'message 4'],
      [5, 'message 5'],
    ]);
    expect(messages.watermark(1)).toBe(6);
  });

  it('ignores what it already holds: an older copy from the sync does not replace a newer live one', async () => {
    const { fake, messages } = await openConversation(2);
    messages.update({ ...fake.message(1), text: 'newest edit', changeSeq: 8 });
    fake.change({ ...fake.message(1), text: 'older edit', changeSeq: 3 });

    await useCatchUpStore().run();

    expect(messages.findBySeq(1, 1)?.text).toBe('newest edit');
  });

  it('pages while hasMore, each time from the changeSeq the previous page ended at', async () => {
    const { fake, messages } = await openConversation(1);
    fake.state.pageMax = 2;
    fake.change(
      fake.message(2, 2),
      fake.message(3, 3),
      fake.message(4, 4),
      fake.message(5, 5),
      fake.message(6, 6),
    );

    await useCatchUpStore().run();

    expect(sync.mock.calls.map(([payload]) => payload.conversations[0]!.changeSeq)).toEqual([1, 3, 5]);
    expect(messages.timeline(1).map((message) => message.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it(`gives up after ${SYNC_ROUNDS_MAX} pages and loads the newest page instead`, async () => {
    const { fake, messages } = await openConversation(1);
    fake.state.pageMax = 1;
    const missed = Array.from({ length: SYNC_ROUNDS_MAX + 5 }, (_, index) =>
      fake.message(index + 2, index + 2),
    );
    fake.change(...missed);

    await useCatchUpStore().run();

    expect(sync).toHaveBeenCalledTimes(SYNC_ROUNDS_MAX);
    expect(fake.requests.at(-1)?.url).toBe('/api/conversations/1/messages?limit=50');
    expect(messages.timeline(1).at(-1)?.seq).toBe(SYNC_ROUNDS_MAX + 6);
    expect(messages.thread(1).status).toBe('ready');
  });

  it('reloads a conversation whose position the server says is ahead of it', async () => {
    const { fake, messages } = await openConversation(3);
    sync.mockResolvedValueOnce({
      ok: false,
      error: { code: ErrorCode.Invalid, message: 'changeSeq is ahead of the server' },
    });
    // A database restored from an older backup: fewer messages, an older change counter.
    fake.state.total = 2;
    fake.state.changeSeq = 2;

    await useCatchUpStore().run();

    expect(messages.timeline(1).map((message) => message.seq)).toEqual([1, 2]);
    expect(messages.watermark(1)).toBe(2);
  });

  it('tries a timed-out or refused sync again while connected, instead of waiting for the next connect', async () => {
    const { fake, messages } = await openConversation(3);
    fake.change(fake.message(4, 4));
    sync.mockResolvedValueOnce({ ok: false, error: { code: ErrorCode.Unavailable, message: 'timed out' } });
    vi.useFakeTimers();

    await useCatchUpStore().run();
    expect(messages.timeline(1).map((message) => message.seq)).toEqual([1, 2, 3]);

    // The first retry waits 1 s ± 50 % (backoffDelay).
    await vi.advanceTimersByTimeAsync(1_500);
    expect(sync).toHaveBeenCalledTimes(2);
    expect(messages.timeline(1).map((message) => message.seq)).toEqual([1, 2, 3, 4]);
  });

  it('reports what reached this device while away', async () => {
    const { fake } = await openConversation(3);
    fake.change(fake.message(4, 4));

    await useCatchUpStore().run();

    await vi.waitFor(() => expect(emitDelivered).toHaveBeenCalledWith({ conversationId: 1, seq: 4 }));
  });

  it('syncs a conversation from its mark as soon as a live change shows a hole', async () => {
    const { fake, messages } = await openConversation(3);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const missed = { ...fake.message(1), text: 'edit lost on the way', changeSeq: 4 };
    const arrived = { ...fake.message(2), text: 'edit that arrived', changeSeq: 5 };
    fake.change(missed, arrived);

    messages.update(arrived);
    expect(messages.watermark(1)).toBe(3);
    expect(sync).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(HOLE_SYNC_DELAY_MS);
    expect(sync.mock.calls.map(([payload]) => payload)).toEqual([
      { conversations: [{ conversationId: 1, changeSeq: 3 }] },
    ]);
    await vi.waitFor(() => expect(messages.findBySeq(1, 1)?.text).toBe('edit lost on the way'));
    expect(messages.watermark(1)).toBe(5);
  });

  it('does not sync for a change that was only late', async () => {
    const { fake, messages } = await openConversation(3);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const first = { ...fake.message(1), text: 'first edit', changeSeq: 4 };
    const second = { ...fake.message(2), text: 'second edit', changeSeq: 5 };

    messages.update(second);
    messages.update(first);
    await vi.advanceTimersByTimeAsync(HOLE_SYNC_DELAY_MS);

    expect(sync).not.toHaveBeenCalled();
    expect(messages.watermark(1)).toBe(5);
  });

  it('refreshes a held reply’s quote when the quoted message, older than what is loaded, changed while away', async () => {
    const fake = server({ total: 100, changeSeq: 100 });
    const quoted = fake.message(10);
    fake.change({
      ...fake.message(100),
      replyTo: { id: quoted.id, seq: 10, sender: quoted.sender, excerpt: quoted.text, deleted: false },
    });
    await useConversationsStore().load();
    const messages = useMessagesStore();
    await messages.loadInitial(1);
    expect(messages.findBySeq(1, 10)).toBeUndefined();

    fake.change({ ...quoted, text: '', deletedAt: '2026-01-02T12:00:00.000Z', changeSeq: 101 });
    await useCatchUpStore().run();

    expect(messages.findBySeq(1, 100)?.replyTo).toMatchObject({ id: quoted.id, deleted: true, excerpt: '' });
  });
});
