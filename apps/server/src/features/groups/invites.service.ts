import { randomBytes } from 'node:crypto';
import { ErrorCode, type CreateInviteBody, type Invite } from '@parley/shared';
import type { GroupInvite, PrismaClient } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { runGroupChange } from './group-change.js';
import type { GroupOutcome } from './groups.service.js';

export interface InvitesServiceDeps {
  prisma: PrismaClient;
  maxMembers: number;
  clock?: () => Date;
}

export type InvitesService = ReturnType<typeof createInvitesService>;

function toInvite(row: GroupInvite): Invite {
  return {
    id: row.id,
    conversationId: row.conversationId,
    token: row.token,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    maxUses: row.maxUses,
    uses: row.uses,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/**
 * Invite links: a random token that lets a signed-in user join a group, until it expires, runs out
 * of uses or an admin revokes it. Owners and admins manage them (GROUP_ROLE_TABLE.manageInvites).
 */
export function createInvitesService({ prisma, maxMembers, clock = () => new Date() }: InvitesServiceDeps) {
  return {
    async create(actorId: number, conversationId: number, body: CreateInviteBody): Promise<Invite> {
      const { result } = await runGroupChange(
        prisma,
        { conversationId, actorId, now: clock() },
        async (c) => {
          c.allow('manageInvites');
          const row = await c.tx.groupInvite.create({
            data: {
              conversationId,
              token: randomBytes(32).toString('base64url'),
              createdById: actorId,
              createdAt: c.now,
              expiresAt:
                body.expiresInSeconds === undefined
                  ? null
                  : new Date(c.now.getTime() + body.expiresInSeconds * 1000),
              maxUses: body.maxUses ?? null,
            },
          });
          await c.audit({
            action: 'group.invite.create',
            after: { inviteId: row.id, expiresAt: row.expiresAt, maxUses: row.maxUses },
          });
          return toInvite(row);
        },
      );
      return result;
    },

    /** The group's links, newest first, revoked and spent ones included (for the settings panel). */
    async list(actorId: number, conversationId: number): Promise<Invite[]> {
      const { result } = await runGroupChange(
        prisma,
        { conversationId, actorId, now: clock() },
        async (c) => {
          c.allow('manageInvites');
          return c.tx.groupInvite.findMany({ where: { conversationId }, orderBy: { id: 'desc' }, take: 100 });
        },
      );
      return result.map(toInvite);
    },

    /** Revoking twice is harmless; another group's invite id is `invite/not_found`. */
    async revoke(actorId: number, conversationId: number, inviteId: number): Promise<Invite> {
      const { result } = await runGroupChange(
        prisma,
        { conversationId, actorId, now: clock() },
        async (c) => {
          c.allow('manageInvites');
          const row = await c.tx.groupInvite.findFirst({ where: { id: inviteId, conversationId } });
          if (!row) throw new AppError(ErrorCode.InviteNotFound, 'No such invite link');
          if (row.revokedAt) return row;
          await c.audit({ action: 'group.invite.revoke', before: { inviteId } });
          return c.tx.groupInvite.update({ where: { id: inviteId }, data: { revokedAt: c.now } });
        },
      );
      return toInvite(result);
    },

    /**
     * Joins the invite's group. Unknown or revoked: `invite/not_found`; expired or used up:
     * `invite/expired`; banned: `conversation/banned`; full: `conversation/rule`. Joining a group one
     * is already in answers the group and spends no use.
     */
    async join(userId: number, token: string): Promise<GroupOutcome & { alreadyMember: boolean }> {
      const invite = await prisma.groupInvite.findUnique({
        where: { token },
        select: { conversationId: true },
      });
      if (!invite) throw new AppError(ErrorCode.InviteNotFound, 'No such invite link');
      const { conversationId } = invite;
      const { result, messages } = await runGroupChange(
        prisma,
        { conversationId, actorId: userId, now: clock(), asNonMember: true },
        async (c) => {
          // Read again under the group's lock, so two people cannot both take the last use.
          const row = await c.tx.groupInvite.findUniqueOrThrow({ where: { token } });
          if (row.revokedAt) throw new AppError(ErrorCode.InviteNotFound, 'This invite link was revoked');
          if (c.actorRole) return { alreadyMember: true };
          if ((row.expiresAt && row.expiresAt <= c.now) || (row.maxUses !== null && row.uses >= row.maxUses))
            throw new AppError(ErrorCode.InviteExpired, 'This invite link has expired');
          const banned = await c.tx.groupBan.findUnique({
            where: { conversationId_userId: { conversationId, userId } },
          });
          if (banned) throw new AppError(ErrorCode.Banned, 'You cannot join this group');
          if ((await c.tx.membership.count({ where: { conversationId } })) >= maxMembers)
            throw new AppError(ErrorCode.GroupRule, `A group has at most ${maxMembers} members`);
          await c.tx.membership.create({ data: { conversationId, userId, role: 'member', joinedAt: c.now } });
          await c.tx.groupInvite.update({ where: { id: row.id }, data: { uses: { increment: 1 } } });
          await c.system({ kind: 'member_joined', actor: c.actor });
          await c.audit({ action: 'group.member.join', targetUserId: userId, after: { inviteId: row.id } });
          return { alreadyMember: false };
        },
      );
      return {
        conversationId,
        messages,
        stateChanged: !result.alreadyMember,
        joined: result.alreadyMember ? [] : [userId],
        removed: [],
        alreadyMember: result.alreadyMember,
      };
    },
  };
}
