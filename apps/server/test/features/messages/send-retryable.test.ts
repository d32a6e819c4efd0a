// A send the database cannot take right now is answered as retryable, never as the final
// server/internal, and the client's retry with the same clientMsgId stores it exactly once.
import { randomUUID } from 'node:crypto';
import { ErrorCode, type Ack, type ConnectErrorData, type Message } from '@parley/shared';
import * as mariadb from 'mariadb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../../src/db/migrate.js';
import {
  storeBatch,
  type BatchOutcome,
  type HeldConversations,
  type PendingMessage,
} from '../../../src/features/messages/message-batch-store.js';
import { createStorePool } from '../../../src/plugins/store-pool.js';
import { BUSY_RETRY_AFTER_MS } from '../../../src/lib/app-error.js';
import { waitForConversationLockWaits } from '../../helpers/conversation-locks.js';
import { rowsFor } from '../../helpers/stored-messages.js';
import {
  connectSocketTo,
  createGroup,
  okData,
  startTestServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

describe('a send the database cannot take right now', () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let socket: ClientSocket;
  let bobSocket: ClientSocket;
  let conversationId: number;
  let raw: mariadb.Connection;
  let ownMessageId: number;

  beforeAll(async () => {
    t = await startTestServer({
      env: {
        DATABASE_POOL_SIZE: '1',
        DATABASE_POOL_TIMEOUT_MS: '300',
        DATABASE_LOCK_WAIT_TIMEOUT_S: '2',
        // One batch at a time, so a send can find the store's only connection in use.
        BATCH_CONNECTIONS: '1',
      },
    });
    alice = await t.signUp();
    bob = await t.signUp();
    conversationId = (await createGroup(t, alice, [bob])).id;
    socket = await t.connectSocket(alice.cookie);
    bobSocket = await t.connectSocket(bob.cookie);
    raw = await mariadb.createConnection(parseDatabaseUrl(t.config.databaseUrl));
    ownMessageId = okData(await send(socket, randomUUID())).id;
  });

  afterAll(async () => {
    await raw?.end();
    await t?.close();
  });

  const send = (from: ClientSocket, clientMsgId: string): Promise<Ack<Message>> =>
    from.emitWithAck('message:send', { conversationId, clientMsgId, text: `text of ${clientMsgId}` });

  /**
   * An edit holds one of Prisma's pooled connections while it waits for the conversation's lock
   * (sends wait on the store's own connections, send-batcher.ts).
   */
  const edit = (): Promise<Ack<Message>> =>
    socket.emitWithAck('message:edit', { conversationId, messageId: ownMessageId, text: 'edited' });

  /**
   * Resolves with the connection id of the one write waiting for the conversation's lock: a send
   * batch locking it (`SELECT … FOR UPDATE`) or an edit moving its change number (`UPDATE`).
   */
  async function waitForLockWait(): Promise<number> {
    const [id] = await waitForConversationLockWaits(raw);
    return id!;
  }

  /** Holds a row lock on the conversation from another connection while `work` runs. */
  async function withConversationLocked<T>(work: () => Promise<T>): Promise<T> {
    await raw.query('BEGIN');
    try {
      await raw.query('SELECT id FROM conversations WHERE id = ? FOR UPDATE', [conversationId]);
      return await work();
    } finally {
      await raw.query('ROLLBACK');
    }
  }

  it('with every store connection in use, is answered server/busy with retryAfterMs, and the retry stores it once', async () => {
    const clientMsgId = randomUUID();

    const [first, refused] = await withConversationLocked(async () => {
      // Alice's send's batch takes the store's only connection and waits for the lock with it.
      const waiting = send(socket, randomUUID());
      await waitForLockWait();
      return [waiting, await send(bobSocket, clientMsgId)] as const;
    });
    const retried = await send(bobSocket, clientMsgId);

    expect(refused).toMatchObject({
      ok: false,
      error: { code: ErrorCode.Busy, retryAfterMs: BUSY_RETRY_AFTER_MS },
    });
    expect(okData(await first).conversationId).toBe(conversationId);
    expect(okData(retried).clientMsgId).toBe(clientMsgId);
    expect(await rowsFor(t.config.databaseUrl, bob.id, clientMsgId)).toHaveLength(1);
  });

  it('a handshake while every connection of the connect path is in use is refused server/busy with retryAfterMs, and the retry connects', async () => {
    // Every connection of the pool the handshake reads on (sessions, conversations: readPool).
    const held: mariadb.PoolConnection[] = [];
    for (;;) {
      try {
        held.push(await t.server.readPool.getConnection());
      } catch {
        break;
      }
    }
    let refusal: ConnectErrorData | null;
    try {
      refusal = await connectSocketTo(t.url, bob.cookie).then(
        (connected) => {
          connected.close();
          return null;
        },
        (error: Error & { data?: ConnectErrorData }) => error.data ?? null,
      );
    } finally {
      await Promise.all(held.map((connection) => connection.release()));
    }
    const retried = await connectSocketTo(t.url, bob.cookie);
    retried.close();

    expect(held.length).toBeGreaterThan(0);
    expect(refusal).toEqual({ code: ErrorCode.Busy, retryAfterMs: BUSY_RETRY_AFTER_MS });
  });

  it('a handshake does not wait for the pool of the other queries: it connects while that pool is in use', async () => {
    const outcome = await withConversationLocked(async () => {
      // The edit holds Prisma's only connection while it waits for the lock.
      const waiting = edit();
      await waitForLockWait();
      const handshake = await connectSocketTo(t.url, bob.cookie).then(
        (connected) => {
          connected.close();
          return 'connected';
        },
        (error: Error & { data?: ConnectErrorData }) => error.data ?? error.message,
      );
      await waiting;
      return handshake;
    });

    expect(outcome).toBe('connected');
  });

  it('an HTTP request while every pool connection is in use is answered 503 server/busy with Retry-After', async () => {
    const response = await withConversationLocked(async () => {
      const waiting = edit();
      await waitForLockWait();
      const answer = await t.http('GET', '/api/conversations', { cookie: bob.cookie });
      await waiting;
      return answer;
    });

    expect(response.status).toBe(503);
    expect(response.body).toEqual({
      error: { code: ErrorCode.Busy, message: expect.any(String), retryAfterMs: BUSY_RETRY_AFTER_MS },
    });
    expect(response.headers.get('retry-after')).toBe('1');
  });

  it('behind a row lock held past the lock wait timeout, is answered server/busy, and the retry stores it once', async () => {
    const clientMsgId = randomUUID();

    const refused = await withConversationLocked(() => send(socket, clientMsgId));
    const retried = await send(socket, clientMsgId);

    expect(refused).toMatchObject({ ok: false, error: { code: ErrorCode.Busy } });
    expect(okData(retried).clientMsgId).toBe(clientMsgId);
    expect(await rowsFor(t.config.databaseUrl, alice.id, clientMsgId)).toHaveLength(1);
  });

  it('whose database connection is lost mid-transaction, is answered server/unavailable, and the retry stores it once', async () => {
    const clientMsgId = randomUUID();

    const refused = await withConversationLocked(async () => {
      const pending = send(socket, clientMsgId);
      // The send's transaction waits for the lock: cut its connection there.
      await raw.query(`KILL CONNECTION ${await waitForLockWait()}`);
      return pending;
    });
    const retried = await send(socket, clientMsgId);

    expect(refused).toMatchObject({ ok: false, error: { code: ErrorCode.Unavailable } });
    expect(okData(retried).clientMsgId).toBe(clientMsgId);
    expect(await rowsFor(t.config.databaseUrl, alice.id, clientMsgId)).toHaveLength(1);
  });
});

describe('a batch with one conversation held past the lock wait timeout', () => {
  let t: TestServer;
  let raw: mariadb.Connection;

  beforeAll(async () => {
    t = await startTestServer({
      // One lane, so that sends to any conversations are written in one batch; a short lock wait.
      env: { DATABASE_LOCK_WAIT_TIMEOUT_S: '1', BATCH_CONNECTIONS: '1' },
    });
    raw = await mariadb.createConnection(parseDatabaseUrl(t.config.databaseUrl));
  });

  afterAll(async () => {
    await raw?.end();
    await t?.close();
  });

  it('refuses only the sends to that conversation: the others of the batch are stored', async () => {
    const [alice, bob, carol] = [await t.signUp(), await t.signUp(), await t.signUp()];
    const held = (await createGroup(t, alice, [carol])).id;
    const elsewhere = (await createGroup(t, bob, [])).id;
    const [aliceSocket, bobSocket, carolSocket] = [
      await t.connectSocket(alice.cookie),
      await t.connectSocket(bob.cookie),
      await t.connectSocket(carol.cookie),
    ];
    const send = (from: ClientSocket, conversationId: number, clientMsgId: string) =>
      from.emitWithAck('message:send', { conversationId, clientMsgId, text: `text of ${clientMsgId}` });
    const [carols, bobs] = [randomUUID(), randomUUID()];

    await raw.query('BEGIN');
    let answers: Array<Ack<Message>>;
    try {
      await raw.query('SELECT id FROM conversations WHERE id = ? FOR UPDATE', [held]);
      // Alice's batch waits for the held conversation (1 s, the lock wait timeout); meanwhile Carol's
      // send to it and Bob's to another group queue behind it, and are written together in the next.
      const first = send(aliceSocket, held, randomUUID());
      await waitForConversationLockWaits(raw);
      answers = await Promise.all([first, send(carolSocket, held, carols), send(bobSocket, elsewhere, bobs)]);
    } finally {
      await raw.query('ROLLBACK');
    }
    const [first, refused, stored] = answers;

    expect(first).toMatchObject({ ok: false, error: { code: ErrorCode.Busy } });
    expect(refused).toMatchObject({ ok: false, error: { code: ErrorCode.Busy } });
    expect(okData(stored!)).toMatchObject({ conversationId: elsewhere, clientMsgId: bobs });
    expect(okData(await send(carolSocket, held, carols)).clientMsgId).toBe(carols);
    expect(await rowsFor(t.config.databaseUrl, carol.id, carols)).toHaveLength(1);
    expect(await rowsFor(t.config.databaseUrl, bob.id, bobs)).toHaveLength(1);
  });
  it('remembers the held conversation: later batches skip it at once, until it is free again', async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const held = (await createGroup(t, alice, [])).id;
    const elsewhere = (await createGroup(t, bob, [])).id;
    const pending = (conversationId: number, sender: TestUser): PendingMessage => ({
      conversationId,
      senderId: sender.id,
      clientMsgId: randomUUID(),
      text: 'text',
      replyToId: null,
      attachmentId: null,
    });
    const kinds = (outcomes: BatchOutcome[]) =>
      outcomes.map((outcome) => (outcome.kind === 'refused' ? outcome.error.code : outcome.kind));
    const heldConversations: HeldConversations = new Set();
    // A pool whose lock wait is an hour: a batch on it that waited for the held row would not return.
    const patient = createStorePool({
      databaseUrl: t.config.databaseUrl,
      connections: 1,
      pool: { poolTimeoutMs: 3_000, lockWaitTimeoutSeconds: 3_600 },
    });
    try {
      await raw.query('BEGIN');
      try {
        await raw.query('SELECT id FROM conversations WHERE id = ? FOR UPDATE', [held]);
        // The server's pool waits its 1 s, then skips the held conversation and remembers it.
        const batch = [pending(held, alice), pending(elsewhere, bob)];
        expect(kinds(await storeBatch(t.server.storePool, batch, new Date(), heldConversations))).toEqual([
          ErrorCode.Busy,
          'stored',
        ]);
        expect([...heldConversations]).toEqual([held]);
        const again = [pending(held, alice), pending(elsewhere, bob)];
        expect(kinds(await storeBatch(patient, again, new Date(), heldConversations))).toEqual([
          ErrorCode.Busy,
          'stored',
        ]);
      } finally {
        await raw.query('ROLLBACK');
      }
      // Free again: the next batch to touch it locks it, stores, and forgets it was held.
      expect(kinds(await storeBatch(patient, [pending(held, alice)], new Date(), heldConversations))).toEqual(
        ['stored'],
      );
      expect(heldConversations.size).toBe(0);
    } finally {
      await patient.end();
    }
  });
});
