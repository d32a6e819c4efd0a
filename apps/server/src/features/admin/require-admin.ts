import { ErrorCode } from '@parley/shared';
import type { FastifyRequest } from 'fastify';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { requireUserId } from '../auth/require-user.js';

/**
 * An `onRequest` hook for the site console's routes: 401 without a session, 403 `admin/forbidden` for
 * anyone who is not an active site admin. It runs before validation, so a non-admin learns nothing
 * about a route's input. The role is read from the database each time: a demotion counts at once.
 */
export function adminGuard(prisma: PrismaClient) {
  return async function requireAdmin(request: FastifyRequest): Promise<void> {
    const userId = requireUserId(request);
    const admin = await prisma.user.count({ where: { id: userId, role: 'admin', deactivatedAt: null } });
    if (admin === 0) throw new AppError(ErrorCode.AdminOnly, 'Only site admins may do this');
  };
}
