import {
  ErrorCode,
  ServerEvent,
  type AdminGroup,
  type AdminGroupDetail,
  type AdminGroupPage,
  type AdminSearchQuery,
} from '@parley/shared';
import type { Conversation, PrismaClient } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { escapeLike } from '../../lib/like-pattern.js';
import { rooms, type ParleyServer } from '../../plugins/socket-io.js';
import { recordAudit } from '../audit/audit.service.js';
import type { AuditReader } from './audit.query.js';

export interface AdminGroupsDeps {
  prisma: PrismaClient;
  io: ParleyServer;
  audit: AuditReader;
}

export type AdminGroupsService = ReturnType<typeof createAdminGroupsService>;

type GroupRow = Conversation & { _count: { memberships: number } };

function toAdminGroup(row: GroupRow): AdminGroup {
  return {
    id: row.id,
    name: row.name,
    memberCount: row._count.memberships,
    messageCount: row.lastSeq,
    createdAt: row.createdAt.toISOString(),
    lastActivityAt: row.lastActivityAt.toISOString(),
    archivedAt: row.archivedAt?.toISOString() ?? null,
  };
}

const withCount = { _count: { select: { memberships: true } } } as const;
const notFound = (id: number) => new AppError(ErrorCode.ConversationNotFound, `No group ${id}`);

/** Groups as the site console sees and changes them; every change writes an audit row in its transaction. */
export function createAdminGroupsService({ prisma, io, audit }: AdminGroupsDeps) {
  async function find(id: number): Promise<GroupRow> {
    const row = await prisma.conversation.findFirst({ where: { id, kind: 'group' }, include: withCount });
    if (!row) throw notFound(id);
    return row;
  }

  async function setArchived(actorId: number, id: number, archived: boolean): Promise<AdminGroup> {
    await prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<Array<{ archivedAt: Date | null }>>`
        SELECT archivedAt FROM conversations WHERE id = ${id} AND kind = 'group' FOR UPDATE`;
      if (!row) throw notFound(id);
      if ((row.archivedAt !== null) === archived) return;
      const archivedAt = archived ? new Date() : null;
      await tx.conversation.update({ where: { id }, data: { archivedAt } });
      await recordAudit(tx, {
        actorId,
        action: archived ? 'site.group.archive' : 'site.group.unarchive',
        conversationId: id,
        before: { archivedAt: row.archivedAt?.toISOString() ?? null },
        after: { archivedAt: archivedAt?.toISOString() ?? null },
      });
    });
    return toAdminGroup(await find(id));
  }

  return {
    /** Groups whose name starts with `q`, by id, a page at a time. */
    async search({ q, cursor, limit }: AdminSearchQuery): Promise<AdminGroupPage> {
      const rows = await prisma.conversation.findMany({
        where: {
          kind: 'group',
          ...(cursor ? { id: { gt: cursor } } : {}),
          ...(q ? { name: { startsWith: escapeLike(q) } } : {}),
        },
        include: withCount,
        orderBy: { id: 'asc' },
        take: limit + 1,
      });
      const page = rows.slice(0, limit);
      return { groups: page.map(toAdminGroup), nextCursor: rows.length > limit ? page.at(-1)!.id : null };
    },

    /** The group, its first 100 members (owner and admins first), and its latest 20 audit rows. */
    async detail(id: number): Promise<AdminGroupDetail> {
      const group = await find(id);
      const members = await prisma.membership.findMany({
        where: { conversationId: id },
        include: { user: { select: { username: true, displayName: true } } },
        orderBy: [{ role: 'asc' }, { userId: 'asc' }],
        take: 100,
      });
      const activity = await audit.list({ conversationId: id, limit: 20 });
      return {
        group: toAdminGroup(group),
        members: members.map((m) => ({
          id: m.userId,
          username: m.user.username,
          displayName: m.user.displayName,
          role: m.role,
          joinedAt: m.joinedAt.toISOString(),
        })),
        activity: activity.entries,
      };
    },

    /** Archived: members keep reading it, nobody may send (`conversation/archived`). */
    archive: (actorId: number, id: number) => setArchived(actorId, id, true),
    unarchive: (actorId: number, id: number) => setArchived(actorId, id, false),

    /**
     * Deletes the group with its messages, memberships, bans and invites, once `confirm` repeats its
     * name (its id when it has none). Members' open tabs get `conversation:removed` (reason `deleted`)
     * and leave its room on every process. The audit row keeps what it was.
     */
    async remove(actorId: number, id: number, confirm: string): Promise<void> {
      const group = await find(id);
      if (confirm !== (group.name ?? String(id))) {
        throw new AppError(ErrorCode.Invalid, 'confirm must repeat the group name', [
          { path: 'confirm', message: 'must repeat the group name' },
        ]);
      }
      await prisma.$transaction(async (tx) => {
        await tx.conversation.delete({ where: { id } });
        await recordAudit(tx, {
          actorId,
          action: 'site.group.delete',
          conversationId: id,
          before: { name: group.name, members: group._count.memberships, messages: group.lastSeq },
        });
      });
      const room = rooms.conversation(id);
      io.in(room).emit(ServerEvent.ConversationRemoved, { conversationId: id, reason: 'deleted' });
      io.in(room).socketsLeave(room);
    },
  };
}
