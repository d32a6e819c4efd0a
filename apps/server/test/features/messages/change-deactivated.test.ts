// Edits, deletes and reactions that passed the session check but still wait for the conversation's
// lock when their author is deactivated: refused, never written after the deactivation.
import { ErrorCode, type Message } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForConversationLockWaits } from '../../helpers/conversation-locks.js';
import { holdAtFailpoint } from '../../../src/lib/failpoints.js';
import {
  closeDeactivationScene,
  deactivateDuringHold,
  newMember,
  openTransactions,
  startDeactivationScene,
  writesOf,
  waitForTransactionsToEnd,
  type DeactivationScene,
} from '../../helpers/deactivation.js';
import { nextEvent, okData, sendText } from '../../helpers/server.js';

describe('a deactivation while the account’s edits, deletes and reactions wait for the lock', () => {
  let scene: DeactivationScene;

  beforeAll(async () => {
    scene = await startDeactivationScene();
  });

  afterAll(() => closeDeactivationScene(scene));

  it('refuses them with auth/deactivated instead of writing them after it', async () => {
    const { t, alice, bob, aliceSocket, bobSocket, conversationId, raw } = scene;
    const toEdit = await sendText(aliceSocket, conversationId, 'as first written');
    const toDelete = await sendText(aliceSocket, conversationId, 'to be deleted');
    const bobs = await sendText(bobSocket, conversationId, 'react to me');
    const [before] = await raw.query<Array<{ lastChangeSeq: number }>>(
      'SELECT lastChangeSeq FROM conversations WHERE id = ?',
      [conversationId],
    );

    await raw.query('BEGIN');
    await raw.query('SELECT id FROM conversations WHERE id = ? FOR UPDATE', [conversationId]);
    const answers = [
      aliceSocket.emitWithAck('message:edit', { conversationId, messageId: toEdit.id, text: 'rewritten' }),
      aliceSocket.emitWithAck('message:delete', { conversationId, messageId: toDelete.id }),
      aliceSocket.emitWithAck('message:react', { conversationId, messageId: bobs.id, emoji: '👍', on: true }),
    ].map((ack) =>
      ack.then(
        () => 'answered',
        (error: Error) => error.message,
      ),
    );
    // All three passed the session check and their reads, and wait to move the change number.
    const waiting = await waitForConversationLockWaits(raw, 3);

    const ended = nextEvent(aliceSocket, 'session:ended');
    await t.server.accounts.deactivate(alice.id);
    expect(await ended).toMatchObject({ code: ErrorCode.AccountDeactivated });
    await raw.query('ROLLBACK');

    expect(await Promise.all(answers)).toEqual(Array(3).fill('socket has been disconnected'));
    await waitForTransactionsToEnd(raw, waiting);

    const rows = await raw.query<
      Array<{ id: number; text: string; editedAt: Date | null; deletedAt: Date | null }>
    >('SELECT id, text, editedAt, deletedAt FROM messages WHERE id IN (?) ORDER BY id', [
      [toEdit.id, toDelete.id],
    ]);
    expect(rows).toEqual([
      { id: toEdit.id, text: 'as first written', editedAt: null, deletedAt: null },
      { id: toDelete.id, text: 'to be deleted', editedAt: null, deletedAt: null },
    ]);
    const [reactions] = await raw.query<Array<{ count: bigint }>>(
      'SELECT COUNT(*) AS count FROM reactions WHERE userId = ?',
      [alice.id],
    );
    expect(Number(reactions!.count)).toBe(0);
    const [after] = await raw.query<Array<{ lastChangeSeq: number }>>(
      'SELECT lastChangeSeq FROM conversations WHERE id = ?',
      [conversationId],
    );
    expect(after!.lastChangeSeq).toBe(before!.lastChangeSeq);

    // Bob, still active, changes the same conversation as before.
    const reacted: Message = okData(
      await bobSocket.emitWithAck('message:react', {
        conversationId,
        messageId: bobs.id,
        emoji: '👍',
        on: true,
      }),
    );
    expect(reacted.reactions).toEqual([{ emoji: '👍', userIds: [bob.id] }]);
  });

  it.each(['message:edit', 'message:delete', 'message:react'] as const)(
    'writes a %s that read the account before the deactivation before the deactivation returns, never after',
    async (event) => {
      const { raw } = scene;
      const carol = await newMember(scene);
      const own = await sendText(carol.socket, carol.conversationId, 'as first written');
      const target = { conversationId: carol.conversationId, messageId: own.id };
      const hold = holdAtFailpoint('message-change:before-write');
      const ack =
        event === 'message:edit'
          ? carol.socket.emitWithAck(event, { ...target, text: 'rewritten' })
          : event === 'message:delete'
            ? carol.socket.emitWithAck(event, target)
            : carol.socket.emitWithAck(event, { ...target, emoji: '👍', on: true });
      // Answered or not: the deactivation ends carol's socket, maybe before the change is answered.
      const answered = ack.then(
        () => undefined,
        () => undefined,
      );
      // The change has read carol as active, its conversation locked, and has written nothing yet.
      await hold.reached;
      const held = await openTransactions(raw);

      const writtenWhenDeactivated = await deactivateDuringHold(scene, hold, carol.user.id);
      await answered;
      await waitForTransactionsToEnd(raw, held);

      const written = await writesOf(raw, carol.user.id);
      expect(written).not.toEqual({
        messages: [{ id: own.id, text: 'as first written', editedAt: null, deletedAt: null }],
        reactions: [],
      });
      // Nothing of carol's was written once the deactivation had returned.
      expect(writtenWhenDeactivated).toEqual(written);
    },
  );
});
