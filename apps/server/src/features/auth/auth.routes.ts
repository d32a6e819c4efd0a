import { ErrorCode, loginBodySchema, registerBodySchema, sessionResponseSchema } from '@parley/shared';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../../lib/app-error.js';
import { rooms } from '../../plugins/socket-io.js';
import type { AuthService } from './auth.service.js';
import { requireUserId } from './require-user.js';

export interface AuthRoutesOptions {
  auth: AuthService;
  rateLimit: { perIpPerMinute: number; perAccountPer15Minutes: number };
}

const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (fastify, { auth, rateLimit }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const perIp = fastify.createLimiter('auth-ip', { points: rateLimit.perIpPerMinute, durationSeconds: 60 });
  const perAccount = fastify.createLimiter('auth-account', {
    points: rateLimit.perAccountPer15Minutes,
    durationSeconds: 15 * 60,
  });

  /**
   * A fresh session id at every sign-in (session fixation); the old session is destroyed, and
   * sockets still riding on it are ended like at logout.
   */
  async function signIn(request: FastifyRequest, userId: number): Promise<void> {
    const previous = request.session.userId ? request.session.sessionId : null;
    await request.session.regenerate();
    request.session.userId = userId;
    await request.session.save();
    if (previous) fastify.io.in(rooms.session(previous)).disconnectSockets(true);
  }

  app.post(
    '/api/auth/register',
    { schema: { body: registerBodySchema, response: { 201: sessionResponseSchema } } },
    async (request, reply) => {
      await perIp.consume(request.ip);
      const user = await auth.register(request.body);
      await signIn(request, user.id);
      request.log.info({ userId: user.id, role: user.role }, 'account registered');
      return reply.status(201).send({ user });
    },
  );

  app.post(
    '/api/auth/login',
    { schema: { body: loginBodySchema, response: { 200: sessionResponseSchema } } },
    async (request) => {
      await perIp.consume(request.ip);
      await perAccount.consume(request.body.username);
      const user = await auth.login(request.body);
      await perAccount.reset(request.body.username);
      await signIn(request, user.id);
      return { user };
    },
  );

  app.post('/api/auth/logout', async (request, reply) => {
    const sessionId = request.session.sessionId;
    const signedIn = Boolean(request.session.userId);
    await request.session.destroy();
    if (signedIn) fastify.io.in(rooms.session(sessionId)).disconnectSockets(true);
    return reply.status(204).send();
  });

  app.get('/api/auth/me', { schema: { response: { 200: sessionResponseSchema } } }, async (request) => {
    const user = await auth.currentUser(requireUserId(request));
    if (!user) {
      await request.session.destroy();
      throw new AppError(ErrorCode.Unauthenticated, 'Sign in first');
    }
    return { user };
  });
};

export default authRoutes;
