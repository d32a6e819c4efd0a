import {
  passwordChangeBodySchema,
  profileBodySchema,
  sessionResponseSchema,
  ErrorCode,
} from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../../lib/app-error.js';
import { failpoint } from '../../lib/failpoints.js';
import { rooms } from '../../plugins/socket-io.js';
import type { ParleySessionStore } from '../../plugins/session-stores.js';
import { requirePerson, requireUserId } from '../auth/require-user.js';
import type { SessionSockets } from '../auth/session-sockets.js';
import type { AuthService } from '../auth/auth.service.js';
import type { AccountService } from './account.service.js';

export interface AccountRoutesOptions {
  account: AccountService;
  credentials: Pick<AuthService, 'credentialState'>;
  sessions: Pick<ParleySessionStore, 'destroyAllOf'>;
  sessionSockets: Pick<SessionSockets, 'endSession'>;
  /**
   * Password-change attempts per 15 minutes: `perSession` from one session (AUTH_RATE_LIMIT_PER_ACCOUNT),
   * `perAccount` from all of the account's sessions together (AUTH_RATE_LIMIT_PER_ACCOUNT_NEW_DEVICES).
   */
  passwordAttempts: { perSession: number; perAccount: number };
}

const FIFTEEN_MINUTES = 15 * 60;
/** Display-name changes one person may make per minute (429 `request/rate_limited` past it). */
export const PROFILE_CHANGES_PER_MINUTE = 10;

/** The signed-in person's own account: PATCH /api/me and PUT /api/me/password (docs/protocol.md). */
const accountRoutes: FastifyPluginAsync<AccountRoutesOptions> = async (
  fastify,
  { account, credentials, sessions, sessionSockets, passwordAttempts },
) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  // A person's own account: 401 without a caller, 403 auth/person_only to a bot, before validation.
  app.addHook('onRequest', requirePerson);
  // A stolen session must not become a way to guess the password (and so to keep the account once
  // the session ends), nor to lock the owner out of changing it: attempts are counted per session,
  // and, far looser, per account, as failed logins are counted per device and per account. Every
  // attempt counts, a refused new password too: each costs a hash check (the web app checks the
  // new password's rules before sending).
  const perSession = fastify.createLimiter('password-change-session', {
    points: passwordAttempts.perSession,
    durationSeconds: FIFTEEN_MINUTES,
  });
  const perAccount = fastify.createLimiter('password-change-account', {
    points: passwordAttempts.perAccount,
    durationSeconds: FIFTEEN_MINUTES,
  });

  // Each rename is one broadcast to every conversation of the person: bounded like other fan-out.
  const renames = fastify.createLimiter('profile-change', {
    points: PROFILE_CHANGES_PER_MINUTE,
    durationSeconds: 60,
  });

  app.patch(
    '/api/me',
    { schema: { body: profileBodySchema, response: { 200: sessionResponseSchema } } },
    async (request) => {
      const userId = requireUserId(request);
      const user = await account.updateProfile(userId, request.body, () => renames.consume(String(userId)));
      return { user };
    },
  );

  app.put('/api/me/password', { schema: { body: passwordChangeBodySchema } }, async (request, reply) => {
    const userId = requireUserId(request);
    const current = request.session.sessionId;
    // Spent before the password is checked, so parallel attempts cannot slip past the count.
    await perSession.consume(current);
    await perAccount.consume(String(userId));
    const { credential } = await account.changePassword(userId, request.body);
    const held = failpoint('password-change:written');
    if (held) await held;
    await perAccount.refund(String(userId));
    // OWASP Session Management Cheat Sheet: a password change ends every other session of the
    // account, and this one continues under a new id. Sockets of the ended sessions are told
    // (session:ended) and closed; this browser's tabs reconnect with the new cookie.
    const ended = await sessions.destroyAllOf(userId);
    await request.session.regenerate();
    request.session.userId = userId;
    await request.session.save();
    for (const sessionId of ended) {
      if (sessionId !== current) sessionSockets.endSession(sessionId, ErrorCode.PasswordChanged);
    }
    fastify.io.in(rooms.session(current)).disconnectSockets(true);
    // A site admin's reset or a deactivation that wrote after this change ended the sessions it
    // found before this one was saved: it must not stand (auth.service.ts credentialState).
    const state = await credentials.credentialState(userId, credential);
    if (state !== 'current') {
      await request.session.destroy();
      throw state === 'deactivated'
        ? new AppError(ErrorCode.AccountDeactivated, 'This account has been deactivated')
        : new AppError(ErrorCode.Unauthenticated, 'The password was reset meanwhile; sign in again');
    }
    request.log.info(
      { userId, otherSessionsEnded: ended.filter((id) => id !== current).length },
      'password changed',
    );
    return reply.status(204).send();
  });
};

export default accountRoutes;
