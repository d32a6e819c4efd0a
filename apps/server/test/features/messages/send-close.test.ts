// A server closing while its sockets still have sends queued: the send queue runs one send per user
// at a time, so a send queued behind one still being answered reaches the store after the send
// batcher drained and its pool ended. It is refused for now (server/unavailable: the client sends it
// again, to another process or this one restarted), never answered or logged as server/internal.
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@parley/shared';
import { expect, it } from 'vitest';
import { holdAtFailpoint } from '../../../src/lib/failpoints.js';
import { createGroup, queryDatabase, startTestServer } from '../../helpers/server.js';
import { WAIT_CAP_MS } from '../../helpers/waits.js';

it('a send still queued when the server closes is refused as retryable, not as an internal error', async () => {
  const t = await startTestServer();
  const [alice, bob] = [await t.signUp(), await t.signUp()];
  const conversationId = (await createGroup(t, alice, [bob])).id;
  const socket = await t.connectSocket(alice.cookie);
  const internal: unknown[] = [];
  const refused: unknown[] = [];
  const log = t.server.log;
  const { error, warn } = log;
  log.error = function (this: unknown, ...args: unknown[]) {
    internal.push(args);
    return (error as (...a: unknown[]) => void).apply(this, args);
  } as typeof log.error;
  log.warn = function (this: unknown, ...args: unknown[]) {
    const code = (args[0] as { code?: unknown }).code;
    if (code) refused.push(code);
    return (warn as (...a: unknown[]) => void).apply(this, args);
  } as typeof log.warn;

  // The first send is stored and held before its answer; the second waits behind it in the queue.
  const hold = holdAtFailpoint('message-send:after-commit');
  const [first, second] = [randomUUID(), randomUUID()];
  const acks = [first, second].map(
    (clientMsgId) =>
      socket
        .timeout(WAIT_CAP_MS)
        .emitWithAck('message:send', { conversationId, clientMsgId, text: clientMsgId })
        .catch(() => null), // the socket closed before the answer: the client sends it again
  );
  await hold.reached;
  // Sockets closed, send batcher drained (nothing in it), pools ended.
  await t.server.close();
  hold.release();
  await Promise.all(acks);
  // The second send's failure logged, one way or the other.
  await expect.poll(() => refused.length + internal.length, { timeout: WAIT_CAP_MS }).toBeGreaterThan(0);

  // Before: the second send met the ended pool (ER_POOL_ALREADY_CLOSED) and was answered
  // server/internal, logged as an error.
  expect(internal).toEqual([]);
  expect(refused).toEqual([ErrorCode.Unavailable]);
  const stored = await queryDatabase<{ clientMsgId: string }>(t, 'SELECT clientMsgId FROM messages');
  expect(stored.map((row) => row.clientMsgId)).toEqual([first]);
  await t.close();
});
