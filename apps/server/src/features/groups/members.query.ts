import type { MemberPage, MemberPageQuery } from '@parley/shared';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { escapeLike } from '../../lib/like-pattern.js';
import { conversationNotFound } from '../conversations/conversations.service.js';
import { toUserSummary, userSummarySelect } from '../users/user-dto.js';

export type MembersQuery = ReturnType<typeof createMembersQuery>;

/**
 * The member list of a big group, a page at a time: by username, after the last one of the previous
 * page (keyset paging, so a deep page costs what the first does), optionally only usernames or
 * display names starting with `q`. Any member may read it.
 */
export function createMembersQuery(prisma: PrismaClient, clock: () => Date = () => new Date()) {
  return {
    async page(userId: number, conversationId: number, query: MemberPageQuery): Promise<MemberPage> {
      const own = await prisma.membership.findUnique({
        where: { conversationId_userId: { conversationId, userId } },
        select: { userId: true },
      });
      if (!own) throw conversationNotFound();
      const prefix = escapeLike(query.q);
      const where: Prisma.MembershipWhereInput = {
        conversationId,
        user: {
          ...(query.after !== undefined ? { username: { gt: query.after } } : {}),
          ...(prefix
            ? {
                OR: [
                  { username: { startsWith: prefix.toLowerCase() } },
                  { displayName: { startsWith: prefix } },
                ],
              }
            : {}),
        },
      };
      const [rows, total] = await Promise.all([
        prisma.membership.findMany({
          where,
          select: { role: true, joinedAt: true, mutedUntil: true, user: { select: userSummarySelect } },
          orderBy: { user: { username: 'asc' } },
          take: query.limit + 1,
        }),
        prisma.membership.count({ where: { conversationId } }),
      ]);
      const now = clock();
      const page = rows.slice(0, query.limit);
      return {
        members: page.map((row) => ({
          ...toUserSummary(row.user),
          role: row.role,
          joinedAt: row.joinedAt.toISOString(),
          mutedUntil: row.mutedUntil && row.mutedUntil > now ? row.mutedUntil.toISOString() : null,
        })),
        next: rows.length > query.limit ? (page.at(-1)?.user.username ?? null) : null,
        total,
      };
    },
  };
}
