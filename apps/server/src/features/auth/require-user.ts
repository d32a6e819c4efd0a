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
