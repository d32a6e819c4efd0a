import {
  mayAct,
  type BanPage,
  type BanPageQuery,
  type MemberPage,
  type MemberPageQuery,
} from '@parley/shared';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { escapeLike } from '../../lib/like-pattern.js';
import { conversationNotFound } from '../conversations/conversations.service.js';
import { forbidden } from './group-change.js';
import { toUserSummary, userSummarySelect } from '../users/user-dto.js';

export type MembersQuery = ReturnType<typeof createMembersQuery>;

/**
 * Reads of a group's people that change nothing, so they take no lock. The member list of a big group, a page at a time: by username, after the last one of the previous
 * page (keyset paging, so a deep page costs what the first does), optionally only usernames or
 * display names starting with `q`. Any member may read it.
 */
export function createMembersQuery(prisma: PrismaClient, clock: () => Date = () => new Date()) {
  return {
    /**
     * The group's banned users, a page at a time by user id (`cursor` the last id seen). Only a role
     * that may ban (the role table's `banMember`) reads it, as only it can lift a ban: anyone else is
     * `conversation/forbidden`; not a member, or a direct conversation's id, `conversation/not_found`.
     */
    async bans(userId: number, conversationId: number, query: BanPageQuery): Promise<BanPage> {
      const own = await prisma.membership.findUnique({
        where: { conversationId_userId: { conversationId, userId } },
        select: { role: true, conversation: { select: { kind: true } } },
      });
      if (!own || own.conversation.kind !== 'group') throw conversationNotFound();
      if (!mayAct('banMember', own.role)) throw forbidden();
      const rows = await prisma.groupBan.findMany({
        where: { conversationId, ...(query.cursor !== undefined ? { userId: { gt: query.cursor } } : {}) },
        orderBy: { userId: 'asc' },
        take: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const people = await prisma.user.findMany({
        where: { id: { in: [...new Set(page.flatMap((row) => [row.userId, row.bannedById]))] } },
        select: userSummarySelect,
      });
      const byId = new Map(people.map((person) => [person.id, toUserSummary(person)]));
      return {
        bans: page.flatMap((row) => {
          const user = byId.get(row.userId);
          if (!user) return [];
          return [
            { user, bannedBy: byId.get(row.bannedById) ?? null, bannedAt: row.createdAt.toISOString() },
          ];
        }),
        nextCursor: rows.length > query.limit ? (page.at(-1)?.userId ?? null) : null,
      };
    },

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
