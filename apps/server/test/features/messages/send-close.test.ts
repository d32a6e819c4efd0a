// A server closing while its sockets still have sends queued: the send queue runs one send per user
// at a time, so sends queued behind one being stored reach the store after the send batcher drained
// and its pool ended. They are refused for now (server/unavailable: the client sends them again,
// to another process or this one restarted), never answered or logged as server/internal.
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@parley/shared';
import { expect, it } from 'vitest';
import { createGroup, queryDatabase, startTestServer } from '../../helpers/server.js';

it('a server closing during a burst refuses what its sockets still had queued as retryable', async () => {
  const t = await startTestServer();
  const [alice, bob] = [await t.signUp(), await t.signUp()];
  const conversationId = (await createGroup(t, alice, [bob])).id;
  const sockets = [await t.connectSocket(alice.cookie), await t.connectSocket(bob.cookie)];
  const internal: unknown[] = [];
  const refusedCodes: unknown[] = [];
  const log = t.server.log;
  const { error, warn } = log;
  log.error = function (this: unknown, ...args: unknown[]) {
    internal.push(args);
    return (error as (...a: unknown[]) => void).apply(this, args);
  } as typeof log.error;
  log.warn = function (this: unknown, ...args: unknown[]) {
    const fields = args[0] as { code?: unknown; refused?: Record<string, number> };
    if (fields.code) refusedCodes.push(fields.code);
    for (const key of Object.keys(fields.refused ?? {})) refusedCodes.push(key.split(' ').at(-1));
    return (warn as (...a: unknown[]) => void).apply(this, args);
  } as typeof log.warn;

  const sent: Array<{ clientMsgId: string; ack: Promise<unknown> }> = [];
  for (let i = 0; i < 30; i += 1) {
    for (const socket of sockets) {
      const clientMsgId = randomUUID();
      const ack = socket
        .timeout(10_000)
        .emitWithAck('message:send', { conversationId, clientMsgId, text: `burst ${i}` })
        .catch(() => null); // the socket closed before the answer: the client sends it again
      sent.push({ clientMsgId, ack });
    }
  }
  // The first send answered: the burst is under way.
  await Promise.race(sent.map(({ ack }) => ack));
  await t.server.close();
  const acks = await Promise.all(sent.map(({ ack }) => ack));

  // Before: each queued send met the closed pool (ER_POOL_ALREADY_CLOSED) and was logged as an
  // internal error, 48 of 60 in one run.
  expect(internal).toEqual([]);
  expect(refusedCodes).toContain(ErrorCode.Unavailable);
  expect(refusedCodes.filter((code) => code !== ErrorCode.Unavailable && code !== ErrorCode.Busy)).toEqual(
    [],
  );
  // What was acknowledged as stored was stored, once.
  const acked = sent.flatMap(({ clientMsgId }, index) =>
    (acks[index] as { ok?: boolean } | null)?.ok ? [clientMsgId] : [],
  );
  expect(acked.length).toBeGreaterThan(0);
  const rows = await queryDatabase<{ clientMsgId: string }>(t, 'SELECT clientMsgId FROM messages');
  const stored = rows.map((row) => row.clientMsgId);
  expect(new Set(stored).size).toBe(stored.length);
  expect(acked.filter((clientMsgId) => !stored.includes(clientMsgId))).toEqual([]);
  await t.close();
});
