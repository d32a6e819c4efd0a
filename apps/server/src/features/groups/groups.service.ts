import {
  ErrorCode,
  type AddMembersBody,
  type ConversationRemoved,
  type GroupSettingsBody,
  type GroupState,
  type Message,
  type SettingsChanges,
  type UserSummary,
} from '@parley/shared';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { toUserSummary, userSummarySelect } from '../users/user-dto.js';
import { unknownMembers } from '../conversations/conversations.service.js';
import { summaryOf } from '../users/user-locks.js';
import { forbidden, runGroupChange, type GroupChange } from './group-change.js';

/**
 * What a change means for sockets, done by groups.notifier.ts after the commit: system messages for
 * the room, the group's new shared state, people to add to the room, people to take out of it.
 */
export interface GroupOutcome {
  conversationId: number;
  messages: Message[];
  /** Settings, members or roles changed: the notifier reads and sends the group's state. */
  stateChanged: boolean;
  joined: number[];
  removed: Array<{ userId: number; reason: ConversationRemoved['reason'] }>;
}

export interface GroupsServiceDeps {
  prisma: PrismaClient;
  /** Members a group may have at most (MAX_GROUP_MEMBERS). */
  maxMembers: number;
  clock?: () => Date;
}

export type GroupsService = ReturnType<typeof createGroupsService>;

function groupRule(message: string, path: string): AppError {
  return new AppError(ErrorCode.GroupRule, message, [{ path, message }]);
}

export function createGroupsService({ prisma, maxMembers, clock = () => new Date() }: GroupsServiceDeps) {
  async function stateOf(conversationId: number): Promise<GroupState> {
    const row = await prisma.conversation.findUniqueOrThrow({
      where: { id: conversationId },
      include: {
        memberships: { include: { user: { select: userSummarySelect } }, orderBy: { joinedAt: 'asc' } },
      },
    });
    return {
      conversationId,
      name: row.name,
      description: row.description,
      announcement: row.announcement,
      onlyAdminsPost: row.onlyAdminsPost,
      slowModeSeconds: row.slowModeSeconds,
      archivedAt: row.archivedAt?.toISOString() ?? null,
      members: row.memberships.map((m) => ({ ...toUserSummary(m.user), role: m.role })),
    };
  }

  /** Runs a change and shapes its outcome. */
  async function change(
    conversationId: number,
    actorId: number,
    work: (change: GroupChange) => Promise<Partial<Pick<GroupOutcome, 'joined' | 'removed'>> | void>,
    options: { asNonMember?: boolean; stateChanged?: boolean; people?: readonly number[] } = {},
  ): Promise<GroupOutcome> {
    const { result, messages } = await runGroupChange(
      prisma,
      { conversationId, actorId, now: clock(), asNonMember: options.asNonMember, people: options.people },
      work,
    );
    return {
      conversationId,
      messages,
      // Read by the notifier after it has moved sockets: nothing between this commit and a removed
      // member's sockets leaving the room but returning from here.
      stateChanged: options.stateChanged !== false,
      joined: result?.joined ?? [],
      removed: result?.removed ?? [],
    };
  }

  /** A member other than the actor, or `user/not_found` (the same for a stranger and a non-member). */
  async function targetOf(c: GroupChange, userId: number) {
    const target = await c.member(userId);
    if (!target) throw new AppError(ErrorCode.UserNotFound, 'No such member in this group');
    return target;
  }

  async function countMembers(c: GroupChange): Promise<number> {
    return c.tx.membership.count({ where: { conversationId: c.group.id } });
  }

  async function removeMembership(c: GroupChange, userId: number): Promise<void> {
    await c.tx.membership.delete({
      where: { conversationId_userId: { conversationId: c.group.id, userId } },
    });
  }

  return {
    stateOf,

    /** Name, description, announcement (editSettings) and posting rules (setPostingRules). */
    updateSettings(actorId: number, conversationId: number, body: GroupSettingsBody) {
      return change(conversationId, actorId, async (c) => {
        if (body.name !== undefined || body.description !== undefined || body.announcement !== undefined)
          c.allow('editSettings');
        if (body.onlyAdminsPost !== undefined || body.slowModeSeconds !== undefined)
          c.allow('setPostingRules');
        const changes: SettingsChanges = {};
        const g = c.group;
        if (body.name !== undefined && body.name !== g.name)
          changes.name = { from: g.name ?? '', to: body.name };
        if (body.description !== undefined && body.description !== g.description)
          changes.description = { from: g.description, to: body.description };
        if (body.announcement !== undefined && body.announcement !== g.announcement)
          changes.announcement = { from: g.announcement, to: body.announcement };
        if (body.onlyAdminsPost !== undefined && body.onlyAdminsPost !== g.onlyAdminsPost)
          changes.onlyAdminsPost = { from: g.onlyAdminsPost, to: body.onlyAdminsPost };
        if (body.slowModeSeconds !== undefined && body.slowModeSeconds !== g.slowModeSeconds)
          changes.slowModeSeconds = { from: g.slowModeSeconds, to: body.slowModeSeconds };
        const keys = Object.keys(changes) as Array<keyof SettingsChanges>;
        if (keys.length === 0) return; // the same values again: nothing to record
        await c.tx.conversation.update({
          where: { id: conversationId },
          data: Object.fromEntries(keys.map((key) => [key, changes[key]!.to])),
        });
        await c.system({ kind: 'settings_changed', actor: c.actor, changes });
        await c.audit({
          action: 'group.settings',
          before: Object.fromEntries(keys.map((key) => [key, changes[key]!.from])),
          after: Object.fromEntries(keys.map((key) => [key, changes[key]!.to])),
        });
      });
    },

    /**
     * Adds people by username. Unknown or deactivated usernames: `conversation/unknown_members`;
     * a banned one: `conversation/banned`; past the size limit: `conversation/rule`. Those already
     * in the group are skipped (adding twice is harmless).
     */
    async addMembers(actorId: number, conversationId: number, { usernames }: AddMembersBody) {
      const wanted = [...new Set(usernames)];
      // Found before the change's transaction, so that it locks their rows with the actor's, in id
      // order, before it writes anything (group-change.ts); whether each is still active is read again
      // under those locks: one deactivated meanwhile is not added after the deactivation returned.
      const named = await prisma.user.findMany({
        where: { username: { in: wanted }, deactivatedAt: null },
        select: { id: true },
      });
      return change(
        conversationId,
        actorId,
        async (c) => {
          c.allow('addMembers');
          const users = named.flatMap(({ id }) => {
            const user = c.people.get(id);
            return user && !user.deactivated ? [summaryOf(user)] : [];
          });
          const missing = wanted.filter((name) => !users.some((user) => user.username === name));
          if (missing.length > 0) throw unknownMembers(missing, 'usernames');
          const ids = users.map((user) => user.id);
          const banned = await c.tx.groupBan.findMany({
            where: { conversationId, userId: { in: ids } },
            select: { userId: true },
          });
          if (banned.length > 0)
            throw new AppError(ErrorCode.Banned, 'A banned user cannot be added; unban first');
          const present = new Set(
            (
              await c.tx.membership.findMany({
                where: { conversationId, userId: { in: ids } },
                select: { userId: true },
              })
            ).map((m) => m.userId),
          );
          const fresh = users.filter((user) => !present.has(user.id));
          if (fresh.length === 0) return;
          if ((await countMembers(c)) + fresh.length > maxMembers)
            throw groupRule(`A group has at most ${maxMembers} members`, 'usernames');
          await c.tx.membership.createMany({
            data: fresh.map((user) => ({
              conversationId,
              userId: user.id,
              role: 'member' as const,
              joinedAt: c.now,
            })),
          });
          await c.system({ kind: 'members_added', actor: c.actor, targets: fresh });
          await c.audit({ action: 'group.members.add', after: { userIds: fresh.map((t) => t.id) } });
          return { joined: fresh.map((t) => t.id) };
        },
        { people: named.map(({ id }) => id) },
      );
    },

    /** Kick: the owner can remove anyone else, an admin only members (GROUP_ROLE_TABLE). */
    removeMember(actorId: number, conversationId: number, userId: number) {
      return change(conversationId, actorId, async (c) => {
        if (userId === actorId) throw forbidden('Leave the group instead of removing yourself');
        c.allow('removeMember');
        const target = await targetOf(c, userId);
        c.allow('removeMember', target.role);
        await removeMembership(c, userId);
        await c.system({ kind: 'member_removed', actor: c.actor, target: strip(target) });
        await c.audit({ action: 'group.member.remove', targetUserId: userId, before: { role: target.role } });
        return { removed: [{ userId, reason: 'removed' as const }] };
      });
    },

    /** The owner may leave only as the last member; everyone else may leave at any time. */
    leave(userId: number, conversationId: number) {
      return change(conversationId, userId, async (c) => {
        if (c.actorRole === 'owner' && (await countMembers(c)) > 1)
          throw groupRule('Transfer ownership before leaving the group', 'owner');
        await removeMembership(c, userId);
        await c.system({ kind: 'member_left', actor: c.actor });
        await c.audit({ action: 'group.member.leave', targetUserId: userId, before: { role: c.actorRole } });
        return { removed: [{ userId, reason: 'left' as const }] };
      });
    },

    /** Promote to admin or demote to member; the owner's role changes only by transfer. */
    setRole(actorId: number, conversationId: number, userId: number, role: 'admin' | 'member') {
      return change(conversationId, actorId, async (c) => {
        c.allow('setRole');
        const target = await targetOf(c, userId);
        if (target.role === 'owner')
          throw groupRule('The owner keeps their role until they transfer it', 'role');
        c.allow('setRole', target.role);
        if (target.role === role) return;
        await c.tx.membership.update({
          where: { conversationId_userId: { conversationId, userId } },
          data: { role },
        });
        await c.system({
          kind: 'role_changed',
          actor: c.actor,
          target: strip(target),
          from: target.role,
          to: role,
        });
        await c.audit({
          action: 'group.member.role',
          targetUserId: userId,
          before: { role: target.role },
          after: { role },
        });
      });
    },

    /** The owner hands the group to another member and becomes an admin. */
    transferOwnership(actorId: number, conversationId: number, userId: number) {
      return change(conversationId, actorId, async (c) => {
        c.allow('transferOwnership');
        if (userId === actorId) throw groupRule('You already own this group', 'userId');
        const target = await targetOf(c, userId);
        c.allow('transferOwnership', target.role);
        await c.tx.membership.update({
          where: { conversationId_userId: { conversationId, userId } },
          data: { role: 'owner' },
        });
        await c.tx.membership.update({
          where: { conversationId_userId: { conversationId, userId: actorId } },
          data: { role: 'admin' },
        });
        await c.system({ kind: 'ownership_transferred', actor: c.actor, target: strip(target) });
        await c.audit({
          action: 'group.owner.transfer',
          targetUserId: userId,
          before: { ownerId: actorId },
          after: { ownerId: userId },
        });
      });
    },

    /** Mutes for `seconds` from now, or lifts the mute (`seconds` null). */
    mute(actorId: number, conversationId: number, userId: number, seconds: number | null) {
      return change(
        conversationId,
        actorId,
        async (c) => {
          c.allow('muteMember');
          const target = await targetOf(c, userId);
          c.allow('muteMember', target.role);
          const until = seconds === null ? null : new Date(c.now.getTime() + seconds * 1000);
          await c.tx.membership.update({
            where: { conversationId_userId: { conversationId, userId } },
            data: { mutedUntil: until },
          });
          const iso = until?.toISOString() ?? null;
          await c.system({ kind: 'member_muted', actor: c.actor, target: strip(target), until: iso });
          await c.audit({ action: 'group.member.mute', targetUserId: userId, after: { mutedUntil: iso } });
        },
        { stateChanged: false },
      );
    },

    /** Removes the member (if present) and refuses them through invite links until unbanned. */
    ban(actorId: number, conversationId: number, userId: number) {
      return change(conversationId, actorId, async (c) => {
        if (userId === actorId) throw forbidden('You cannot ban yourself');
        c.allow('banMember');
        const target = await targetOf(c, userId);
        c.allow('banMember', target.role);
        await removeMembership(c, userId);
        await c.tx.groupBan.upsert({
          where: { conversationId_userId: { conversationId, userId } },
          create: { conversationId, userId, bannedById: actorId, createdAt: c.now },
          update: {},
        });
        await c.system({ kind: 'member_banned', actor: c.actor, target: strip(target) });
        await c.audit({ action: 'group.member.ban', targetUserId: userId, before: { role: target.role } });
        return { removed: [{ userId, reason: 'banned' as const }] };
      });
    },

    unban(actorId: number, conversationId: number, userId: number) {
      return change(
        conversationId,
        actorId,
        async (c) => {
          c.allow('banMember');
          const { count } = await c.tx.groupBan.deleteMany({ where: { conversationId, userId } });
          if (count > 0) await c.audit({ action: 'group.member.unban', targetUserId: userId });
        },
        { stateChanged: false },
      );
    },
  };
}

/** A member row as the summary a system message carries. */
function strip(member: UserSummary): UserSummary {
  return { id: member.id, username: member.username, displayName: member.displayName, kind: member.kind };
}
