import { ErrorCode, type CurrentUser, type LoginBody, type RegisterBody } from '@parley/shared';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { toCurrentUser } from '../users/user-dto.js';
import type { PasswordHasher } from './passwords.js';
import type { SessionSockets } from './session-sockets.js';

export interface AuthServiceDeps {
  prisma: PrismaClient;
  hasher: PasswordHasher;
  /** Ends every stored session of a user. */
  sessions: { destroyAllOf(userId: number): Promise<string[]> };
  sockets: Pick<SessionSockets, 'endUser'>;
  /**
   * The site's registration mode (features/admin/site.service.ts): refuses, or spends an invite code,
   * in the transaction that makes the account.
   */
  admission: { admit(tx: Prisma.TransactionClient, inviteCode: string | undefined): Promise<number | null> };
}

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService({ prisma, hasher, sessions, sockets, admission }: AuthServiceDeps) {
  // Verified against when the username is unknown, so both failures cost the same time.
  const decoyHash = hasher.hash('parley-decoy-password');

  return {
    async register(body: RegisterBody): Promise<CurrentUser> {
      const passwordHash = await hasher.hash(body.password);
      let user;
      try {
        user = await prisma.$transaction(async (tx) => {
          const inviteId = await admission.admit(tx, body.inviteCode);
          const created = await tx.user.create({
            data: { username: body.username, displayName: body.displayName, passwordHash },
          });
          if (inviteId !== null) {
            await tx.siteInvite.update({ where: { id: inviteId }, data: { usedById: created.id } });
          }
          return created;
        });
      } catch (error) {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
          throw new AppError(ErrorCode.UsernameTaken, `The username "${body.username}" is taken`);
        }
        throw error;
      }
      // The first account is the site admin. Deciding by lowest id is race-free: of two
      // simultaneous first registrations exactly one holds the lowest id.
      const first = await prisma.user.findFirst({ orderBy: { id: 'asc' }, select: { id: true } });
      if (first?.id === user.id) {
        user = await prisma.user.update({ where: { id: user.id }, data: { role: 'admin' } });
      }
      return toCurrentUser(user);
    },

    /**
     * Checks a username and password. Resolves with the user and `credential`, the password hash the
     * password was verified against, for `credentialState` once the session is saved.
     */
    async login(body: LoginBody): Promise<{ user: CurrentUser; credential: string }> {
      const user = await prisma.user.findUnique({ where: { username: body.username } });
      const valid = await hasher.verify(user?.passwordHash ?? (await decoyHash), body.password);
      if (user?.kind === 'bot') {
        throw new AppError(ErrorCode.BotPasswordLogin, 'A bot signs in with a token, not a password');
      }
      if (!user || !valid) {
        throw new AppError(ErrorCode.InvalidCredentials, 'Wrong username or password');
      }
      if (user.deactivatedAt) {
        throw new AppError(ErrorCode.AccountDeactivated, 'This account has been deactivated');
      }
      const updated = await prisma.user.update({ where: { id: user.id }, data: { lastSeenAt: new Date() } });
      return { user: toCurrentUser(updated), credential: user.passwordHash };
    },

    /**
     * Whether the session just saved on `credential` (the password hash a login verified, or the
     * one a password change wrote) may stand: `current`, or `changed` (the password changed since)
     * or `deactivated`. A password change, a site admin's reset and a deactivation each write first
     * and then end every session they find; a session saved after that was not found. Asked once
     * the session is saved, this closes the gap: either the session was there to be ended, or this
     * read sees the write.
     */
    async credentialState(
      userId: number,
      credential: string,
    ): Promise<'current' | 'changed' | 'deactivated'> {
      const user = await prisma.user.findUnique({
        where: { id: userId },
        select: { passwordHash: true, deactivatedAt: true },
      });
      if (!user || user.deactivatedAt) return 'deactivated';
      return user.passwordHash === credential ? 'current' : 'changed';
    },

    async currentUser(userId: number): Promise<CurrentUser | null> {
      const user = await prisma.user.findUnique({ where: { id: userId } });
      return user && !user.deactivatedAt ? toCurrentUser(user) : null;
    },

    /**
     * Deactivates an account: login and the socket handshake refuse it from now on, its sessions are
     * destroyed, and its open sockets receive `session:ended` (`auth/deactivated`) and are disconnected,
     * on every server process. Deactivating twice is harmless. Throws user/not_found for an unknown id.
     */
    async deactivate(userId: number): Promise<void> {
      const { count } = await prisma.user.updateMany({
        where: { id: userId, deactivatedAt: null },
        data: { deactivatedAt: new Date() },
      });
      if (count === 0 && !(await prisma.user.findUnique({ where: { id: userId }, select: { id: true } }))) {
        throw new AppError(ErrorCode.UserNotFound, `No user ${userId}`);
      }
      await sessions.destroyAllOf(userId);
      sockets.endUser(userId, ErrorCode.AccountDeactivated);
    },
  };
}
