import { ErrorCode, type CurrentUser, type PasswordChangeBody, type ProfileBody } from '@parley/shared';
import { passwordChangeBodyCheckedSchema } from '@parley/shared/password-strength';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { AppError, invalid } from '../../lib/app-error.js';
import type { PasswordHasher } from '../auth/passwords.js';
import { toCurrentUser } from '../users/user-dto.js';
import type { UserNotifier } from '../users/user-notifier.js';

export interface AccountServiceDeps {
  prisma: PrismaClient;
  hasher: PasswordHasher;
  notifier: Pick<UserNotifier, 'userUpdated'>;
}

export type AccountService = ReturnType<typeof createAccountService>;

/** What a signed-in person changes about their own account (PATCH /api/me, PUT /api/me/password). */
export function createAccountService({ prisma, hasher, notifier }: AccountServiceDeps) {
  /** The caller's row, refused as `auth/deactivated` once deactivated and `auth/person_only` for a bot. */
  async function personOf(userId: number) {
    const user = await prisma.user.findUnique({ where: { id: userId } });
    if (!user || user.deactivatedAt) {
      throw new AppError(ErrorCode.AccountDeactivated, 'This account has been deactivated');
    }
    if (user.kind === 'bot') {
      throw new AppError(ErrorCode.PersonOnly, 'A bot’s profile is changed by a site admin');
    }
    return user;
  }

  return {
    /**
     * Sets the caller's display name and tells everyone who shares a conversation with them
     * (`user:updated`, after the write). Messages name their sender by id, so history shows the new
     * name too; system messages keep the names they were written with. The same name again changes
     * nothing, tells nobody and spends nothing: `beforeChange` (the route's rate limit) runs only
     * for a real change, and may throw to refuse it.
     */
    async updateProfile(
      userId: number,
      body: ProfileBody,
      beforeChange: () => Promise<void> = async () => undefined,
    ): Promise<CurrentUser> {
      const before = await personOf(userId);
      if (before.displayName === body.displayName) return toCurrentUser(before);
      await beforeChange();
      const { count } = await prisma.user.updateMany({
        where: { id: userId, deactivatedAt: null },
        data: { displayName: body.displayName },
      });
      if (count === 0) throw new AppError(ErrorCode.AccountDeactivated, 'This account has been deactivated');
      await notifier.userUpdated(userId);
      return toCurrentUser({ ...before, displayName: body.displayName });
    },

    /**
     * Replaces the caller's password once the current one is verified (`auth/wrong_password`
     * otherwise). The new one must pass registration's rules, the common-password rule with the
     * account's own username and display name counting as guessable (`request/invalid` on
     * `body.newPassword`). Resolves with the new hash, the credential the caller's new session
     * stands on (auth.service.ts `credentialState`); ending the other sessions is the caller's part
     * (account.routes.ts).
     *
     * The write is a compare-and-set on the hash that was verified, with the account still active:
     * of two changes made at once, or a change and a site admin's reset, only one replaces the
     * password it checked, and the other is told its current password is no longer the account's
     * (`auth/wrong_password`); a change racing a deactivation answers `auth/deactivated`.
     */
    async changePassword(userId: number, body: PasswordChangeBody): Promise<{ credential: string }> {
      const user = await personOf(userId);
      if (!(await hasher.verify(user.passwordHash, body.currentPassword))) {
        throw new AppError(ErrorCode.WrongPassword, 'The current password is wrong');
      }
      const checked = passwordChangeBodyCheckedSchema([user.username, user.displayName]).safeParse(body);
      if (!checked.success) throw invalid(checked.error, 'body');
      const passwordHash = await hasher.hash(body.newPassword);
      const { count } = await prisma.user.updateMany({
        where: { id: userId, passwordHash: user.passwordHash, deactivatedAt: null },
        data: { passwordHash },
      });
      if (count === 0) {
        await personOf(userId);
        throw new AppError(
          ErrorCode.WrongPassword,
          'The password changed meanwhile; the one given is no longer current',
        );
      }
      return { credential: passwordHash };
    },
  };
}
