import { ErrorCode, type Attachment, type Message, type SendMessagePayload } from '@parley/shared';
import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxEntry } from '../src/outbox.js';
import { silentLogger, systemClock } from '../src/ports.js';
import type { RequestResult } from '../src/request.js';
import { MemoryOutboxStorage } from '../src/storage.js';
import type { UploadResult } from '../src/upload.js';

// The outbox's rules with the server's answers scripted (the real server is in outbox.test.ts):
// which answers keep a message pending, which fail it, and that a restart sends what was saved.

type Answer = RequestResult<Message> | 'store';
/** An upload's scripted answer: `accept` stores it, `hold` leaves it running until aborted. */
type UploadAnswer = UploadResult | 'accept' | 'hold';

function attachmentOf(id: string): Attachment {
  return {
    id,
    kind: 'file',
    mime: 'text/plain',
    fileName: 'notes.txt',
    byteSize: 5,
    width: null,
    height: null,
    placeholder: null,
    durationMs: null,
    waveform: null,
    playableMime: null,
  };
}

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

function scriptedOutbox(
  answers: Answer[],
  storage = new MemoryOutboxStorage(),
  uploadAnswers: UploadAnswer[] = [],
) {
  const network = { connected: true };
  const sent: SendMessagePayload[] = [];
  const uploads: string[] = [];
  let uploadIds = 0;
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
    upload: ({ fileName, signal, onProgress }) => {
      uploads.push(fileName);
      const answer = uploadAnswers.shift() ?? 'accept';
      onProgress(0, 5);
      if (answer === 'hold')
        return new Promise((resolve) =>
          signal.addEventListener('abort', () =>
            resolve({ ok: false, error: { code: ErrorCode.Unavailable, message: 'aborted' }, aborted: true }),
          ),
        );
      if (answer !== 'accept') return Promise.resolve(answer);
      onProgress(5, 5);
      uploadIds += 1;
      return Promise.resolve({
        ok: true,
        upload: attachmentOf(`upload${String(uploadIds).padStart(16, '0')}`),
      });
    },
    stored: () => {},
    changed: () => {},
    retry: { baseMs: 1, maxMs: 5, jitter: 0 },
    newId: () => `00000000-0000-4000-8000-${String((ids += 1)).padStart(12, '0')}`,
  });
  return { outbox, sent, uploads, storage, network };
}

const file = () => ({
  kind: 'file' as const,
  file: new Blob(['hello'], { type: 'text/plain' }),
  fileName: 'notes.txt',
});

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

  it('uploads a file first, then sends its message naming the upload; a text written after waits its turn', async () => {
    const { outbox, sent, uploads } = scriptedOutbox([]);
    const withFile = outbox.add(1, 'caption', { attachment: file() });
    const after = outbox.add(1, 'after');
    expect(withFile.attachment).toMatchObject({
      kind: 'file',
      fileName: 'notes.txt',
      mime: 'text/plain',
      byteSize: 5,
    });
    await outbox.whenSettled(5_000);
    expect(uploads).toEqual(['notes.txt']);
    expect(sent.map((payload) => [payload.text, payload.attachmentId])).toEqual([
      ['caption', withFile.attachment!.uploaded!.id],
      ['after', undefined],
    ]);
    expect(withFile.message!.seq).toBeLessThan(after.message!.seq);
    expect(withFile.attempts.map((attempt) => `${attempt.step}:${attempt.outcome}`)).toEqual([
      'upload:ok',
      'send:ok',
    ]);
  });

  it('retries a lost or busy upload, and fails the message on a refusal of the file', async () => {
    const lost: UploadResult = {
      ok: false,
      error: { code: ErrorCode.Unavailable, message: 'down' },
      lost: true,
    };
    const busy: UploadResult = {
      ok: false,
      error: { code: ErrorCode.Busy, message: 'busy', retryAfterMs: 5 },
    };
    const refused: UploadResult = {
      ok: false,
      error: { code: ErrorCode.UploadUnsupportedType, message: 'not an image' },
    };
    const { outbox, sent } = scriptedOutbox([], new MemoryOutboxStorage(), [lost, busy, 'accept', refused]);
    const retried = outbox.add(1, 'retried', { attachment: file() });
    const failed = outbox.add(1, 'refused', { attachment: file() });
    const next = outbox.add(1, 'next');
    await outbox.whenSettled(5_000);
    expect(retried.state).toBe('sent');
    expect(retried.attempts.map((attempt) => attempt.code ?? attempt.outcome)).toEqual([
      'disconnected',
      ErrorCode.Busy,
      'ok',
      'ok',
    ]);
    expect(failed.state).toBe('failed');
    expect(failed.error?.code).toBe(ErrorCode.UploadUnsupportedType);
    expect(next.state).toBe('sent');
    expect(sent.map((payload) => payload.text)).toEqual(['retried', 'next']);
  });

  it('discarding a message whose upload is running aborts it, sends nothing of it and lets the next go', async () => {
    const { outbox, sent, storage } = scriptedOutbox([], new MemoryOutboxStorage(), ['hold']);
    const states: string[] = [];
    const cancelled = outbox.add(1, 'cancelled', { attachment: file() });
    const next = outbox.add(1, 'next');
    await new Promise<void>((resolve) => {
      const check = () => (cancelled.state === 'uploading' ? resolve() : setTimeout(check, 1));
      check();
    });
    states.push(cancelled.state);
    expect(outbox.discardable(next)).toBe(false);
    expect(outbox.discard(cancelled.clientMsgId)).toBe(true);
    await outbox.whenSettled(5_000);
    expect(states).toEqual(['uploading']);
    expect(outbox.get(cancelled.clientMsgId)).toBeUndefined();
    expect(sent.map((payload) => payload.text)).toEqual(['next']);
    expect(next.state).toBe('sent');
    expect(await storage.load()).toEqual([]);
  });

  it('uploads the file again when the server no longer has its upload, once, and retry() does too', async () => {
    const gone: RequestResult<never> = {
      ok: false,
      error: { code: ErrorCode.UploadNotFound, message: 'No upload' },
    };
    const { outbox, sent, uploads } = scriptedOutbox([gone]);
    const entry = outbox.add(1, 'a day later', { attachment: file() });
    await outbox.whenSettled(5_000);
    expect(entry.state).toBe('sent');
    expect(uploads).toEqual(['notes.txt', 'notes.txt']);
    expect(sent.map((payload) => [payload.clientMsgId, payload.attachmentId])).toEqual([
      [entry.clientMsgId, 'upload0000000000000001'],
      [entry.clientMsgId, 'upload0000000000000002'],
    ]);

    // Refused so again after its fresh upload: failed, not uploaded for ever. retry() uploads again.
    const again = scriptedOutbox([gone, gone]);
    const stuck = again.outbox.add(1, 'twice gone', { attachment: file() });
    await again.outbox.whenSettled(5_000);
    expect([stuck.state, stuck.error?.code, again.uploads.length]).toEqual([
      'failed',
      ErrorCode.UploadNotFound,
      2,
    ]);
    again.outbox.retry(stuck.clientMsgId);
    await again.outbox.whenSettled(5_000);
    expect([stuck.state, again.uploads.length]).toEqual(['sent', 3]);
    expect(again.sent.at(-1)?.attachmentId).toBe('upload0000000000000003');
  });

  it('a restart after the upload sends with the saved upload id and does not upload again', async () => {
    const storage = new MemoryOutboxStorage();
    // Uploaded, then its send is lost (no acknowledgement) and the process ends.
    const first = scriptedOutbox([unavailable('disconnected')], storage);
    const entry = first.outbox.add(1, 'after restart', { attachment: file() });
    await new Promise<void>((resolve) => {
      const check = () => (first.sent.length === 1 ? resolve() : setTimeout(check, 1));
      check();
    });
    first.outbox.close();
    await first.outbox.whenSaved(entry.clientMsgId);
    const uploadId = entry.attachment!.uploaded!.id;
    expect((await storage.load()).map((record) => record.attachment?.uploaded?.id)).toEqual([uploadId]);

    const second = scriptedOutbox([], storage);
    const [restored] = await second.outbox.restore();
    await second.outbox.whenSettled(5_000);
    expect(restored!.clientMsgId).toBe(entry.clientMsgId);
    expect(restored!.state).toBe('sent');
    expect(second.uploads).toEqual([]);
    expect(second.sent.map((payload) => [payload.clientMsgId, payload.attachmentId])).toEqual([
      [entry.clientMsgId, uploadId],
    ]);
    expect(await storage.load()).toEqual([]);
  });
});
