// Group commit in lanes: which requests may be written at once. No database: the write is a stand-in
// that records what it was given and finishes when the test says so.
import { describe, expect, it } from 'vitest';
import { createLanedGroupCommit, type Settled } from '../../src/lib/group-commit.js';

interface Request {
  conversationId: number;
  n: number;
}

/** A write that answers each request with its `n` once `finish()` is called for its batch. */
function recordingWrite() {
  const inFlight: Request[][] = [];
  const overlaps: string[] = [];
  const pending: Array<() => void> = [];
  let mostAtOnce = 0;
  const write = (batch: Request[]) =>
    new Promise<Array<Settled<number>>>((resolve) => {
      for (const other of inFlight) {
        const shared = batch.filter((r) => other.some((o) => o.conversationId === r.conversationId));
        if (shared.length > 0) overlaps.push(shared.map((r) => r.conversationId).join(','));
      }
      inFlight.push(batch);
      mostAtOnce = Math.max(mostAtOnce, inFlight.length);
      pending.push(() => {
        inFlight.splice(inFlight.indexOf(batch), 1);
        resolve(batch.map((r) => ({ ok: true, value: r.n })));
      });
    });
  return {
    write,
    overlaps,
    mostAtOnce: () => mostAtOnce,
    /** Finishes every batch in flight now; returns how many. */
    finishAll: () => pending.splice(0).map((finish) => finish()).length,
  };
}

const options = {
  waitMs: 1,
  maxBatch: 4,
  connections: 2,
  admissionTimeoutMs: 5_000,
  busyMessage: 'busy',
  name: 'test',
};

describe('a laned group commit', () => {
  it('never writes two batches holding the same key at once, and writes different lanes at once', async () => {
    const recorder = recordingWrite();
    const commit = createLanedGroupCommit(recorder.write, options, (r: Request) => r.conversationId);
    // Conversations 1 and 3 share lane 1; 2 and 4 share lane 0. Forty requests, interleaved.
    const requests = Array.from({ length: 40 }, (_, n) => ({ conversationId: (n % 4) + 1, n }));
    let answered = false;
    const answers = Promise.all(requests.map((request) => commit.submit(request))).then((values) => {
      answered = true;
      return values;
    });

    // Let batches form, then finish whatever is in flight, until every request is answered.
    while (!answered) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      recorder.finishAll();
    }

    expect(await answers).toEqual(requests.map((r) => r.n));
    expect(recorder.overlaps).toEqual([]);
    expect(recorder.mostAtOnce()).toBe(2);
    await commit.drain();
  });

  it('keeps each key in the order it was submitted', async () => {
    const written: Request[] = [];
    const commit = createLanedGroupCommit<Request, number>(
      async (batch) => {
        written.push(...batch);
        await new Promise((resolve) => setTimeout(resolve, 1));
        return batch.map((r) => ({ ok: true, value: r.n }));
      },
      options,
      (r) => r.conversationId,
    );
    const requests = Array.from({ length: 30 }, (_, n) => ({ conversationId: n % 3, n }));
    await Promise.all(requests.map((request) => commit.submit(request)));

    for (const key of [0, 1, 2]) {
      const order = written.filter((r) => r.conversationId === key).map((r) => r.n);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(order).toHaveLength(10);
    }
  });
});
