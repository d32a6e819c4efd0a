import { ErrorCode } from '@parley/shared';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.js';

/**
 * The caller's user id: the bot of a bearer token (plugins/bearer-auth.ts), else the session's user;
 * a 401 auth/unauthenticated without either.
 */
export function requireUserId(request: FastifyRequest): number {
  const userId = request.bearer?.userId ?? request.session.userId;
  if (!userId) throw new AppError(ErrorCode.Unauthenticated, 'Sign in first');
  return userId;
}

/**
 * An `onRequest` hook for route groups whose every route needs a signed-in caller (a session or a
 * bot's bearer token): 401 `auth/unauthenticated` before the body is read or validated, so an
 * anonymous request learns nothing about a route's input and always gets the same answer. Handlers
 * still read the caller with requireUserId. Add it in an encapsulated plugin (not fastify-plugin),
 * so it covers that plugin's routes only.
 */
export async function requireSignedIn(request: FastifyRequest): Promise<void> {
  requireUserId(request);
}
