// Writes that name several accounts (group creation, adding members, a direct conversation, a bot's
// new owner) lock those accounts' rows in id order before writing, as a send batch and a site admin's
// change do (src/features/users/user-locks.ts), and read under those locks whether each is still
// active. Before, the foreign-key checks of the rows they inserted locked the accounts one by one in
// the order the request named them: a deadlock with a transaction taking them in id order, and an
// account deactivated meanwhile was made a member after its deactivation had returned.
import type { BotResponse, InviteResponse } from '@parley/shared';
import type * as mariadb from 'mariadb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdAtFailpoint } from '../../../src/lib/failpoints.js';
import { httpCode } from '../../helpers/groups.js';
import { closeLockScene, startLockScene, type LockScene } from '../../helpers/lock-scene.js';
import {
  createGroup,
  uniqueName,
  type HttpResponse,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';
import { WAIT_CAP_MS } from '../../helpers/waits.js';

describe('accounts named by one write, locked in id order', () => {
  let scene: LockScene;
  let t: TestServer;
  let raw: mariadb.Connection;
  let admin: TestUser;

  beforeAll(async () => {
    scene = await startLockScene();
    ({ t, raw, admin } = scene);
  });

  afterAll(() => closeLockScene(scene));

  /** Resolves once a transaction of this test's database (other than `raw`'s) waits for a lock on a users row. */
  async function someoneWaitsOnUsers(): Promise<void> {
    await expect
      .poll(
        async () => {
          const [row] = await raw.query<Array<{ waiting: bigint }>>(
            `SELECT COUNT(*) AS waiting FROM information_schema.INNODB_LOCK_WAITS w
               JOIN information_schema.INNODB_LOCKS l ON l.lock_id = w.requested_lock_id
              WHERE l.lock_table = CONCAT('\`', DATABASE(), '\`.\`users\`')
                AND l.lock_trx_id IN (SELECT trx_id FROM information_schema.INNODB_TRX
                                       WHERE trx_mysql_thread_id <> CONNECTION_ID())`,
          );
          return Number(row!.waiting);
        },
        { timeout: WAIT_CAP_MS, interval: 100 },
      )
      .toBeGreaterThan(0);
  }

  /**
   * Runs `write`, which names the accounts `low` and `high` (low's id the lower), while a transaction
   * of the test's own locks both rows for update in id order, as a site admin's change does: low's
   * before the write starts, high's once the write waits. Resolves with what became of that second
   * lock ('locked', or the error's code) and the write's answer.
   */
  async function againstIdOrder(
    low: TestUser,
    high: TestUser,
    write: () => Promise<HttpResponse>,
  ): Promise<{ secondLock: string; answer: string }> {
    expect(low.id).toBeLessThan(high.id);
    await raw.query('START TRANSACTION');
    try {
      await raw.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [low.id]);
      const answer = write();
      await someoneWaitsOnUsers();
      // Were the write holding high's row (shared, a foreign-key check's lock) while it waits for
      // low's, this would wait for the write: a deadlock, and MariaDB rolls one of the two back.
      const secondLock = await raw.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [high.id]).then(
        () => 'locked',
        (error: { code?: string }) => error.code ?? String(error),
      );
      await raw.query('COMMIT');
      return { secondLock, answer: httpCode(await answer) };
    } catch (error) {
      await raw.query('ROLLBACK');
      throw error;
    }
  }

  const twoPeople = async () => {
    const low = await t.signUp();
    return [low, await t.signUp()] as const;
  };

  it('a group created naming someone of a lower id than its creator: no deadlock', async () => {
    const [low, high] = await twoPeople();
    const outcome = await againstIdOrder(low, high, () =>
      t.http('POST', '/api/conversations', {
        cookie: high.cookie,
        body: { name: 'Order', memberUsernames: [low.username] },
      }),
    );
    expect(outcome).toEqual({ secondLock: 'locked', answer: 'ok' });
  });

  it('a direct conversation opened with someone of a lower id: no deadlock', async () => {
    const [low, high] = await twoPeople();
    const outcome = await againstIdOrder(low, high, () =>
      t.http('POST', '/api/conversations/direct', { cookie: high.cookie, body: { username: low.username } }),
    );
    expect(outcome).toEqual({ secondLock: 'locked', answer: 'ok' });
  });

  it('a member of a higher id added by the group owner: no deadlock', async () => {
    // The membership (the new member's row) was written before the system message (the owner's).
    const [low, high] = await twoPeople();
    const conversationId = (await createGroup(t, low, [await t.signUp()])).id;
    const outcome = await againstIdOrder(low, high, () =>
      t.http('POST', `/api/conversations/${conversationId}/members`, {
        cookie: low.cookie,
        body: { usernames: [high.username] },
      }),
    );
    expect(outcome).toEqual({ secondLock: 'locked', answer: 'ok' });
  });

  it('a bot given a new display name and an owner of a lower id: no deadlock', async () => {
    const owner = await t.signUp();
    const created = await t.http<BotResponse>('POST', '/api/admin/bots', {
      cookie: admin.cookie,
      body: { username: uniqueName('bot'), displayName: 'Bot' },
    });
    expect(httpCode(created)).toBe('ok');
    // The bot's row (its display name) was written before the new owner's was checked.
    const bot: TestUser = { id: created.body.bot.id, username: created.body.bot.username, cookie: '' };
    const outcome = await againstIdOrder(owner, bot, () =>
      t.http('PATCH', `/api/admin/bots/${bot.id}`, {
        cookie: admin.cookie,
        body: { displayName: 'Renamed', ownerUsername: owner.username },
      }),
    );
    expect(outcome).toEqual({ secondLock: 'locked', answer: 'ok' });
  });

  /**
   * Deactivates `target` through the admin API, and runs `write` while the deactivation holds the
   * target's row locked, uncommitted; lets the deactivation commit once the write waits for that row.
   * Resolves with the write's answer, the deactivation having returned ok.
   */
  async function duringDeactivation(target: TestUser, write: () => Promise<HttpResponse>): Promise<string> {
    const hold = holdAtFailpoint('admin-user-change:locked');
    const deactivation = t.http('POST', `/api/admin/users/${target.id}/deactivate`, { cookie: admin.cookie });
    await hold.reached;
    // The write reads the target as active (the deactivation is not committed), then waits for its row.
    const answer = write();
    try {
      await someoneWaitsOnUsers();
    } finally {
      hold.release();
    }
    expect(httpCode(await deactivation)).toBe('ok');
    return httpCode(await answer);
  }

  it('does not make someone a member of a new group once their deactivation has returned', async () => {
    const [creator, target] = await twoPeople();
    const answer = await duringDeactivation(target, () =>
      t.http('POST', '/api/conversations', {
        cookie: creator.cookie,
        body: { name: 'Late', memberUsernames: [target.username] },
      }),
    );
    // Before: the group was created with the deactivated account in it.
    expect(answer).toBe('conversation/unknown_members');
  });

  it('does not add someone to a group once their deactivation has returned', async () => {
    const [owner, target] = await twoPeople();
    const conversationId = (await createGroup(t, owner, [await t.signUp()])).id;
    const answer = await duringDeactivation(target, () =>
      t.http('POST', `/api/conversations/${conversationId}/members`, {
        cookie: owner.cookie,
        body: { usernames: [target.username] },
      }),
    );
    expect(answer).toBe('conversation/unknown_members');
  });

  it('does not open a direct conversation with someone once their deactivation has returned', async () => {
    const [opener, target] = await twoPeople();
    const answer = await duringDeactivation(target, () =>
      t.http('POST', '/api/conversations/direct', {
        cookie: opener.cookie,
        body: { username: target.username },
      }),
    );
    expect(answer).toBe('user/not_found');
  });

  it('does not let an account join through a link once its deactivation has returned', async () => {
    const [owner, target] = await twoPeople();
    const conversationId = (await createGroup(t, owner, [await t.signUp()])).id;
    const invite = await t.http<InviteResponse>('POST', `/api/conversations/${conversationId}/invites`, {
      cookie: owner.cookie,
      body: {},
    });
    expect(httpCode(invite)).toBe('ok');
    const answer = await duringDeactivation(target, () =>
      t.http('POST', `/api/invites/${invite.body.invite.token}/join`, { cookie: target.cookie }),
    );
    // Before: the account joined, and a system message of theirs was written after the deactivation.
    expect(answer).toBe('auth/deactivated');
  });
});
