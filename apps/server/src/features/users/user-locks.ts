import { ErrorCode, type UserSummary } from '@parley/shared';
import { Prisma } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { padIdList } from '../../lib/id-list.js';

/** A user's row as read under its lock: the summary others see and whether the account is deactivated. */
export interface LockedUser extends UserSummary {
  deactivated: boolean;
}

interface LockedRow {
  id: number | bigint;
  username: string;
  displayName: string;
  kind: UserSummary['kind'];
  deactivated: number | bigint | boolean;
}

/**
 * Locks the rows of `ids` (users) in id order, in one statement, and reads them as committed under
 * the lock. Resolves with the users found, by id (an id with no row is left out).
 *
 * The rule every transaction that locks, changes or references (by foreign key) more than one user's
 * row follows: it takes them all first, here, in id order, as a send batch (message-batch-store.ts)
 * and presence's UPDATE of lastSeenAt do. Two transactions taking the same rows in one order never
 * deadlock on them. InnoDB's foreign-key check on an INSERT or UPDATE of a row that names a user (a
 * membership, a message's senderId, a conversation's createdById, a bot's ownerId) takes a shared lock
 * on that user's row, held to the commit, in the order the rows are written: a group created by an
 * admin naming a member of a lower id, while a site admin deactivated that member (locking the admins'
 * rows and the target's for update, in id order), deadlocked, and MariaDB rolled one of them back
 * (user-locks.test.ts). With the rows already locked here, the checks find them held and wait for
 * nothing.
 *
 * `share` for rows the transaction only reads or references; `update` for those it changes (a shared
 * lock upgraded later deadlocks with another transaction holding it shared and upgrading too).
 * Run it in a READ COMMITTED transaction (LOCK_THEN_READ_COMMITTED), so an id with no row takes no
 * gap lock. The read is a locking one: it sees a deactivation committed before it, and a deactivation
 * after it waits for this transaction's commit, so nothing is written for a user the transaction read
 * as active once their deactivation has returned (docs/protocol.md).
 */
export async function lockUsers(
  tx: Prisma.TransactionClient,
  ids: readonly number[],
  mode: 'share' | 'update',
): Promise<Map<number, LockedUser>> {
  if (ids.length === 0) return new Map();
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const lock = mode === 'share' ? Prisma.sql`LOCK IN SHARE MODE` : Prisma.sql`FOR UPDATE`;
  const rows = await tx.$queryRaw<LockedRow[]>`
    SELECT id, username, displayName, kind, deactivatedAt IS NOT NULL AS deactivated
      FROM users WHERE id IN (${Prisma.join(padIdList(sorted))}) ORDER BY id ${lock}`;
  return new Map(
    rows.map((row) => {
      const id = Number(row.id);
      const user: LockedUser = {
        id,
        username: row.username,
        displayName: row.displayName,
        kind: row.kind,
        deactivated: Number(row.deactivated) === 1,
      };
      return [id, user];
    }),
  );
}

/**
 * The acting user of a write, from rows locked by `lockUsers`: `auth/deactivated` when the account was
 * deactivated (or is gone) by the time its row was locked. The request passed the session check
 * before that, as a send waiting for its batch does (message-batch-store.ts).
 */
export function activeActor(locked: ReadonlyMap<number, LockedUser>, actorId: number): LockedUser {
  const actor = locked.get(actorId);
  if (!actor || actor.deactivated)
    throw new AppError(ErrorCode.AccountDeactivated, 'This account has been deactivated');
  return actor;
}

/** The summary of a locked user, as messages and events carry it. */
export function summaryOf({ id, username, displayName, kind }: LockedUser): UserSummary {
  return { id, username, displayName, kind };
}
