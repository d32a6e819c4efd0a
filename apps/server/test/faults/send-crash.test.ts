import { ClientEvent } from '@parley/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../helpers/database.js';
import { useFaultScenario } from '../helpers/fault-scenario.js';
import type { ServerProcess } from '../helpers/server-process.js';
import type { TestUser } from '../helpers/server.js';
import { readStoredMessages, rowsFor } from '../helpers/stored-messages.js';

// The server dies in the middle of a message:send, at the two moments that matter (failpoints in
// src/lib/failpoints.ts), and the client's retry with the same clientMsgId must end with the message
// stored once and delivered once.
describe('a server killed during message:send', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let alice: TestUser;
  let bob: TestUser;
  let conversationId: number;

  const scenario = useFaultScenario({
    server: (database) => ({ databaseUrl: database.url }),
    // Armed for the first test already (signing up and creating the group send no message).
    start: { failpoints: ['message-send:after-commit'] },
  });
  const connectClient = (user: TestUser, name: string) =>
    scenario.connect({ cookie: user.cookie, conversationIds: [conversationId], name });

  beforeAll(async () => {
    ({ database, server } = scenario);
    [alice, bob] = [await server.signUp(), await server.signUp()];
    conversationId = await server.createGroup(alice, [bob]);
  });

  it('after the commit but before the ack: the retry is acknowledged with the stored message, stored and delivered once', async () => {
    const aliceClient = await connectClient(alice, 'alice');
    const bobClient = await connectClient(bob, 'bob');

    const entry = aliceClient.send(conversationId, 'sent just before the crash');
    expect(await server.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' });

    // Committed, but nobody was told: the sender holds it as pending, the other member has nothing.
    const [row, ...others] = await rowsFor(database.url, alice.id, entry.clientMsgId);
    expect(others).toEqual([]);
    expect(row).toMatchObject({ conversationId, seq: 1, text: 'sent just before the crash' });
    await expect.poll(() => entry.attempts.length).toBeGreaterThanOrEqual(1);
    expect(entry.state).toBe('pending');
    expect(['disconnected', 'timeout']).toContain(entry.attempts[0]?.outcome);
    expect(bobClient.deliveries).toEqual([]);

    await server.start();
    await aliceClient.whenOutboxSettled(30_000);
    expect(entry.state).toBe('sent');
    expect(entry.message).toMatchObject({ id: row!.id, seq: 1, clientMsgId: entry.clientMsgId });

    // A second tab resending the same clientMsgId, twice at once, gets the same message too.
    const tab = await connectClient(alice, 'alice-tab');
    const payload = { conversationId, clientMsgId: entry.clientMsgId, text: entry.text };
    const duplicates = await Promise.all([
      tab.client.transport.request(ClientEvent.MessageSend, payload),
      tab.client.transport.request(ClientEvent.MessageSend, payload),
    ]);
    for (const ack of duplicates) expect(ack).toEqual({ ok: true, data: entry.message });
    expect(await rowsFor(database.url, alice.id, entry.clientMsgId)).toHaveLength(1);

    await expect.poll(() => bobClient.messagesOf(conversationId).map((m) => m.id)).toEqual([row!.id]);
    expect(await bobClient.sync()).toBe(true);
    expect(bobClient.messagesOf(conversationId)).toEqual([entry.message]);
    expect(bobClient.received.filter((d) => d.message.id === row!.id)).toHaveLength(1);
    expect(bobClient.conflicts).toEqual([]);
    // Retries are broadcast again on purpose; every copy is the same stored message.
    for (const copy of bobClient.copiesOf(row!.id)) expect(copy.message).toEqual(entry.message);
  });

  it('before the commit: nothing is stored, and the retry after the restart stores it once with the next seq', async () => {
    const before = await readStoredMessages(database.url);
    await server.restart({ failpoints: ['message-send:before-commit'] });
    const aliceClient = await connectClient(alice, 'alice');
    const bobClient = await connectClient(bob, 'bob');

    const entry = aliceClient.send(conversationId, 'lost with the crash');
    expect(await server.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await readStoredMessages(database.url)).toEqual(before);
    await expect.poll(() => entry.attempts.length).toBeGreaterThanOrEqual(1);
    expect(entry.state).toBe('pending');

    await server.start();
    await aliceClient.whenOutboxSettled(30_000);
    expect(entry.state).toBe('sent');
    const rows = await rowsFor(database.url, alice.id, entry.clientMsgId);
    expect(rows).toHaveLength(1);
    // The crashed transaction's seq was rolled back with it: no gap.
    expect(rows[0]).toMatchObject({ id: entry.message!.id, seq: before.length + 1 });

    await expect.poll(() => bobClient.messagesOf(conversationId).at(-1)?.id).toBe(rows[0]!.id);
    expect(bobClient.received.filter((d) => d.message.id === rows[0]!.id)).toHaveLength(1);
    expect(bobClient.messagesOf(conversationId).map((m) => m.seq)).toEqual(
      Array.from({ length: before.length + 1 }, (_, i) => i + 1),
    );
    expect(bobClient.conflicts).toEqual([]);
  });
});
