// Sends that passed the session check but still wait (in their sender's lane, or for their batch)
// when the sender is deactivated: refused, never stored after the deactivation.
import { randomUUID } from 'node:crypto';
import { ErrorCode, type Message } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForConversationLockWaits } from '../../helpers/conversation-locks.js';
import { holdAtFailpoint } from '../../../src/lib/failpoints.js';
import {
  closeDeactivationScene,
  deactivateDuringHold,
  newMember,
  startDeactivationScene,
  writesOf,
  type DeactivationScene,
} from '../../helpers/deactivation.js';
import { readStoredMessages } from '../../helpers/stored-messages.js';
import { nextEvent, okData } from '../../helpers/server.js';

describe('a deactivation while the account’s sends are waiting', () => {
  let scene: DeactivationScene;

  beforeAll(async () => {
    // One batch at a time: a batch behind another starts only once that one has finished.
    scene = await startDeactivationScene({ BATCH_CONNECTIONS: '1', SEND_QUEUE_MAX_WAIT_MS: '30000' });
  });

  afterAll(() => closeDeactivationScene(scene));

  it('refuses them with auth/deactivated instead of storing them after it', async () => {
    const { t, alice, aliceSocket, bobSocket, conversationId, raw } = scene;
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

  it('stores a send whose batch read the account before the deactivation before the deactivation returns, never after', async () => {
    const { t, raw } = scene;
    const carol = await newMember(scene);
    const hold = holdAtFailpoint('message-send:before-commit');
    const sent = t.http<{ message?: Message }>(
      'POST',
      `/api/conversations/${carol.conversationId}/messages`,
      {
        cookie: carol.user.cookie,
        body: { clientMsgId: randomUUID(), text: 'read as active' },
      },
    );
    // The batch has read carol as active and holds its locks, between its two round trips.
    await hold.reached;

    const writtenWhenDeactivated = await deactivateDuringHold(scene, hold, carol.user.id);
    const answer = await sent;

    expect(answer.status).toBe(200);
    const written = await writesOf(raw, carol.user.id);
    expect(written).toMatchObject({ messages: [{ id: answer.body.message!.id, text: 'read as active' }] });
    // Nothing of carol's was written once the deactivation had returned.
    expect(writtenWhenDeactivated).toEqual(written);
  });
});
