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
 * Only reads: the app never updates or deletes audit rows (features/audit/audit.service.ts).
 */
export function createAuditReader(prisma: PrismaClient) {
  return {
    async list(query: Partial<AuditQuery> & { limit: number }): Promise<AuditPage> {
      const where: Prisma.AuditLogWhereInput = {
        ...(query.cursor ? { id: { lt: query.cursor } } : {}),
        ...(query.actorId ? { actorId: query.actorId } : {}),
        ...(query.targetUserId ? { targetUserId: query.targetUserId } : {}),
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
      const actors = await prisma.user.findMany({
        where: { id: { in: [...new Set(page.map((row) => row.actorId))] } },
        select: { id: true, username: true },
      });
      const names = new Map(actors.map((actor) => [actor.id, actor.username]));
      const entries = page.map((row): AuditEntryView => ({
        id: row.id,
        createdAt: row.createdAt.toISOString(),
        actor: { id: row.actorId, username: names.get(row.actorId) ?? null },
        action: row.action,
        conversationId: row.conversationId,
        targetUserId: row.targetUserId,
        before: parse(row.before),
        after: parse(row.after),
      }));
      return { entries, nextCursor: rows.length > query.limit ? page.at(-1)!.id : null };
    },
  };
}
