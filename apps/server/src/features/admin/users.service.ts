import { randomBytes } from 'node:crypto';
import {
  ErrorCode,
  type AdminSearchQuery,
  type AdminUser,
  type AdminUserPage,
  type PresenceStatus,
  type UserRole,
} from '@parley/shared';
import type { PrismaClient, User } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { escapeLike } from '../../lib/like-pattern.js';
import { recordAudit } from '../audit/audit.service.js';
import type { PasswordHasher } from '../auth/passwords.js';
import type { SessionSockets } from '../auth/session-sockets.js';
import { LOCK_THEN_READ_COMMITTED } from '../../plugins/prisma.js';
import { lockUsers } from '../users/user-locks.js';
import { failpoint } from '../../lib/failpoints.js';

export interface AdminUsersDeps {
  prisma: PrismaClient;
  hasher: PasswordHasher;
  /** Ends every stored session of a user (the session store). */
  sessions: { destroyAllOf(userId: number): Promise<string[]> };
  sockets: Pick<SessionSockets, 'endUser'>;
  /** Deactivation as the auth feature does it: sessions and sockets end on every process. */
  deactivate(userId: number): Promise<void>;
  /** Who is online now (features/presence). */
  presence: { statusesOf(userIds: number[]): Promise<Map<number, PresenceStatus>> };
}

export type AdminUsersService = ReturnType<typeof createAdminUsersService>;

function toAdminUser(user: User, presence: PresenceStatus): AdminUser {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    role: user.role,
    createdAt: user.createdAt.toISOString(),
    lastSeenAt: user.lastSeenAt?.toISOString() ?? null,
    deactivatedAt: user.deactivatedAt?.toISOString() ?? null,
    presence,
  };
}

const notFound = (userId: number) => new AppError(ErrorCode.UserNotFound, `No user ${userId}`);

/** Users as the site console sees and changes them; every change writes an audit row in its transaction. */
export function createAdminUsersService({
  prisma,
  hasher,
  sessions,
  sockets,
  deactivate,
  presence,
}: AdminUsersDeps) {
  /** The console's view of users, with whether each is online now. */
  async function toAdminUsers(users: User[]): Promise<AdminUser[]> {
    const statuses = await presence.statusesOf(users.map((user) => user.id));
    return users.map((user) => toAdminUser(user, statuses.get(user.id) ?? 'offline'));
  }
  const toOneAdminUser = async (user: User) => (await toAdminUsers([user]))[0]!;

  /**
   * Runs `change` on the target's row, locked, with the active admins locked too, so two admins
   * demoting or deactivating each other settle one after the other and the last admin check holds.
   */
  async function withTarget<T>(
    userId: number,
    change: (
      tx: Parameters<Parameters<PrismaClient['$transaction']>[0]>[0],
      user: User,
      admins: number,
    ) => Promise<T>,
  ): Promise<T> {
    // Only those rows: the admins are found through the (role, deactivatedAt) index, and READ
    // COMMITTED takes no gap locks. Under REPEATABLE READ with no index on role, the locking read
    // scanned and kept every account's row locked, so every send batch (which reads its senders'
    // rows with a shared lock) and last-seen write waited for any admin action.
    // And in id order, the admins and the target in one statement, as every transaction locking
    // several users' rows takes them (users/user-locks.ts): locking the
    // admins first and the target after, a change deadlocked with a batch holding the target's row
    // (shared) and waiting for an admin's (that admin sending in the same batch), and MariaDB rolled
    // the change back: server/busy for an admin action while people chatted (send-lock-order.test.ts).
    return prisma.$transaction(async (tx) => {
      // Who the admins are, unlocked (READ COMMITTED: as last committed). One promoted after this
      // read by a change that committed is not locked here, and need not be: every change of an
      // admin's role or deactivation locks all the admins this one holds, so it waits for this one.
      const current = await tx.$queryRaw<Array<{ id: number }>>`
        SELECT id FROM users WHERE role = 'admin' AND deactivatedAt IS NULL`;
      const locked = await lockUsers(tx, [...current.map((row) => Number(row.id)), userId], 'update');
      await failpoint('admin-user-change:admins-locked');
      if (!locked.has(userId)) throw notFound(userId);
      // Counted under the locks: a change that moved an admin committed before they were granted.
      // People only: a bot made an admin before bots could not be must not stand in for the last one.
      const [{ admins }] = await tx.$queryRaw<[{ admins: bigint }]>`
        SELECT COUNT(*) AS admins FROM users WHERE role = 'admin' AND deactivatedAt IS NULL AND kind = 'person'`;
      const row = await tx.user.findUniqueOrThrow({ where: { id: userId } });
      await failpoint('admin-user-change:locked');
      return change(tx, row, Number(admins));
    }, LOCK_THEN_READ_COMMITTED);
  }

  const isLastAdmin = (user: User, admins: number) =>
    user.kind === 'person' && user.role === 'admin' && !user.deactivatedAt && admins <= 1;

  /** Bots act through their tokens and the bot console: no site role, no password (docs/bots.md). */
  const notForBots = (user: User, what: string, path: string) => {
    if (user.kind === 'bot') {
      throw new AppError(ErrorCode.Invalid, `A bot ${what}`, [{ path, message: `a bot ${what}` }]);
    }
  };

  return {
    /** Users whose username or display name starts with `q`, by id, a page at a time. */
    async search({ q, cursor, limit }: AdminSearchQuery): Promise<AdminUserPage> {
      const prefix = escapeLike(q);
      const users = await prisma.user.findMany({
        where: {
          ...(cursor ? { id: { gt: cursor } } : {}),
          ...(q
            ? {
                OR: [
                  { username: { startsWith: prefix.toLowerCase() } },
                  { displayName: { startsWith: prefix } },
                ],
              }
            : {}),
        },
        orderBy: { id: 'asc' },
        take: limit + 1,
      });
      const page = users.slice(0, limit);
      return { users: await toAdminUsers(page), nextCursor: users.length > limit ? page.at(-1)!.id : null };
    },

    /** Deactivates (sessions and sockets end at once, on every process); the last admin cannot be. */
    async deactivate(actorId: number, userId: number): Promise<AdminUser> {
      const deactivated = await withTarget(userId, async (tx, user, admins) => {
        if (isLastAdmin(user, admins))
          throw new AppError(ErrorCode.LastAdmin, 'The last site admin cannot be deactivated');
        if (user.deactivatedAt) return user;
        const updated = await tx.user.update({ where: { id: userId }, data: { deactivatedAt: new Date() } });
        await recordAudit(tx, {
          actorId,
          action: 'site.user.deactivate',
          targetUserId: userId,
          before: { deactivatedAt: null },
          after: { deactivatedAt: updated.deactivatedAt!.toISOString() },
        });
        return updated;
      });
      // Idempotent: the row is already deactivated; this ends the sessions and sockets.
      await deactivate(userId);
      return toOneAdminUser(deactivated);
    },

    async reactivate(actorId: number, userId: number): Promise<AdminUser> {
      return toOneAdminUser(
        await withTarget(userId, async (tx, user) => {
          if (!user.deactivatedAt) return user;
          const updated = await tx.user.update({ where: { id: userId }, data: { deactivatedAt: null } });
          await recordAudit(tx, {
            actorId,
            action: 'site.user.reactivate',
            targetUserId: userId,
            before: { deactivatedAt: user.deactivatedAt.toISOString() },
            after: { deactivatedAt: null },
          });
          return updated;
        }),
      );
    },

    /** Promotes or demotes; never the last active admin. Setting the role it has changes nothing. */
    async setRole(actorId: number, userId: number, role: UserRole): Promise<AdminUser> {
      return toOneAdminUser(
        await withTarget(userId, async (tx, user, admins) => {
          if (user.role === role) return user;
          if (role === 'admin') notForBots(user, 'cannot be a site admin', 'body.role');
          if (role === 'user' && isLastAdmin(user, admins)) {
            throw new AppError(ErrorCode.LastAdmin, 'The last site admin cannot be demoted');
          }
          const updated = await tx.user.update({ where: { id: userId }, data: { role } });
          await recordAudit(tx, {
            actorId,
            action: 'site.user.role',
            targetUserId: userId,
            before: { role: user.role },
            after: { role },
          });
          return updated;
        }),
      );
    },

    /**
     * Replaces the password with a random temporary one, returned once (only its hash is kept), and
     * ends the user's sessions and sockets: whoever held them must sign in with the new password.
     */
    async resetPassword(actorId: number, userId: number): Promise<{ temporaryPassword: string }> {
      const temporaryPassword = randomBytes(12).toString('base64url');
      const passwordHash = await hasher.hash(temporaryPassword);
      await withTarget(userId, async (tx, user) => {
        notForBots(user, 'signs in with its tokens, not a password', '');
        await tx.user.update({ where: { id: userId }, data: { passwordHash } });
        // The values are not recorded: only that it happened.
        await recordAudit(tx, { actorId, action: 'site.user.password_reset', targetUserId: userId });
      });
      await sessions.destroyAllOf(userId);
      sockets.endUser(userId, ErrorCode.PasswordChanged);
      return { temporaryPassword };
    },
  };
}
