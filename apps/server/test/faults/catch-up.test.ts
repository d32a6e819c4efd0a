import { SYNC_PAGE_MAX } from '@parley/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../helpers/database.js';
import { useFaultScenario } from '../helpers/fault-scenario.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { sleep, type TestUser } from '../helpers/server.js';
import { expectEveryoneHoldsTheStoredConversation } from '../helpers/stored-conversation.js';

describe('catching up after being away', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let conversationId: number;

  const scenario = useFaultScenario({
    // Enough socket budget for a burst of a couple of hundred sends.
    server: (database) => ({ databaseUrl: database.url, env: { SOCKET_RATE_LIMIT: '2000' } }),
  });
  const connectClient = (user: TestUser, name: string) =>
    scenario.connect({ cookie: user.cookie, conversationIds: [conversationId], name });

  beforeAll(async () => {
    ({ database, server } = scenario);
    [alice, bob, carol] = [await server.signUp(), await server.signUp(), await server.signUp()];
    conversationId = await server.createGroup(alice, [bob, carol]);
  });

  it('a recipient offline while messages arrive gets all of them on reconnect, through catch-up, once each, in seq order', async () => {
    const [aliceClient, bobClient, carolClient] = [
      await connectClient(alice, 'alice'),
      await connectClient(bob, 'bob'),
      await connectClient(carol, 'carol'),
    ];
    aliceClient.send(conversationId, 'before bob left');
    await aliceClient.whenOutboxSettled();
    await expect.poll(() => bobClient.messagesOf(conversationId).length).toBe(1);

    bobClient.goOffline();
    // More than one catch-up page, from two senders at once.
    const perSender = Math.ceil(SYNC_PAGE_MAX / 2) + 5;
    for (let i = 0; i < perSender; i += 1) {
      aliceClient.send(conversationId, `alice ${i}`);
      carolClient.send(conversationId, `carol ${i}`);
    }
    await Promise.all([aliceClient.whenOutboxSettled(60_000), carolClient.whenOutboxSettled(60_000)]);
    expect(bobClient.deliveries).toHaveLength(1);

    await bobClient.connect();
    const stored = await expectEveryoneHoldsTheStoredConversation(database.url, conversationId, [
      aliceClient,
      bobClient,
      carolClient,
    ]);
    expect(stored).toHaveLength(1 + 2 * perSender);
    const caughtUp = bobClient.received.slice(1);
    expect(caughtUp.every((d) => d.via === 'sync')).toBe(true);
    expect(caughtUp.map((d) => d.message.seq)).toEqual(stored.slice(1).map((row) => row.seq));
    expect(bobClient.deliveries).toHaveLength(stored.length);
  });

  it('after a crash and after a graceful restart, every client catches up from the database: nothing missing, nothing twice', async () => {
    const [aliceClient, bobClient, carolClient] = [
      await connectClient(alice, 'alice'),
      await connectClient(bob, 'bob'),
      await connectClient(carol, 'carol'),
    ];
    const sendBurst = async (round: string) => {
      for (let i = 0; i < 10; i += 1) {
        aliceClient.send(conversationId, `${round} alice ${i}`);
        carolClient.send(conversationId, `${round} carol ${i}`);
        await sleep(15);
      }
    };

    // A crash in the middle of a burst: the new process has no connection state to recover.
    const crashBurst = sendBurst('crash');
    await sleep(60);
    await server.kill();
    await crashBurst;
    // Bob is away while the others come back and their outboxes flush.
    bobClient.goOffline();
    await server.start();
    await Promise.all([aliceClient.whenOutboxSettled(), carolClient.whenOutboxSettled()]);
    await bobClient.connect();

    // A deploy: SIGTERM ends every socket on purpose, then a new process starts.
    const deployBurst = sendBurst('deploy');
    await sleep(60);
    expect(await server.stop()).toEqual({ code: 0, signal: null });
    await deployBurst;
    await server.start();
    await Promise.all([aliceClient.whenOutboxSettled(), carolClient.whenOutboxSettled()]);

    const stored = await expectEveryoneHoldsTheStoredConversation(database.url, conversationId, [
      aliceClient,
      bobClient,
      carolClient,
    ]);
    for (const client of [aliceClient, carolClient]) {
      expect(client.outbox.every((entry) => entry.state === 'sent')).toBe(true);
      const mine = new Set(client.outbox.map((entry) => entry.clientMsgId));
      expect(stored.filter((row) => mine.has(row.clientMsgId)).map((row) => row.clientMsgId)).toEqual(
        client.outbox.map((entry) => entry.clientMsgId),
      );
    }
    expect(aliceClient.connects).toBeGreaterThanOrEqual(3);
    // Two process starts (up to 45 s each, helpers/server-process.ts) besides its waits: it took 95 s
    // with the machine at load ~18 (2026-12-06), too close to the suite's 120 s.
  }, 240_000);
});
