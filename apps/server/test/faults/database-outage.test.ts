import { ErrorCode } from '@parley/shared';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_SERVER_URL, type TestDatabase } from '../helpers/database.js';
import { useFaultScenario } from '../helpers/fault-scenario.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { sleep, type TestUser } from '../helpers/server.js';
import { readStoredMessages, rowsFor } from '../helpers/stored-messages.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

// "Quickly": the database pool gives up within a few seconds (acquireTimeout in plugins/prisma.ts),
// so a send is refused and stays in the outbox, well before the client's own timeout would fire.
const REFUSAL_WITHIN_MS = 5_000;
/**
 * A partition costs more: before opening a new connection the pool pings each idle one and waits
 * pingTimeout (250 ms) for it. Still well before the web client gives up on its own (10 s).
 */
const PARTITION_REFUSAL_WITHIN_MS = 8_000;
const CLIENT_ACK_TIMEOUT_MS = 10_000;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

describe('the database unavailable during a send', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let server: ServerProcess;
  let alice: TestUser;
  let bob: TestUser;
  let conversationId: number;

  const scenario = useFaultScenario({
    server: async (database) => {
      const target = new URL(TEST_DATABASE_SERVER_URL);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 3306) });
      const proxied = new URL(database.url);
      proxied.hostname = proxy.host;
      proxied.port = String(proxy.port);
      return { databaseUrl: proxied.toString() };
    },
    cleanup: async () => {
      await proxy?.close();
    },
  });
  const connectClient = (user: TestUser, name: string) =>
    scenario.connect({
      cookie: user.cookie,
      conversationIds: [conversationId],
      name,
      ackTimeoutMs: CLIENT_ACK_TIMEOUT_MS,
    });

  beforeAll(async () => {
    ({ database, server } = scenario);
    [alice, bob] = [await server.signUp(), await server.signUp()];
    conversationId = await server.createGroup(alice, [bob]);
  });

  afterEach(() => {
    proxy.restore();
  });

  it('is refused quickly with server/unavailable, kept pending, then stored once and delivered when the database returns', async () => {
    const aliceClient = await connectClient(alice, 'alice');
    const bobClient = await connectClient(bob, 'bob');
    aliceClient.send(conversationId, 'before the outage');
    await aliceClient.whenOutboxSettled();
    await expect.poll(() => bobClient.messagesOf(conversationId).length).toBe(1);
    const storedBefore = await readStoredMessages(database.url);

    proxy.cut();
    const entry = aliceClient.send(conversationId, 'during the outage');
    await expect
      .poll(() => entry.attempts.length, { timeout: REFUSAL_WITHIN_MS + 3_000 })
      .toBeGreaterThanOrEqual(1);
    expect(entry.attempts[0]).toMatchObject({ outcome: 'error', code: ErrorCode.Unavailable });
    expect(entry.attempts[0]!.durationMs).toBeLessThan(REFUSAL_WITHIN_MS);
    expect(entry.state).toBe('pending');

    // The process is alive and says why it is not ready.
    expect((await server.http('GET', '/healthz')).status).toBe(200);
    const notReady = await timed(() => server.http('GET', '/readyz'));
    expect(notReady.value).toMatchObject({
      status: 503,
      body: { status: 'unavailable', checks: { database: 'down' } },
    });
    expect(notReady.ms).toBeLessThan(REFUSAL_WITHIN_MS);

    // Still retrying, still not stored, nothing broadcast.
    await expect.poll(() => entry.attempts.length).toBeGreaterThanOrEqual(2);
    expect(entry.attempts.every((attempt) => attempt.code === ErrorCode.Unavailable)).toBe(true);
    expect(entry.state).toBe('pending');
    expect(await readStoredMessages(database.url)).toEqual(storedBefore);
    expect(bobClient.deliveries).toHaveLength(1);

    proxy.restore();
    await aliceClient.whenOutboxSettled(30_000);
    expect(entry.state).toBe('sent');
    const rows = await rowsFor(database.url, alice.id, entry.clientMsgId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: entry.message!.id, seq: 2 });
    await expect
      .poll(() => bobClient.messagesOf(conversationId).map((m) => m.id))
      .toEqual([storedBefore[0]!.id, rows[0]!.id]);
    expect(bobClient.received.filter((d) => d.message.id === rows[0]!.id)).toHaveLength(1);
    expect(bobClient.conflicts).toEqual([]);

    await expect
      .poll(async () => (await server.http('GET', '/readyz')).body)
      .toMatchObject({ status: 'ready', checks: { database: 'up' } });
    expect(server.isRunning).toBe(true);
    expect(server.exits).toEqual([]);
  });

  it('lets a client that reconnects during the outage back in once the database returns, and it catches up', async () => {
    const aliceClient = await connectClient(alice, 'alice');
    const bobClient = await connectClient(bob, 'bob');
    await expect.poll(() => bobClient.messagesOf(conversationId).length).toBeGreaterThan(0);
    const heldBefore = bobClient.messagesOf(conversationId).length;

    proxy.cut();
    // Bob's connection drops while the database is away: the handshake needs his session.
    bobClient.goOffline();
    bobClient.startConnecting();
    await expect.poll(() => bobClient.connectErrors).toContain(ErrorCode.Unavailable);
    const entry = aliceClient.send(conversationId, 'while bob was locked out');

    proxy.restore();
    await aliceClient.whenOutboxSettled(30_000);
    await expect.poll(() => bobClient.connected).toBe(true);
    await expect
      .poll(() => bobClient.messagesOf(conversationId).map((m) => m.id))
      .toContain(entry.message!.id);
    expect(bobClient.messagesOf(conversationId)).toHaveLength(heldBefore + 1);
    expect(bobClient.conflicts).toEqual([]);
    expect(server.exits).toEqual([]);
  });

  it('is refused within seconds when the database stops answering (a partition), and stored once when it answers again', async () => {
    const aliceClient = await connectClient(alice, 'alice');
    const bobClient = await connectClient(bob, 'bob');
    const heldBefore = bobClient.messagesOf(conversationId).length;
    // Idle pooled connections are checked before use, so none of them is stuck mid-query.
    await sleep(1_000);

    proxy.cut('blackhole');
    const entry = aliceClient.send(conversationId, 'during the partition');
    await expect
      .poll(() => entry.attempts.length, { timeout: PARTITION_REFUSAL_WITHIN_MS + 3_000 })
      .toBeGreaterThanOrEqual(1);
    expect(entry.attempts[0]).toMatchObject({ outcome: 'error', code: ErrorCode.Unavailable });
    expect(entry.attempts[0]!.durationMs).toBeLessThan(PARTITION_REFUSAL_WITHIN_MS);
    expect(entry.state).toBe('pending');

    proxy.restore();
    await aliceClient.whenOutboxSettled(30_000);
    expect(await rowsFor(database.url, alice.id, entry.clientMsgId)).toHaveLength(1);
    await expect
      .poll(() => bobClient.messagesOf(conversationId).map((m) => m.id))
      .toContain(entry.message!.id);
    expect(bobClient.messagesOf(conversationId)).toHaveLength(heldBefore + 1);
    expect(server.exits).toEqual([]);
  });
});
