// Sends under load: taken in the order each socket emitted them, admitted through a bounded queue,
// and never answered server/internal; a client that retries the retryable answers ends with every
// message stored exactly once.
import { randomUUID } from 'node:crypto';
import { ErrorCode, isRetryableErrorCode, type Message, type SendMessagePayload } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStoredMessages } from '../../helpers/stored-messages.js';
import {
  createGroup,
  sleep,
  startTestServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

/** Generous: this measures what is stored and how it is answered, not how fast a shared test machine is. */
const ACK_TIMEOUT_MS = 60_000;

interface Outcome {
  message: Message;
  /** The code of every refused attempt before the one that stored it. */
  refusals: string[];
}

/** Sends until stored, retrying retryable refusals with the same clientMsgId; any other refusal fails. */
async function sendUntilStored(socket: ClientSocket, payload: SendMessagePayload): Promise<Outcome> {
  const refusals: string[] = [];
  for (;;) {
    const ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('message:send', payload);
    if (ack.ok) return { message: ack.data, refusals };
    refusals.push(ack.error.code);
    if (!isRetryableErrorCode(ack.error.code)) {
      throw new Error(`final refusal ${ack.error.code}: ${ack.error.message}`);
    }
    await sleep((ack.error.retryAfterMs ?? 100) * (1 + Math.random() / 2));
  }
}

/** Emits `count` sends at once (nothing awaited between them), each retried until stored. */
function burst(socket: ClientSocket, conversationId: number, sender: string, count: number) {
  const payloads = Array.from({ length: count }, (_, i) => ({
    conversationId,
    clientMsgId: randomUUID(),
    text: `${sender} ${i}`,
  }));
  return { payloads, outcomes: Promise.all(payloads.map((payload) => sendUntilStored(socket, payload))) };
}

describe('sends under load', () => {
  describe('with a test-sized pool and the default queue', () => {
    let t: TestServer;
    let users: TestUser[];
    let sockets: ClientSocket[];
    let conversationId: number;
    let probeSocket: ClientSocket;
    let probeConversationId: number;
    let flooderSocket: ClientSocket;
    let floodConversationId: number;

    beforeAll(async () => {
      t = await startTestServer({
        env: {
          DATABASE_POOL_SIZE: '4',
          DATABASE_POOL_TIMEOUT_MS: '1000',
          // These senders retry each refused send on its own, so a send refused for waiting too long
          // would let later ones overtake it; what is checked here is the order the server keeps.
          // (Order across refusals is the client's: the web outbox sends one at a time.)
          SEND_QUEUE_MAX_WAIT_MS: '60000',
        },
      });
      users = [];
      for (let i = 0; i < 6; i += 1) users.push(await t.signUp());
      conversationId = (await createGroup(t, users[0]!, users.slice(1))).id;
      sockets = [];
      for (const user of users) sockets.push(await t.connectSocket(user.cookie));
      const [prober, other] = [await t.signUp(), await t.signUp()];
      probeConversationId = (await createGroup(t, prober, [other])).id;
      probeSocket = await t.connectSocket(prober.cookie);
      // A flooder of its own, whose budget no other test has spent.
      const flooder = await t.signUp();
      floodConversationId = (await createGroup(t, flooder, [other])).id;
      flooderSocket = await t.connectSocket(flooder.cookie);
    });
    afterAll(async () => t?.close());

    it('stores twenty sends one socket emits without waiting in the order it emitted them', async () => {
      const { payloads, outcomes } = burst(sockets[0]!, conversationId, 'ordered', 20);

      const seqs = (await outcomes).map(({ message }) => message.seq);

      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const stored = (await readStoredMessages(t.config.databaseUrl)).filter((row) =>
        payloads.some((payload) => payload.clientMsgId === row.clientMsgId),
      );
      expect(stored.map((row) => row.clientMsgId)).toEqual(payloads.map((payload) => payload.clientMsgId));
    });

    it('five people each sending 140 at once (within budget): no server/internal, each stored once, gapless, in each sender order', async () => {
      const bursts = users
        .slice(1)
        .map((user, i) => burst(sockets[i + 1]!, conversationId, user.username, 140));

      const outcomes = await Promise.all(bursts.map((b) => b.outcomes));

      const refusals = outcomes.flat().flatMap((outcome) => outcome.refusals);
      expect(refusals).not.toContain(ErrorCode.Internal);
      const rows = (await readStoredMessages(t.config.databaseUrl)).filter(
        (row) => row.conversationId === conversationId,
      );
      expect(rows.map((row) => row.seq)).toEqual(rows.map((_, i) => i + 1));
      bursts.forEach(({ payloads }, i) => {
        const sender = users[i + 1]!;
        const theirs = rows.filter((row) => row.senderId === sender.id).map((row) => row.clientMsgId);
        // Exactly once each, and in the order they were emitted.
        expect(theirs).toEqual(payloads.map((payload) => payload.clientMsgId));
      });
      expect(outcomes.flat()).toHaveLength(700);
    }, 120_000);

    it("serves another person's sends between one person's queued burst, not after it", async () => {
      // Fairness is checked by what is stored, not by a clock (timings on a shared machine are noise;
      // the benchmark measures latency): between a probe send and its ack, the flooder, whose sends
      // run one at a time and take turns with everyone else's, gets a few turns stored, as many as fit
      // in the probe's round trip, never the rest of their burst. (A bound of 3 failed once in CI with
      // 6 after batches became one round trip: the flooder's turns got shorter, not more.)
      let floodStored = 0;
      const payloads = Array.from({ length: 150 }, (_, i) => ({
        conversationId: floodConversationId,
        clientMsgId: randomUUID(),
        text: `flood ${i}`,
      }));
      const flood = Promise.all(
        payloads.map((payload) =>
          sendUntilStored(flooderSocket, payload).then((outcome) => {
            floodStored += 1;
            return outcome;
          }),
        ),
      );
      const storedDuringProbe: number[] = [];
      for (let i = 0; i < 20; i += 1) {
        const before = floodStored;
        await sendUntilStored(probeSocket, {
          conversationId: probeConversationId,
          clientMsgId: randomUUID(),
          text: `probe ${i}`,
        });
        storedDuringProbe.push(floodStored - before);
      }
      // Measured under the flood, not after it.
      expect(floodStored).toBeLessThan(payloads.length);
      const flooded = await flood;

      expect(flooded.flatMap((outcome) => outcome.refusals)).toEqual([]);
      expect(Math.max(...storedDuringProbe)).toBeLessThan(payloads.length / 10);
    }, 120_000);
  });

  describe('with a small send queue', () => {
    let t: TestServer;
    let users: TestUser[];
    let sockets: ClientSocket[];
    const conversationIds: number[] = [];

    beforeAll(async () => {
      t = await startTestServer({
        env: {
          DATABASE_POOL_SIZE: '4',
          SEND_QUEUE_MAX: '40',
          // Retries are sends too: a budget large enough that this test meets the queue, not the limit.
          SOCKET_RATE_LIMIT: '2000',
        },
      });
      users = [await t.signUp(), await t.signUp(), await t.signUp()];
      sockets = [];
      for (const user of users) sockets.push(await t.connectSocket(user.cookie));
      conversationIds.push((await createGroup(t, users[0]!, [users[1]!])).id);
      conversationIds.push((await createGroup(t, users[2]!, [users[1]!])).id);
    });
    afterAll(async () => t?.close());

    it('refuses what does not fit with server/busy and a retryAfterMs, and the retries store each message once', async () => {
      const refusedAcks: Array<{ code: string; retryAfterMs?: number }> = [];
      const flood = Array.from({ length: 150 }, (_, i) => ({
        conversationId: conversationIds[0]!,
        clientMsgId: randomUUID(),
        text: `flood ${i}`,
      }));
      const firstAcks = await Promise.all(
        flood.map((payload) => sockets[0]!.timeout(ACK_TIMEOUT_MS).emitWithAck('message:send', payload)),
      );
      for (const ack of firstAcks) if (!ack.ok) refusedAcks.push(ack.error);

      const retried = await Promise.all(flood.map((payload) => sendUntilStored(sockets[0]!, payload)));

      expect(refusedAcks.length).toBeGreaterThan(0);
      for (const error of refusedAcks) {
        expect(error).toMatchObject({ code: ErrorCode.Busy, retryAfterMs: expect.any(Number) });
      }
      expect(retried.flatMap((outcome) => outcome.refusals)).not.toContain(ErrorCode.Internal);
      const rows = (await readStoredMessages(t.config.databaseUrl)).filter(
        (row) => row.conversationId === conversationIds[0],
      );
      expect(rows.map((row) => row.seq)).toEqual(rows.map((_, i) => i + 1));
      expect(new Set(rows.map((row) => row.clientMsgId))).toEqual(
        new Set(flood.map((payload) => payload.clientMsgId)),
      );
      expect(rows).toHaveLength(150);
    }, 60_000);
  });
});
