import { userSearchQuerySchema, userSearchResponseSchema } from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { escapeLike } from '../../lib/like-pattern.js';
import { requireSignedIn, requireUserId } from '../auth/require-user.js';
import { toUserSummary, userSummarySelect } from './user-dto.js';

const usersRoutes: FastifyPluginAsync<{ prisma: PrismaClient }> = async (fastify, { prisma }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  // Every route here needs a signed-in caller: 401 before validation (features/auth/require-user.ts).
  app.addHook('onRequest', requireSignedIn);

  /** The directory: active users whose username or display name starts with q, the caller excluded. */
  app.get(
    '/api/users',
    { schema: { querystring: userSearchQuerySchema, response: { 200: userSearchResponseSchema } } },
    async (request) => {
      const userId = requireUserId(request);
      const { q, limit } = request.query;
      // A literal prefix: `%` and `_` in q are characters people may have in their names, not wildcards.
      const prefix = escapeLike(q);
      const users = await prisma.user.findMany({
        where: {
          id: { not: userId },
          deactivatedAt: null,
          ...(q
            ? {
                OR: [
                  { username: { startsWith: prefix.toLowerCase() } },
                  { displayName: { startsWith: prefix } },
                ],
              }
            : {}),
        },
        select: userSummarySelect,
        orderBy: { username: 'asc' },
        take: limit,
      });
      return { users: users.map(toUserSummary) };
    },
  );
};

export default usersRoutes;
