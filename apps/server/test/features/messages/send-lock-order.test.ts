// The order in which a send batch and the other writers lock accounts' rows: every transaction that
// locks several users' rows takes them in id order, so a batch storing messages of several senders
// and a site admin's change (or presence's lastSeenAt UPDATE) never deadlock. A deadlock there made
// MariaDB roll one of them back: a site admin's action answered server/busy while people chatted,
// or a batch of sends refused.
import { randomUUID } from 'node:crypto';
import type * as mariadb from 'mariadb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeBatch, type PendingMessage } from '../../../src/features/messages/message-batch-store.js';
import { holdAtFailpoint } from '../../../src/lib/failpoints.js';
import { httpCode } from '../../helpers/groups.js';
import { closeLockScene, startLockScene, type LockScene } from '../../helpers/lock-scene.js';
import { ackCode, createGroup, type TestServer, type TestUser } from '../../helpers/server.js';
import { WAIT_CAP_MS } from '../../helpers/waits.js';

describe('lock order between send batches and changes of accounts', () => {
  let scene: LockScene;
  let t: TestServer;
  let raw: mariadb.Connection;
  let admin: TestUser;

  beforeAll(async () => {
    scene = await startLockScene();
    ({ t, raw, admin } = scene);
  });

  afterAll(() => closeLockScene(scene));

  const pending = (conversationId: number, sender: TestUser): PendingMessage => ({
    conversationId,
    senderId: sender.id,
    clientMsgId: randomUUID(),
    text: `from ${sender.username}`,
    replyToId: null,
    attachmentId: null,
  });

  /**
   * Resolves once a send batch's locking read of its senders waits (seen in the process list: the
   * statement is running on a connection of the test's database).
   */
  async function batchWaits(): Promise<void> {
    await expect
      .poll(
        async () => {
          const rows = await raw.query<unknown[]>(
            `SELECT ID FROM information_schema.PROCESSLIST
              WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND COMMAND = 'Query'
                AND INFO LIKE '%LOCK IN SHARE MODE%'`,
          );
          return rows.length;
        },
        { timeout: WAIT_CAP_MS },
      )
      .toBe(1);
  }

  it('an admin deactivating an account while it and another admin send in one batch: both finish', async () => {
    // The target's id is below the second admin's: a batch of both locks the target's row first.
    const target = await t.signUp();
    const second = await t.signUp();
    const promoted = await t.http('PUT', `/api/admin/users/${second.id}/role`, {
      cookie: admin.cookie,
      body: { role: 'admin' },
    });
    expect(httpCode(promoted)).toBe('ok');
    const conversationId = (await createGroup(t, second, [target])).id;

    // The admin's change has locked the admins' rows (the second admin's among them).
    const hold = holdAtFailpoint('admin-user-change:admins-locked');
    const deactivation = t.http('POST', `/api/admin/users/${target.id}/deactivate`, { cookie: admin.cookie });
    await hold.reached;
    // A batch with a message of each: it waits for the second admin's row.
    const batch = storeBatch(
      t.server.storePool,
      [pending(conversationId, target), pending(conversationId, second)],
      new Date(),
    );
    const outcome = batch.then(
      (outcomes) => ({ ok: true as const, outcomes }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    try {
      await batchWaits();
    } finally {
      hold.release();
    }

    // Before: the change then asked for the target's row, which the batch held shared: a deadlock,
    // and MariaDB rolled one of them back (the deactivation answered server/busy, or the batch failed).
    expect(httpCode(await deactivation)).toBe('ok');
    const settled = await outcome;
    expect(settled.ok ? settled.outcomes.map((o) => o.kind) : settled.error).toEqual(
      // The deactivation committed first: the target's message is refused, the admin's stored.
      ['refused', 'stored'],
    );
  });

  // The batch locks its senders' rows in a statement of their own, in id order. Before, they were
  // locked by its membership read, in the order of the plan (memberships_userId_idx gave id order in
  // every distribution tried, 50–2,000 users, 3–40 members a group; the primary key would have given
  // conversation order): this guards the order the admin's change and presence's UPDATE rely on.
  it('a batch locks its senders in id order, as an UPDATE of several users does: no deadlock', async () => {
    const [low, high] = [await t.signUp(), await t.signUp()];
    const other = await t.signUp();
    // The lower conversation is the higher user's: the batch's memberships, read in key order, would
    // lock the higher user first.
    const first = (await createGroup(t, high, [other])).id;
    const second = (await createGroup(t, low, [other])).id;
    expect(first).toBeLessThan(second);

    // A transaction locking both users' rows in id order (as presence's UPDATE of lastSeenAt and a site
    // admin's change do), its first lock taken.
    await raw.query('START TRANSACTION');
    await raw.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [low.id]);
    const batch = storeBatch(t.server.storePool, [pending(first, high), pending(second, low)], new Date());
    const outcome = batch.then(
      (outcomes) => ({ ok: true as const, outcomes }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    await batchWaits();
    // Were the batch to hold the higher user's row (shared), this would wait for it while the batch
    // waited for the lower one's: a deadlock, one of the two rolled back.
    const secondLock = await raw.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [high.id]).then(
      () => 'locked',
      (error: { code?: string }) => error.code ?? String(error),
    );
    await raw.query('COMMIT');
    expect(secondLock).toBe('locked');
    const settled = await outcome;
    expect(settled.ok ? settled.outcomes.map((o) => o.kind) : settled.error).toEqual(['stored', 'stored']);
  });

  it("a member's read report while their own send is being stored: both are answered ok", async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const conversationId = (await createGroup(t, bob, [alice])).id;
    const [aliceSocket, bobSocket] = [await t.connectSocket(alice.cookie), await t.connectSocket(bob.cookie)];
    const text = (words: string) => ({ conversationId, clientMsgId: randomUUID(), text: words });
    expect(ackCode(await bobSocket.emitWithAck('message:send', text('hello')))).toBe('ok');

    // Alice's send is held between its batch's two round trips, its locks taken.
    const hold = holdAtFailpoint('message-send:before-commit');
    const send = aliceSocket.emitWithAck('message:send', text('hi'));
    await hold.reached;
    // Her read report (not queued behind her sends) raises her membership's positions meanwhile.
    let readAnswered = false;
    const read = aliceSocket.emitWithAck('conversation:read', { conversationId, seq: 1 }).finally(() => {
      readAnswered = true;
    });
    try {
      await expect
        .poll(
          async () => {
            if (readAnswered) return true;
            const waiting = await raw.query<unknown[]>(
              `SELECT ID FROM information_schema.PROCESSLIST
                WHERE DB = DATABASE() AND COMMAND = 'Query' AND INFO LIKE 'UPDATE memberships%'`,
            );
            return waiting.length > 0;
          },
          { timeout: WAIT_CAP_MS },
        )
        .toBe(true);
    } finally {
      hold.release();
    }

    // Before: the batch's first round trip read her membership with a shared lock, the report's UPDATE
    // waited for it, and the batch's own UPDATE of the membership then waited behind the report's: a
    // deadlock, the report (or the batch) rolled back and answered server/busy.
    expect([ackCode(await read), ackCode(await send)]).toEqual(['ok', 'ok']);
  });
});
