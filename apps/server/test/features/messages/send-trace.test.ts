// The send path's trace points (lib/trace.ts): a subscriber to `parley:socket-event` and
// `parley:batch` sees every send answered, with its wait and handling times, and every batch written.
import { randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchTrace, SocketEventTrace } from '../../../src/lib/trace.js';
import { ackCode, createGroup, okData, startTestServer, type TestServer } from '../../helpers/server.js';

describe('the send path’s trace points', () => {
  let t: TestServer;
  const events: SocketEventTrace[] = [];
  const batches: BatchTrace[] = [];
  const onEvent = (trace: unknown) => events.push(trace as SocketEventTrace);
  const onBatch = (trace: unknown) => batches.push(trace as BatchTrace);

  beforeAll(async () => {
    t = await startTestServer();
    subscribe('parley:socket-event', onEvent);
    subscribe('parley:batch', onBatch);
  });

  afterAll(async () => {
    unsubscribe('parley:socket-event', onEvent);
    unsubscribe('parley:batch', onBatch);
    await t?.close();
  });

  it('publishes each answered send and each batch written, refusals included', async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const { id: conversationId } = await createGroup(t, alice, [bob]);
    const socket = await t.connectSocket(alice.cookie);
    events.length = 0;
    batches.length = 0;

    const acks = await Promise.all(
      Array.from({ length: 5 }, (_, n) =>
        socket.emitWithAck('message:send', {
          conversationId,
          clientMsgId: randomUUID(),
          text: `traced ${n}`,
        }),
      ),
    );
    for (const ack of acks) okData(ack);
    const refused = await socket.emitWithAck('message:send', {
      conversationId: conversationId + 1_000_000,
      clientMsgId: randomUUID(),
      text: 'nowhere',
    });
    expect(ackCode(refused)).toBe('conversation/not_found');

    const sends = events.filter((trace) => trace.event === 'message:send');
    expect(sends.map((trace) => trace.ok)).toEqual([true, true, true, true, true, false]);
    for (const trace of sends) {
      expect(trace.queuedMs).toBeGreaterThanOrEqual(0);
      expect(trace.handledMs).toBeGreaterThan(0);
    }
    const written = batches.filter((trace) => trace.name === 'message-send');
    // Every send reached a batch, the refused one too (its membership is checked inside the batch).
    expect(written.reduce((sum, trace) => sum + trace.size, 0)).toBe(6);
    for (const trace of written) {
      expect(trace.waitedMs).toBeGreaterThanOrEqual(0);
      expect(trace.writeMs).toBeGreaterThan(0);
    }
    socket.disconnect();
  });
});
