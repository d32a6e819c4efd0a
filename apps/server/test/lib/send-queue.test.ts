import { ErrorCode } from '@parley/shared';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/app-error.js';
import { createSendQueue } from '../../src/lib/send-queue.js';

/** A unit of work the test finishes by hand, recording when it started. */
function gate(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    work: async () => {
      log.push(name);
      await done;
      return name;
    },
    finish,
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the send queue', () => {
  it("runs one user's sends one at a time, in the order their tickets were taken, even when admitted out of order", async () => {
    const queue = createSendQueue({ concurrency: 4, maxQueued: 10, perUserMax: 10, maxWaitMs: 60_000 });
    const log: string[] = [];
    const [first, second] = [queue.take(1), queue.take(1)];
    const [a, b] = [gate(log, 'a'), gate(log, 'b')];

    const secondResult = second.run(b.work);
    await tick();
    expect(log).toEqual([]);
    const firstResult = first.run(a.work);
    await tick();
    expect(log).toEqual(['a']);
    a.finish();
    await tick();
    expect(log).toEqual(['a', 'b']);
    b.finish();

    expect(await Promise.all([firstResult, secondResult])).toEqual(['a', 'b']);
  });

  it('gives a freed slot to the next user in turn, so a burst does not hold others back', async () => {
    const queue = createSendQueue({ concurrency: 1, maxQueued: 10, perUserMax: 10, maxWaitMs: 60_000 });
    const log: string[] = [];
    const gates = ['burst 1', 'burst 2', 'burst 3', 'other 1'].map((name) => gate(log, name));
    const runs = [
      queue.take(1).run(gates[0]!.work),
      queue.take(1).run(gates[1]!.work),
      queue.take(1).run(gates[2]!.work),
      queue.take(2).run(gates[3]!.work),
    ];
    for (const g of [gates[0]!, gates[3]!, gates[1]!, gates[2]!]) {
      await tick();
      g.finish();
    }
    await Promise.all(runs);

    expect(log).toEqual(['burst 1', 'other 1', 'burst 2', 'burst 3']);
  });

  it("refuses with server/busy past the queue's bound or the user's share, without running the work", async () => {
    const queue = createSendQueue({ concurrency: 1, maxQueued: 2, perUserMax: 1, maxWaitMs: 60_000 });
    const log: string[] = [];
    const [running, waiting, other] = [gate(log, 'running'), gate(log, 'waiting'), gate(log, 'other')];
    const admitted = [queue.take(1).run(running.work)];
    await tick();
    admitted.push(queue.take(1).run(waiting.work));

    const overShare = queue.take(1).run(gate(log, 'over share').work);
    admitted.push(queue.take(2).run(other.work));
    const overQueue = queue.take(3).run(gate(log, 'over queue').work);

    for (const refused of [overShare, overQueue]) {
      await expect(refused).rejects.toBeInstanceOf(AppError);
      await expect(refused).rejects.toMatchObject({ code: ErrorCode.Busy, retryAfterMs: expect.any(Number) });
    }
    expect(queue.stats()).toEqual({ queued: 2, running: 1 });
    expect(log).toEqual(['running']);

    // The admitted sends still run, each in turn; none is left waiting to be refused after the test.
    for (const g of [running, waiting, other]) {
      g.finish();
      await tick();
    }
    expect(await Promise.all(admitted)).toEqual(['running', 'waiting', 'other']);
    expect(queue.stats()).toEqual({ queued: 0, running: 0 });
  });

  it('lets the next send go when an earlier ticket is given up before its turn', async () => {
    const queue = createSendQueue({ concurrency: 1, maxQueued: 10, perUserMax: 10, maxWaitMs: 60_000 });
    const log: string[] = [];
    const refusedEarly = queue.take(1);
    const next = gate(log, 'next');
    const result = queue.take(1).run(next.work);
    await tick();
    expect(log).toEqual([]);

    refusedEarly.cancel();
    await tick();
    next.finish();

    expect(await result).toBe('next');
    await tick();
    expect(queue.stats()).toEqual({ queued: 0, running: 0 });
  });

  it('refuses a send that waited maxWaitMs with server/busy, and the sends behind it in its lane, but no one else', async () => {
    const queue = createSendQueue({ concurrency: 1, maxQueued: 10, perUserMax: 10, maxWaitMs: 200 });
    const log: string[] = [];
    const holding = gate(log, 'holding');
    const held = queue.take(1).run(holding.work);
    await tick();
    const waiting = queue.take(2).run(gate(log, 'waiting').work);
    const behind = queue.take(2).run(gate(log, 'behind').work);
    const started = Date.now();

    for (const refused of [waiting, behind]) {
      // Under NODE_ENV 'test' the refusal names where the send was queued (its `cause`).
      await expect(refused).rejects.toMatchObject({
        code: ErrorCode.Busy,
        retryAfterMs: expect.any(Number),
        cause: { stack: expect.stringContaining('send-queue.test.ts') },
      });
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(queue.stats()).toEqual({ queued: 0, running: 1 });

    // The lane is usable again, and the send that was running was never touched.
    const later = gate(log, 'later');
    const laterResult = queue.take(2).run(later.work);
    holding.finish();
    expect(await held).toBe('holding');
    await tick();
    later.finish();
    expect(await laterResult).toBe('later');
    expect(log).toEqual(['holding', 'later']);
  });
});
