import { z } from 'zod';
import { idCursorPageQuery, idSchema, isoDateSchema } from './common.js';
import { memberSchema } from './conversations.js';
import { messageBodySchema, textInputSchema, visibleNameSchema } from './text.js';
import { GROUP_NAME_MAX } from './conversations.js';
import { userSummarySchema, usernameSchema } from './users.js';

export const GROUP_DESCRIPTION_MAX = 500;
export const GROUP_ANNOUNCEMENT_MAX = 2000;
/** Slow mode: at most one message per this many seconds per member (0 turns it off). */
export const SLOW_MODE_MAX_SECONDS = 6 * 60 * 60;
/** A mute lasts at most this long (a year). */
export const MUTE_MAX_SECONDS = 365 * 24 * 60 * 60;
/** Usernames per `POST …/members`. */
export const ADD_MEMBERS_MAX = 50;
export const MEMBER_PAGE_MAX = 100;
export const INVITE_MAX_USES = 10_000;
export const INVITE_MAX_SECONDS = 365 * 24 * 60 * 60;
/** Group size when the server's MAX_GROUP_MEMBERS is not set. */
export const DEFAULT_MAX_GROUP_MEMBERS = 1000;

/** `PATCH /api/conversations/:id`: any of the fields; null clears description and announcement. */
export const groupSettingsBodySchema = z
  .strictObject({
    name: visibleNameSchema(GROUP_NAME_MAX).optional(),
    description: messageBodySchema(GROUP_DESCRIPTION_MAX).nullable().optional(),
    announcement: messageBodySchema(GROUP_ANNOUNCEMENT_MAX).nullable().optional(),
    onlyAdminsPost: z.boolean().optional(),
    slowModeSeconds: z.number().int().min(0).max(SLOW_MODE_MAX_SECONDS).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'change at least one setting' });
export type GroupSettingsBody = z.infer<typeof groupSettingsBodySchema>;

/** `POST /api/conversations/:id/members`. */
export const addMembersBodySchema = z.strictObject({
  usernames: z.array(usernameSchema).min(1).max(ADD_MEMBERS_MAX),
});
export type AddMembersBody = z.infer<typeof addMembersBodySchema>;

/** `PUT /api/conversations/:id/members/:userId/role`: owner is given by transfer, not here. */
export const setRoleBodySchema = z.strictObject({ role: z.enum(['admin', 'member']) });
export type SetRoleBody = z.infer<typeof setRoleBodySchema>;

/** `POST /api/conversations/:id/owner`. */
export const transferOwnershipBodySchema = z.strictObject({ userId: idSchema });
export type TransferOwnershipBody = z.infer<typeof transferOwnershipBodySchema>;

/** `PUT /api/conversations/:id/members/:userId/mute`: for this many seconds from now. */
export const muteBodySchema = z.strictObject({
  seconds: z.number().int().min(1).max(MUTE_MAX_SECONDS),
});
export type MuteBody = z.infer<typeof muteBodySchema>;

/** `GET /api/conversations/:id/members?q=&after=&limit=`: by username, `after` the last one seen. */
export const memberPageQuerySchema = z.strictObject({
  q: textInputSchema().trim().max(32).default(''),
  after: textInputSchema().max(32).optional(),
  limit: z.coerce.number().int().min(1).max(MEMBER_PAGE_MAX).default(50),
});
export type MemberPageQuery = z.infer<typeof memberPageQuerySchema>;

export const groupMemberSchema = memberSchema.extend({
  joinedAt: isoDateSchema,
  /** Set while the member is muted. */
  mutedUntil: isoDateSchema.nullable(),
});
export type GroupMember = z.infer<typeof groupMemberSchema>;

export const memberPageSchema = z.object({
  members: z.array(groupMemberSchema),
  /** Pass as `after` for the next page; null at the end. */
  next: z.string().nullable(),
  /** Members in the whole group. */
  total: z.number().int().nonnegative(),
});
export type MemberPage = z.infer<typeof memberPageSchema>;

/** `POST /api/conversations/:id/invites`: both limits optional (no expiry, unlimited uses). */
export const createInviteBodySchema = z.strictObject({
  expiresInSeconds: z.number().int().min(60).max(INVITE_MAX_SECONDS).optional(),
  maxUses: z.number().int().min(1).max(INVITE_MAX_USES).optional(),
});
export type CreateInviteBody = z.infer<typeof createInviteBodySchema>;

/** Invite tokens are 32 random bytes, base64url. */
export const inviteTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'not an invite token');

export const inviteSchema = z.object({
  id: idSchema,
  conversationId: idSchema,
  token: inviteTokenSchema,
  createdAt: isoDateSchema,
  expiresAt: isoDateSchema.nullable(),
  maxUses: z.number().int().positive().nullable(),
  uses: z.number().int().nonnegative(),
  revokedAt: isoDateSchema.nullable(),
});
export type Invite = z.infer<typeof inviteSchema>;

/**
 * `GET /api/conversations/:id/bans?cursor=&limit=`: the group's banned users by user id, `cursor` the
 * last id of the previous page (Discord's guild ban list pages the same way). Needs `banMember`.
 */
export const banPageQuerySchema = z.strictObject(idCursorPageQuery);
export type BanPageQuery = z.infer<typeof banPageQuerySchema>;

export const groupBanSchema = z.object({
  user: userSummarySchema,
  /** Who banned them; null when that account no longer exists. */
  bannedBy: userSummarySchema.nullable(),
  bannedAt: isoDateSchema,
});
export type GroupBan = z.infer<typeof groupBanSchema>;

export const banPageSchema = z.object({
  bans: z.array(groupBanSchema),
  nextCursor: idSchema.nullable(),
});
export type BanPage = z.infer<typeof banPageSchema>;

export const inviteListSchema = z.object({ invites: z.array(inviteSchema) });
export type InviteList = z.infer<typeof inviteListSchema>;
export const inviteResponseSchema = z.object({ invite: inviteSchema });
export type InviteResponse = z.infer<typeof inviteResponseSchema>;

/**
 * `conversation:removed`: the user is no longer in the conversation (removed, banned, left elsewhere,
 * or the group was deleted by a site admin).
 */
export const conversationRemovedSchema = z.object({
  conversationId: idSchema,
  reason: z.enum(['removed', 'banned', 'left', 'deleted']),
});
export type ConversationRemoved = z.infer<typeof conversationRemovedSchema>;

/**
 * `conversation:updated`: a group's shared state after a change of settings, members, roles or its
 * archived state (the same for every member; each one's own fields stay in Conversation). Replaces
 * what the client holds.
 */
export const groupStateSchema = z.object({
  conversationId: idSchema,
  name: z.string().nullable(),
  description: z.string().nullable(),
  announcement: z.string().nullable(),
  onlyAdminsPost: z.boolean(),
  slowModeSeconds: z.number().int().nonnegative(),
  /** When a site admin archived the group (read-only for everyone), else null. */
  archivedAt: isoDateSchema.nullable(),
  /** In joining order. */
  members: z.array(memberSchema),
});
export type GroupState = z.infer<typeof groupStateSchema>;
