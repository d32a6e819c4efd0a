import { ErrorCode, loginBodySchema, sessionResponseSchema } from '@parley/shared';
import { registerBodyCheckedSchema } from '@parley/shared/password-strength';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../../lib/app-error.js';
import { failpoint } from '../../lib/failpoints.js';
import { rooms } from '../../plugins/socket-io.js';
import type { AuthRateLimit } from '../../config.js';
import type { AuthService } from './auth.service.js';
import { DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_MS, type DeviceCookies } from './device-cookies.js';
import { requireUserId } from './require-user.js';
import type { SessionSockets } from './session-sockets.js';

export interface AuthRoutesOptions {
  auth: AuthService;
  rateLimit: AuthRateLimit;
  devices: DeviceCookies;
  sessionSockets: Pick<SessionSockets, 'endSession'>;
}

const FIFTEEN_MINUTES = 15 * 60;

const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (
  fastify,
  { auth, rateLimit, devices, sessionSockets },
) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const perIp = fastify.createLimiter('auth-ip', { points: rateLimit.perIpPerMinute, durationSeconds: 60 });
  // OWASP Authentication Cheat Sheet: failed logins are counted per (username, client), a client being
  // a known device or else an IP address, so a stranger's guesses elsewhere never lock the owner out...
  const perClient = fastify.createLimiter('auth-account-client', {
    points: rateLimit.perAccountPerClientPer15Minutes,
    durationSeconds: FIFTEEN_MINUTES,
  });
  // ...and, looser, per username over all unknown clients, which bounds guessing from many addresses.
  const perAccountNewDevices = fastify.createLimiter('auth-account-new-devices', {
    points: rateLimit.perAccountNewDevicesPer15Minutes,
    durationSeconds: FIFTEEN_MINUTES,
  });

  /** Marks this browser as a known device of `username` (a new one, or the same one again). */
  function rememberDevice(reply: FastifyReply, username: string, nonce?: string): void {
    reply.setCookie(DEVICE_COOKIE, devices.issue(username, nonce).value, {
      httpOnly: true,
      sameSite: 'lax',
      secure: 'auto',
      path: '/api/auth',
      maxAge: DEVICE_COOKIE_MAX_AGE_MS / 1000,
    });
  }

  /**
   * A fresh session id at every sign-in (session fixation); the old session is destroyed, and
   * sockets still riding on it are ended like at logout.
   */
  async function signIn(request: FastifyRequest, userId: number): Promise<void> {
    const previous = request.session.userId ? request.session.sessionId : null;
    await request.session.regenerate();
    request.session.userId = userId;
    await request.session.save();
    // No session:ended here: this browser is signed in again, and its tabs reconnect with the new cookie.
    if (previous) fastify.io.in(rooms.session(previous)).disconnectSockets(true);
  }

  app.post(
    '/api/auth/register',
    { schema: { body: registerBodyCheckedSchema, response: { 201: sessionResponseSchema } } },
    async (request, reply) => {
      await perIp.consume(request.ip);
      const user = await auth.register(request.body);
      await signIn(request, user.id);
      rememberDevice(reply, user.username);
      request.log.info({ userId: user.id, role: user.role }, 'account registered');
      return reply.status(201).send({ user });
    },
  );

  app.post(
    '/api/auth/login',
    { schema: { body: loginBodySchema, response: { 200: sessionResponseSchema } } },
    async (request, reply) => {
      const { username } = request.body;
      await perIp.consume(request.ip);
      const device = devices.recognise(request.cookies[DEVICE_COOKIE], username);
      const client = device ? `${username}|device:${device}` : `${username}|ip:${request.ip}`;
      // Points are spent before the password is checked, so a burst of parallel guesses cannot slip
      // past the count; a success gives them back.
      await perClient.consume(client);
      if (!device) await perAccountNewDevices.consume(username);
      const { user, credential } = await auth.login(request.body);
      const held = failpoint('login:password-verified');
      if (held) await held;
      await perClient.reset(client);
      if (!device) await perAccountNewDevices.refund(username);
      await signIn(request, user.id);
      const state = await auth.credentialState(user.id, credential);
      if (state !== 'current') {
        // Changed or deactivated while this login was checked: the session it made must not stand.
        await request.session.destroy();
        throw state === 'deactivated'
          ? new AppError(ErrorCode.AccountDeactivated, 'This account has been deactivated')
          : new AppError(ErrorCode.InvalidCredentials, 'Wrong username or password');
      }
      rememberDevice(reply, user.username, device ?? undefined);
      return { user };
    },
  );

  app.post('/api/auth/logout', async (request, reply) => {
    const sessionId = request.session.sessionId;
    const signedIn = Boolean(request.session.userId);
    await request.session.destroy();
    if (signedIn) sessionSockets.endSession(sessionId);
    return reply.status(204).send();
  });

  app.get('/api/auth/me', { schema: { response: { 200: sessionResponseSchema } } }, async (request) => {
    const user = await auth.currentUser(requireUserId(request));
    if (!user) {
      const { sessionId } = request.session;
      await request.session.destroy();
      sessionSockets.endSession(sessionId, ErrorCode.AccountDeactivated);
      throw new AppError(ErrorCode.Unauthenticated, 'Sign in first');
    }
    return { user };
  });
};

export default authRoutes;
