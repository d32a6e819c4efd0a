import {
  passwordChangeBodySchema,
  profileBodySchema,
  sessionResponseSchema,
  ErrorCode,
} from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../../lib/app-error.js';
import { rooms } from '../../plugins/socket-io.js';
import type { ParleySessionStore } from '../../plugins/session-stores.js';
import { requireSignedIn, requireUserId } from '../auth/require-user.js';
import type { SessionSockets } from '../auth/session-sockets.js';
import type { AccountService } from './account.service.js';

export interface AccountRoutesOptions {
  account: AccountService;
  sessions: Pick<ParleySessionStore, 'destroyAllOf'>;
  sessionSockets: Pick<SessionSockets, 'endSession'>;
  /** Wrong current passwords one account may send per 15 minutes (AUTH_RATE_LIMIT_PER_ACCOUNT). */
  wrongPasswordsPer15Minutes: number;
}

const FIFTEEN_MINUTES = 15 * 60;
/** Display-name changes one person may make per minute (429 `request/rate_limited` past it). */
export const PROFILE_CHANGES_PER_MINUTE = 10;

/** The signed-in person's own account: PATCH /api/me and PUT /api/me/password (docs/protocol.md). */
const accountRoutes: FastifyPluginAsync<AccountRoutesOptions> = async (
  fastify,
  { account, sessions, sessionSockets, wrongPasswordsPer15Minutes },
) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', requireSignedIn);
  // A stolen session must not become a way to guess the password (and so to keep the account once
  // the session ends): guesses are counted per account, as failed logins are.
  const guesses = fastify.createLimiter('password-change', {
    points: wrongPasswordsPer15Minutes,
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
      await renames.consume(String(userId));
      return { user: await account.updateProfile(userId, request.body) };
    },
  );

  app.put('/api/me/password', { schema: { body: passwordChangeBodySchema } }, async (request, reply) => {
    const userId = requireUserId(request);
    const key = String(userId);
    // Spent before the password is checked, so parallel guesses cannot slip past the count.
    await guesses.consume(key);
    try {
      await account.changePassword(userId, request.body);
    } catch (error) {
      // Only a wrong current password counts; a refused new one is no guess.
      if (!(error instanceof AppError && error.code === ErrorCode.WrongPassword)) await guesses.refund(key);
      throw error;
    }
    await guesses.reset(key);
    // OWASP Session Management Cheat Sheet: a password change ends every other session of the
    // account, and this one continues under a new id. Sockets of the ended sessions are told
    // (session:ended) and closed; this browser's tabs reconnect with the new cookie.
    const current = request.session.sessionId;
    const ended = await sessions.destroyAllOf(userId);
    await request.session.regenerate();
    request.session.userId = userId;
    await request.session.save();
    for (const sessionId of ended) {
      if (sessionId !== current) sessionSockets.endSession(sessionId);
    }
    fastify.io.in(rooms.session(current)).disconnectSockets(true);
    request.log.info(
      { userId, otherSessionsEnded: ended.filter((id) => id !== current).length },
      'password changed',
    );
    return reply.status(204).send();
  });
};

export default accountRoutes;
