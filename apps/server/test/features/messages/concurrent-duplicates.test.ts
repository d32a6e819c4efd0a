// One clientMsgId sent at the same moment from several sockets of one user, on one process and on
// two: stored once, and every send answered with that one message (docs/protocol.md, "Sending
// messages reliably": the text stored first wins if a resend differs).
import { randomUUID } from 'node:crypto';
import { ErrorCode, type Ack, type Message } from '@parley/shared';
import * as mariadb from 'mariadb';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { parseDatabaseUrl } from '../../../src/db/migrate.js';
import { waitForConversationLockWaits } from '../../helpers/conversation-locks.js';
import { readStoredMessages } from '../../helpers/stored-messages.js';
import {
  ackCode,
  collectEvents,
  createGroup,
  messageBarrier,
  okData,
  startSecondProcess,
  startTestServer,
  type ClientSocket,
  type SecondProcess,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

const ROUNDS = 10;

describe('the same clientMsgId from several sockets at once', () => {
  let t: TestServer;
  let second: SecondProcess;
  let alice: TestUser;
  let bob: TestUser;
  let groupId: number;
  let otherGroupId: number;
  /** Alice's tabs: two on the first process, one on the second. */
  let tabs: ClientSocket[];
  let bobSocket: ClientSocket;

  beforeAll(async () => {
    t = await startTestServer({ redis: true, env: { SOCKET_RATE_LIMIT: '10000' } });
    second = await startSecondProcess(t);
    [alice, bob] = [await t.signUp(), await t.signUp()];
    groupId = (await createGroup(t, alice, [bob])).id;
    otherGroupId = (await createGroup(t, alice, [bob], 'Other')).id;
    tabs = [
      await t.connectSocket(alice.cookie),
      await t.connectSocket(alice.cookie),
      await second.connectSocket(alice.cookie),
    ];
    bobSocket = await second.connectSocket(bob.cookie);
  });
  afterAll(async () => {
    await second?.close();
    await t?.close();
  });

  const send = (socket: ClientSocket, conversationId: number, clientMsgId: string, text: string) =>
    socket.emitWithAck('message:send', { conversationId, clientMsgId, text });

  it('with different texts: stored once, every tab answered with the stored one, never an error', async () => {
    const heardByBob = collectEvents(bobSocket, 'message:new');
    for (let round = 0; round < ROUNDS; round += 1) {
      const clientMsgId = randomUUID();
      const acks = await Promise.all(
        tabs.map((tab, index) => send(tab, groupId, clientMsgId, `round ${round} from tab ${index}`)),
      );
      const messages = acks.map((ack: Ack<Message>) => {
        if (!ack.ok) throw new Error(`round ${round}: ${ack.error.code}`);
        return ack.data;
      });
      // One message: the same id, seq and text in every answer, whichever tab's text was stored.
      expect(new Set(messages.map((m) => JSON.stringify([m.id, m.seq, m.text]))).size).toBe(1);
      const rows = (await readStoredMessages(t.config.databaseUrl)).filter(
        (row) => row.clientMsgId === clientMsgId,
      );
      expect(rows.map((row) => [row.id, row.text])).toEqual([[messages[0]!.id, messages[0]!.text]]);
    }
    // Bob may be told of a message once per answer; every copy is the stored message.
    await messageBarrier(tabs[0]!, bobSocket, groupId);
    const stored = new Map((await readStoredMessages(t.config.databaseUrl)).map((row) => [row.id, row.text]));
    for (const message of heardByBob) expect(message.text).toBe(stored.get(message.id));
    const seqs = (await readStoredMessages(t.config.databaseUrl))
      .filter((row) => row.conversationId === groupId)
      .map((row) => row.seq);
    expect(seqs).toEqual(seqs.map((_, index) => index + 1));
  });

  it('into two conversations: one is stored, the other refused with request/invalid, never server/internal', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const clientMsgId = randomUUID();
      // The first process's tab into one group, the second process's into the other, at once.
      const [here, there] = await Promise.all([
        send(tabs[0]!, groupId, clientMsgId, `round ${round} here`),
        send(tabs[2]!, otherGroupId, clientMsgId, `round ${round} there`),
      ]);
      expect([ackCode(here), ackCode(there)].sort()).toEqual([ErrorCode.Invalid, 'ok'].sort());
      const rows = (await readStoredMessages(t.config.databaseUrl)).filter(
        (row) => row.clientMsgId === clientMsgId,
      );
      expect(rows).toHaveLength(1);
      const stored = here.ok ? here.data : there.ok ? there.data : null;
      expect(rows[0]!.id).toBe(stored!.id);
    }
  });
});

describe('a batch whose INSERT keeps meeting duplicates other processes commit meanwhile', () => {
  it('answers each of its sends, never server/internal', async () => {
    // One batch at a time, so the two sends below gather into one batch behind the first.
    const t = await startTestServer({
      env: { BATCH_CONNECTIONS: '1', DATABASE_LOCK_WAIT_TIMEOUT_S: '30', DATABASE_POOL_TIMEOUT_MS: '20000' },
    });
    const raws = await Promise.all(
      [0, 1, 2].map(() => mariadb.createConnection(parseDatabaseUrl(t.config.databaseUrl))),
    );
    onTestFinished(async () => {
      await Promise.all(raws.map((raw) => raw.end()));
      await t.close();
    });
    const [lock, elsewhereAlice, elsewhereBob] = raws as [
      mariadb.Connection,
      mariadb.Connection,
      mariadb.Connection,
    ];
    const [alice, bob, carol] = [await t.signUp(), await t.signUp(), await t.signUp()];
    const groupId = (await createGroup(t, carol, [alice, bob])).id;
    const aliceElsewhere = (await createGroup(t, alice, [carol], 'Alice elsewhere')).id;
    const bobElsewhere = (await createGroup(t, bob, [carol], 'Bob elsewhere')).id;
    const aliceSocket = await t.connectSocket(alice.cookie);
    const bobSocket = await t.connectSocket(bob.cookie);
    const carolSocket = await t.connectSocket(carol.cookie);
    const [x, y] = [randomUUID(), randomUUID()];

    // Carol's send holds the store's connection, waiting for the group's lock...
    await lock.query('BEGIN');
    await lock.query('SELECT id FROM conversations WHERE id = ? FOR UPDATE', [groupId]);
    const carols = carolSocket.emitWithAck('message:send', {
      conversationId: groupId,
      clientMsgId: randomUUID(),
      text: 'first',
    });
    await waitForConversationLockWaits(lock);
    // ...while alice's and bob's gather into the next batch (an answered event after each says the
    // server has taken the send before it).
    const alices = aliceSocket.emitWithAck('message:send', {
      conversationId: groupId,
      clientMsgId: x,
      text: 'x',
    });
    const bobs = bobSocket.emitWithAck('message:send', {
      conversationId: groupId,
      clientMsgId: y,
      text: 'y',
    });
    okData(await aliceSocket.emitWithAck('typing:stop', { conversationId: groupId }));
    okData(await bobSocket.emitWithAck('typing:stop', { conversationId: groupId }));
    // Other processes are storing the same clientMsgIds in other conversations, not committed yet.
    const plant = (raw: mariadb.Connection, conversationId: number, senderId: number, clientMsgId: string) =>
      raw.query(
        `INSERT INTO messages (conversationId, seq, senderId, clientMsgId, type, text, createdAt, changeSeq)
         VALUES (?, 1000, ?, ?, 'text', 'stored elsewhere', NOW(3), 1000)`,
        [conversationId, senderId, clientMsgId],
      );
    await elsewhereAlice.query('BEGIN');
    await plant(elsewhereAlice, aliceElsewhere, alice.id, x);
    await elsewhereBob.query('BEGIN');
    await plant(elsewhereBob, bobElsewhere, bob.id, y);
    await lock.query('ROLLBACK');
    okData(await carols);

    // The batch's INSERT waits for one of the duplicates, which commits: the batch runs again, sees
    // it, and inserts the other send, which waits for the other duplicate, which commits too.
    const uncommitted = new Set([elsewhereAlice, elsewhereBob]);
    while (uncommitted.size > 0) {
      const blocking = await waitForBlocker(lock, [...uncommitted]);
      await blocking.query('COMMIT');
      uncommitted.delete(blocking);
    }

    // Each clientMsgId is taken in another conversation now: a final, stable answer for both.
    expect(ackCode(await alices)).toBe(ErrorCode.Invalid);
    expect(ackCode(await bobs)).toBe(ErrorCode.Invalid);
  });
});

/** Resolves with the one of `candidates` whose transaction holds a lock another transaction waits for. */
async function waitForBlocker(
  observer: mariadb.Connection,
  candidates: mariadb.Connection[],
): Promise<mariadb.Connection> {
  let blocking: mariadb.Connection | undefined;
  await expect
    .poll(
      async () => {
        const rows: Array<{ thread: bigint | number }> = await observer.query(
          `SELECT b.trx_mysql_thread_id AS thread FROM information_schema.INNODB_LOCK_WAITS w
           JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id`,
        );
        const threads = new Set(rows.map((row) => Number(row.thread)));
        blocking = candidates.find((candidate) => threads.has(candidate.threadId ?? -1));
        return blocking !== undefined;
        // InnoDB serves these tables from a snapshot it takes again only once reads pause for 0.1 s.
      },
      { interval: 200 },
    )
    .toBe(true);
  return blocking!;
}
