import { z } from 'zod';

export const memberRoleSchema = z.enum(['owner', 'admin', 'member']);
export type MemberRole = z.infer<typeof memberRoleSchema>;

/**
 * Who may do what in a group: the one table the server enforces (`conversation/forbidden` when a
 * cell says no) and the web app reads to hide what the viewer may not do. docs/protocol.md,
 * "Group roles", prints it.
 *
 * - `'yes'`: allowed.
 * - `'lower'`: allowed on a member whose role ranks below the actor's (owner > admin > member), so an
 *   admin can act on members but not on other admins or the owner, and nobody on themself.
 * - `'no'`: refused.
 */
export type RoleRule = 'yes' | 'lower' | 'no';

export const GROUP_ACTIONS = [
  /** Name, description, pinned announcement. */
  'editSettings',
  /** "Only admins can post" and slow mode. */
  'setPostingRules',
  'addMembers',
  'removeMember',
  /** Make a member an admin, or an admin a member. */
  'setRole',
  /** Hand the owner role to another member (the owner becomes an admin). */
  'transferOwnership',
  /** Create, list and revoke invite links. */
  'manageInvites',
  /** Mute a member for a period (and lift it). */
  'muteMember',
  /** Remove a member and refuse them through invite links (and lift it). */
  'banMember',
  /** Delete someone else's message ("removed by an admin"). */
  'deleteAnyMessage',
  /** Leave the group. The owner must transfer first, unless they are the last member. */
  'leave',
] as const;
export type GroupAction = (typeof GROUP_ACTIONS)[number];

export const GROUP_ROLE_TABLE: Readonly<Record<GroupAction, Readonly<Record<MemberRole, RoleRule>>>> = {
  editSettings: { owner: 'yes', admin: 'yes', member: 'no' },
  setPostingRules: { owner: 'yes', admin: 'yes', member: 'no' },
  addMembers: { owner: 'yes', admin: 'yes', member: 'no' },
  removeMember: { owner: 'lower', admin: 'lower', member: 'no' },
  setRole: { owner: 'lower', admin: 'no', member: 'no' },
  transferOwnership: { owner: 'lower', admin: 'no', member: 'no' },
  manageInvites: { owner: 'yes', admin: 'yes', member: 'no' },
  muteMember: { owner: 'lower', admin: 'lower', member: 'no' },
  banMember: { owner: 'lower', admin: 'lower', member: 'no' },
  deleteAnyMessage: { owner: 'yes', admin: 'yes', member: 'no' },
  leave: { owner: 'no', admin: 'yes', member: 'yes' },
};

const RANK: Readonly<Record<MemberRole, number>> = { owner: 3, admin: 2, member: 1 };

/**
 * Whether a member with `actor` role may take `action`, on a member with `target` role when the
 * action has one (a `'lower'` cell without a target is allowed: the target is checked later).
 */
export function mayAct(action: GroupAction, actor: MemberRole, target?: MemberRole): boolean {
  const rule = GROUP_ROLE_TABLE[action][actor];
  if (rule === 'no') return false;
  if (rule === 'yes' || target === undefined) return true;
  return RANK[actor] > RANK[target];
}

/** Whether `role` may post while the group is in "only admins can post" mode. */
export function mayPostInAnnouncementGroup(role: MemberRole): boolean {
  return role !== 'member';
}
