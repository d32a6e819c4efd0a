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

/**
 * requireSignedIn for routes a person may call and a bot may not (their own display name and
 * password): 403 `auth/person_only` to a bearer token, which is always a bot's, also before the body is
 * validated. The service refuses a bot too (account.service.ts), whatever the route did.
 */
export async function requirePerson(request: FastifyRequest): Promise<void> {
  if (request.bearer)
    throw new AppError(ErrorCode.PersonOnly, 'Only a person may do this; a site admin manages a bot');
  requireUserId(request);
}
