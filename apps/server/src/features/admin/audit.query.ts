import type { AuditEntryView, AuditPage, AuditQuery } from '@parley/shared';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { escapeLike } from '../../lib/like-pattern.js';

export type AuditReader = ReturnType<typeof createAuditReader>;

function parse(json: string | null): unknown {
  return json === null ? null : (JSON.parse(json) as unknown);
}

/**
 * Reads the audit log newest first, filtered by actor, action (exact, or a prefix ending in "."),
 * target user, group and time; each filter walks one of the table's (column, createdAt) indexes.
 * Actor and target may be given by username, resolved to an id first: an unknown one matches no row.
 * Each entry carries the target's username and the group's name as they are now (null once gone).
 * Only reads: the app never updates or deletes audit rows (features/audit/audit.service.ts).
 */
export function createAuditReader(prisma: PrismaClient) {
  /** The id of `username`, undefined when not asked, null when there is no such account. */
  async function idOf(username: string | undefined): Promise<number | null | undefined> {
    if (username === undefined) return undefined;
    const user = await prisma.user.findUnique({ where: { username }, select: { id: true } });
    return user?.id ?? null;
  }

  return {
    async list(query: Partial<AuditQuery> & { limit: number }): Promise<AuditPage> {
      const [actorByName, targetByName] = await Promise.all([
        idOf(query.actorUsername),
        idOf(query.targetUsername),
      ]);
      if (actorByName === null || targetByName === null) return { entries: [], nextCursor: null };
      const actorId = query.actorId ?? actorByName;
      const targetUserId = query.targetUserId ?? targetByName;
      const where: Prisma.AuditLogWhereInput = {
        ...(query.cursor ? { id: { lt: query.cursor } } : {}),
        ...(actorId ? { actorId } : {}),
        ...(targetUserId ? { targetUserId } : {}),
        ...(query.conversationId ? { conversationId: query.conversationId } : {}),
        ...(query.action
          ? query.action.endsWith('.')
            ? { action: { startsWith: escapeLike(query.action) } }
            : { action: query.action }
          : {}),
        ...(query.from || query.to
          ? {
              createdAt: {
                ...(query.from ? { gte: new Date(query.from) } : {}),
                ...(query.to ? { lt: new Date(query.to) } : {}),
              },
            }
          : {}),
      };
      const rows = await prisma.auditLog.findMany({ where, orderBy: { id: 'desc' }, take: query.limit + 1 });
      const page = rows.slice(0, query.limit);
      const userIds = new Set(
        page.flatMap((row) => [row.actorId, ...(row.targetUserId ? [row.targetUserId] : [])]),
      );
      const conversationIds = new Set(page.flatMap((row) => row.conversationId ?? []));
      const [users, conversations] = await Promise.all([
        prisma.user.findMany({ where: { id: { in: [...userIds] } }, select: { id: true, username: true } }),
        prisma.conversation.findMany({
          where: { id: { in: [...conversationIds] } },
          select: { id: true, name: true },
        }),
      ]);
      const usernames = new Map(users.map((user) => [user.id, user.username]));
      const names = new Map(conversations.map((conversation) => [conversation.id, conversation.name]));
      const entries = page.map((row): AuditEntryView => ({
        id: row.id,
        createdAt: row.createdAt.toISOString(),
        actor: { id: row.actorId, username: usernames.get(row.actorId) ?? null },
        action: row.action,
        conversationId: row.conversationId,
        conversationName: row.conversationId === null ? null : (names.get(row.conversationId) ?? null),
        targetUserId: row.targetUserId,
        targetUsername: row.targetUserId === null ? null : (usernames.get(row.targetUserId) ?? null),
        before: parse(row.before),
        after: parse(row.after),
      }));
      return { entries, nextCursor: rows.length > query.limit ? page.at(-1)!.id : null };
    },
  };
}
