// Sends that passed the session check but still wait (in their sender's lane, or for their batch)
// when the sender is deactivated: refused, never stored after the deactivation.
import { randomUUID } from 'node:crypto';
import { ErrorCode, type Message } from '@parley/shared';
import * as mariadb from 'mariadb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../../src/db/migrate.js';
import { waitForConversationLockWaits } from '../../helpers/conversation-locks.js';
import { readStoredMessages } from '../../helpers/stored-messages.js';
import {
  createGroup,
  nextEvent,
  okData,
  startTestServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

describe('a deactivation while the account’s sends are waiting', () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let aliceSocket: ClientSocket;
  let bobSocket: ClientSocket;
  let conversationId: number;
  let raw: mariadb.Connection;

  beforeAll(async () => {
    t = await startTestServer({
      // One batch at a time: a batch behind another starts only once that one has finished.
      env: {
        BATCH_CONNECTIONS: '1',
        DATABASE_LOCK_WAIT_TIMEOUT_S: '30',
        DATABASE_POOL_TIMEOUT_MS: '20000',
        SEND_QUEUE_MAX_WAIT_MS: '30000',
      },
    });
    [alice, bob] = [await t.signUp(), await t.signUp()];
    conversationId = (await createGroup(t, bob, [alice])).id;
    [aliceSocket, bobSocket] = [await t.connectSocket(alice.cookie), await t.connectSocket(bob.cookie)];
    raw = await mariadb.createConnection(parseDatabaseUrl(t.config.databaseUrl));
  });

  afterAll(async () => {
    await raw?.end();
    await t?.close();
  });

  it('refuses them with auth/deactivated instead of storing them after it', async () => {
    await raw.query('BEGIN');
    await raw.query('SELECT id FROM conversations WHERE id = ? FOR UPDATE', [conversationId]);

    // Alice's first send (over HTTP, so its answer comes back whatever happens to her socket) is
    // in a batch that waits for the conversation's lock...
    const overHttp = t.http<{ error?: { code: string }; message?: Message }>(
      'POST',
      `/api/conversations/${conversationId}/messages`,
      { cookie: alice.cookie, body: { clientMsgId: randomUUID(), text: 'in a batch' } },
    );
    await waitForConversationLockWaits(raw);
    // ...and her socket's send waits in her lane behind it. A later event of the same socket being
    // answered means the server has read the send before it and queued it.
    const inLane = aliceSocket
      .emitWithAck('message:send', { conversationId, clientMsgId: randomUUID(), text: 'in the lane' })
      .then(
        () => 'answered',
        (error: Error) => error.message,
      );
    okData(await aliceSocket.emitWithAck('typing:stop', { conversationId }));

    const ended = nextEvent(aliceSocket, 'session:ended');
    await t.server.accounts.deactivate(alice.id);
    expect(await ended).toMatchObject({ code: ErrorCode.AccountDeactivated });
    await raw.query('ROLLBACK');

    // Its answer never comes: the socket is ended before the send's turn.
    expect(await inLane).toBe('socket has been disconnected');
    const answer = await overHttp;
    expect(answer.status).toBe(403);
    expect(answer.body.error?.code).toBe(ErrorCode.AccountDeactivated);
    // Bob's send is stored in a batch after the one alice's queued send went into (one at a time).
    const later = okData(
      await bobSocket.emitWithAck('message:send', {
        conversationId,
        clientMsgId: randomUUID(),
        text: 'after',
      }),
    );

    const stored = await readStoredMessages(t.config.databaseUrl);
    expect(stored.filter((row) => row.senderId === alice.id)).toEqual([]);
    expect(stored.map((row) => row.id)).toContain(later.id);
  });
});
