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
import { failpoint } from '../../lib/failpoints.js';
import { escapeLike } from '../../lib/like-pattern.js';
import { rooms, type ParleyServer } from '../../plugins/socket-io.js';
import { recordAudit } from '../audit/audit.service.js';
import { runGroupChange } from '../groups/group-change.js';
import type { GroupNotifier } from '../groups/groups.notifier.js';
import { deleteUploadRows } from '../uploads/uploads.repository.js';
import type { AuditReader } from './audit.query.js';
import { LOCK_THEN_READ_COMMITTED } from '../../plugins/prisma.js';

export interface AdminGroupsDeps {
  prisma: PrismaClient;
  io: ParleyServer;
  audit: AuditReader;
  /** Tells members' sockets about an archive or unarchive, as for any group change. */
  notify: GroupNotifier;
  clock?: () => Date;
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

/**
 * Messages per transaction when a group is deleted (`remove`): a slice and its reactions take a few
 * hundred milliseconds to delete, so no lock is held for long.
 */
export const DELETE_SLICE = 2_000;
const notFound = (id: number) => new AppError(ErrorCode.ConversationNotFound, `No group ${id}`);

/** Groups as the site console sees and changes them; every change writes an audit row in its transaction. */
export function createAdminGroupsService({
  prisma,
  io,
  audit,
  notify,
  clock = () => new Date(),
}: AdminGroupsDeps) {
  async function find(id: number): Promise<GroupRow> {
    const row = await prisma.conversation.findFirst({ where: { id, kind: 'group' }, include: withCount });
    if (!row) throw notFound(id);
    return row;
  }

  /**
   * Archives or unarchives as a group change (group-change.ts): in one transaction holding the
   * conversation row's lock, the flag, a `group_archived`/`group_unarchived` system message (the site
   * admin as actor, usually not a member) and the audit row; then, on every process, `message:new`
   * and `conversation:updated` to the room (groups.notifier.ts). Setting what is already set changes,
   * writes and sends nothing.
   */
  async function setArchived(actorId: number, id: number, archived: boolean): Promise<AdminGroup> {
    await find(id);
    const { result: changed, messages } = await runGroupChange(
      prisma,
      { conversationId: id, actorId, now: clock(), asNonMember: true, whileArchived: true },
      async (c) => {
        if ((c.group.archivedAt !== null) === archived) return false;
        const archivedAt = archived ? c.now : null;
        await c.tx.conversation.update({ where: { id }, data: { archivedAt } });
        await c.system({ kind: archived ? 'group_archived' : 'group_unarchived', actor: c.actor });
        await c.audit({
          action: archived ? 'site.group.archive' : 'site.group.unarchive',
          before: { archivedAt: c.group.archivedAt?.toISOString() ?? null },
          after: { archivedAt: archivedAt?.toISOString() ?? null },
        });
        return true;
      },
    );
    await notify({ conversationId: id, messages, stateChanged: changed, joined: [], removed: [] });
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

    /**
     * Archived: members keep reading it, nobody may send (`conversation/archived`); their open tabs
     * are told live, and a reconnecting client sees `archivedAt` and the system message.
     */
    archive: (actorId: number, id: number) => setArchived(actorId, id, true),
    unarchive: (actorId: number, id: number) => setArchived(actorId, id, false),

    /**
     * Deletes the group with its messages, memberships, bans, invites and its messages' uploads (their
     * rows now, their bytes at the next orphan-blob sweep), once `confirm` repeats its name (its id
     * when it has none). Members' open tabs get `conversation:removed` (reason `deleted`)
     * and leave its room on every process. The audit row keeps what it was.
     *
     * In steps, so that no transaction grows with the group's history: one statement makes the group
     * read-only (`archivedAt`, which every send, edit and reaction checks under the conversation's
     * lock), then its messages go `DELETE_SLICE` at a time, newest first, each slice with its
     * reactions and uploads in a short transaction of its own, and last, under the conversation's
     * lock, the conversation with its memberships, bans and invites, and the audit row. In one
     * transaction, a group of 400,000 messages held its conversation's lock for about 28 s, so every
     * send batch of the same lane waited and failed, and the delete itself ran past its transaction's
     * time limit and was rolled back, every time. If the process stops between steps, the group is
     * left archived with part of its history: deleting it again finishes the work.
     */
    async remove(actorId: number, id: number, confirm: string): Promise<void> {
      const group = await find(id);
      if (confirm !== (group.name ?? String(id))) {
        throw new AppError(ErrorCode.Invalid, 'confirm must repeat the group name', [
          { path: 'body.confirm', message: 'must repeat the group name' },
        ]);
      }
      // Read-only from here on: one statement, which waits for the conversation's lock like a send.
      await prisma.conversation.update({
        where: { id },
        data: { archivedAt: group.archivedAt ?? clock() },
      });
      for (let deleted = DELETE_SLICE; deleted === DELETE_SLICE;) {
        deleted = await prisma.$transaction(async (tx) => {
          const slice = await tx.message.findMany({
            where: { conversationId: id },
            select: { id: true, attachmentId: true },
            // Newest first: a reply comes after what it answers, so no reply outlives its target.
            orderBy: { seq: 'desc' },
            take: DELETE_SLICE,
          });
          // Reactions go with their messages (ON DELETE CASCADE), then the uploads, as a deleted message's do.
          await tx.message.deleteMany({ where: { id: { in: slice.map((message) => message.id) } } });
          await deleteUploadRows(
            tx,
            slice.flatMap((message) => (message.attachmentId === null ? [] : [message.attachmentId])),
          );
          return slice.length;
        }, LOCK_THEN_READ_COMMITTED);
        const held = failpoint('admin-group-delete:slice-deleted');
        if (held) await held;
      }
      await prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT id FROM conversations WHERE id = ${id} FOR UPDATE`;
        await tx.conversation.delete({ where: { id } });
        await recordAudit(tx, {
          actorId,
          action: 'site.group.delete',
          conversationId: id,
          before: { name: group.name, members: group._count.memberships, messages: group.lastSeq },
        });
      }, LOCK_THEN_READ_COMMITTED);
      const room = rooms.conversation(id);
      io.in(room).emit(ServerEvent.ConversationRemoved, { conversationId: id, reason: 'deleted' });
      io.in(room).socketsLeave(room);
      const watchers = rooms.presenceWatch(id);
      io.in(watchers).socketsLeave(watchers);
    },
  };
}
