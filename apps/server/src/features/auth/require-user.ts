import { ErrorCode } from '@parley/shared';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.js';

/** The signed-in user's id, or a 401 auth/unauthenticated. */
export function requireUserId(request: FastifyRequest): number {
  const userId = request.session.userId;
  if (!userId) throw new AppError(ErrorCode.Unauthenticated, 'Sign in first');
  return userId;
}
