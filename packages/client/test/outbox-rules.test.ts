import { ErrorCode, type Message, type SendMessagePayload } from '@parley/shared';
import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxEntry } from '../src/outbox.js';
import { silentLogger, systemClock } from '../src/ports.js';
import type { RequestResult } from '../src/request.js';
import { MemoryOutboxStorage } from '../src/storage.js';

// The outbox's rules with the server's answers scripted (the real server is in outbox.test.ts):
// which answers keep a message pending, which fail it, and that a restart sends what was saved.

type Answer = RequestResult<Message> | 'store';

function stored(payload: SendMessagePayload, seq: number): Message {
  return {
    id: seq,
    conversationId: payload.conversationId,
    seq,
    changeSeq: seq,
    clientMsgId: payload.clientMsgId,
    sender: { id: 1, username: 'ada', displayName: 'Ada', kind: 'person' },
    type: 'text',
    text: payload.text,
    createdAt: new Date().toISOString(),
    editedAt: null,
    deletedAt: null,
    replyTo: null,
    system: null,
    removedByAdmin: false,
    generation: null,
    reactions: [],
    attachment: null,
  };
}

function scriptedOutbox(answers: Answer[], storage = new MemoryOutboxStorage()) {
  const network = { connected: true };
  const sent: SendMessagePayload[] = [];
  let seq = 0;
  let ids = 0;
  const outbox = new Outbox({
    storage,
    clock: systemClock,
    logger: silentLogger,
    isConnected: () => network.connected,
    send: async (payload) => {
      sent.push(payload);
      const answer = answers.shift() ?? 'store';
      if (answer !== 'store') return answer;
      seq += 1;
      return { ok: true, data: stored(payload, seq) };
    },
    stored: () => {},
    changed: () => {},
    retry: { baseMs: 1, maxMs: 5, jitter: 0 },
    newId: () => `00000000-0000-4000-8000-${String((ids += 1)).padStart(12, '0')}`,
  });
  return { outbox, sent, storage, network };
}

const unavailable = (lost?: 'timeout' | 'disconnected'): RequestResult<never> => ({
  ok: false,
  error: { code: ErrorCode.Unavailable, message: 'no' },
  ...(lost ? { lost } : {}),
});

describe('outbox rules', () => {
  it('keeps a message pending through a timeout, server/busy and server/unavailable, resending the same clientMsgId', async () => {
    const { outbox, sent } = scriptedOutbox([
      unavailable('timeout'),
      { ok: false, error: { code: ErrorCode.Busy, message: 'busy', retryAfterMs: 5 } },
      unavailable(),
    ]);
    const entry = outbox.add(1, 'persistent');
    await outbox.whenSettled(5_000);
    expect(entry.state).toBe('sent');
    expect(entry.attempts.map((attempt) => attempt.code ?? attempt.outcome)).toEqual([
      'timeout',
      ErrorCode.Busy,
      ErrorCode.Unavailable,
      'ok',
    ]);
    expect(new Set(sent.map((payload) => payload.clientMsgId))).toEqual(new Set([entry.clientMsgId]));
  });

  it('fails a message refused for itself, gives up on server/internal after five, and sends the next ones in order', async () => {
    const internal: RequestResult<never> = {
      ok: false,
      error: { code: ErrorCode.Internal, message: 'oops' },
    };
    const { outbox, sent } = scriptedOutbox([
      { ok: false, error: { code: ErrorCode.Invalid, message: 'bad' } },
      internal,
      internal,
      internal,
      internal,
      internal,
    ]);
    const entries: OutboxEntry[] = ['refused', 'internal', 'third', 'fourth'].map((text) =>
      outbox.add(1, text),
    );
    await outbox.whenSettled(5_000);
    expect(entries.map((entry) => entry.state)).toEqual(['failed', 'failed', 'sent', 'sent']);
    expect(entries[1]!.attempts).toHaveLength(5);
    expect(entries[2]!.message!.seq).toBeLessThan(entries[3]!.message!.seq);
    expect(sent.at(-1)?.text).toBe('fourth');
  });

  it('a new outbox on the same storage sends what the previous one had not, and nothing it had', async () => {
    const storage = new MemoryOutboxStorage();
    const first = scriptedOutbox([unavailable('disconnected')], storage);
    const done = first.outbox.add(1, 'acknowledged');
    await first.outbox.whenSettled(5_000);
    expect(done.state).toBe('sent');
    const second = scriptedOutbox([], storage);
    // The first goes offline with two written, and "crashes" before it is back.
    first.network.connected = false;
    const pending = [first.outbox.add(1, 'left behind 1'), first.outbox.add(1, 'left behind 2')];
    await Promise.all(pending.map((entry) => first.outbox.whenSaved(entry.clientMsgId)));

    const restored = await second.outbox.restore();
    expect(restored.map((entry) => entry.clientMsgId)).toEqual(pending.map((entry) => entry.clientMsgId));
    await second.outbox.whenSettled(5_000);
    expect(second.sent.map((payload) => payload.text)).toEqual(['left behind 1', 'left behind 2']);
    expect(await storage.load()).toEqual([]);
  });
});
