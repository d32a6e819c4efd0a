import { z } from 'zod';
import { textInputSchema } from './text.js';
import { idCursorPageQuery, idSchema, isoDateSchema } from './common.js';
import { presenceStatusSchema } from './presence.js';
import { memberRoleSchema } from './roles.js';
import { USERNAME_MAX, usernameSchema, userRoleSchema } from './users.js';

// The site console's contract (/api/admin/*, site admins only: `admin/forbidden` for anyone else).

/** Pages go by id (idCursorPageQuery). */
const pageQuery = idCursorPageQuery;

export const adminSearchQuerySchema = z.strictObject({
  /** Prefix of a username or display name (users), of a group name (groups). */
  q: textInputSchema()
    .trim()
    .max(USERNAME_MAX * 2)
    .default(''),
  ...pageQuery,
});
export type AdminSearchQuery = z.infer<typeof adminSearchQuerySchema>;

export const adminUserSchema = z.object({
  id: idSchema,
  username: z.string(),
  displayName: z.string(),
  role: userRoleSchema,
  createdAt: isoDateSchema,
  /** The last sign-in, or the last time they went offline; null if never. */
  lastSeenAt: isoDateSchema.nullable(),
  /** Whether they are online (or away) now, on any process: then `lastSeenAt` is not the news. */
  presence: presenceStatusSchema,
  deactivatedAt: isoDateSchema.nullable(),
});
export type AdminUser = z.infer<typeof adminUserSchema>;

export const adminUserPageSchema = z.object({
  users: z.array(adminUserSchema),
  nextCursor: idSchema.nullable(),
});
export type AdminUserPage = z.infer<typeof adminUserPageSchema>;
export const adminUserResponseSchema = z.object({ user: adminUserSchema });
export type AdminUserResponse = z.infer<typeof adminUserResponseSchema>;

export const setSiteRoleBodySchema = z.strictObject({ role: userRoleSchema });
export type SetSiteRoleBody = z.infer<typeof setSiteRoleBodySchema>;

/** A password reset: the temporary password, shown to the admin once and stored only as a hash. */
export const passwordResetResponseSchema = z.object({ temporaryPassword: z.string() });
export type PasswordResetResponse = z.infer<typeof passwordResetResponseSchema>;

export const adminGroupSchema = z.object({
  id: idSchema,
  name: z.string().nullable(),
  memberCount: z.number().int().nonnegative(),
  /** Messages ever sent (the group's last seq). */
  messageCount: z.number().int().nonnegative(),
  createdAt: isoDateSchema,
  lastActivityAt: isoDateSchema,
  archivedAt: isoDateSchema.nullable(),
});
export type AdminGroup = z.infer<typeof adminGroupSchema>;

export const adminGroupPageSchema = z.object({
  groups: z.array(adminGroupSchema),
  nextCursor: idSchema.nullable(),
});
export type AdminGroupPage = z.infer<typeof adminGroupPageSchema>;

export const adminGroupResponseSchema = z.object({ group: adminGroupSchema });

/** Deleting a group is confirmed by repeating its name (a group without one: its id). */
export const deleteGroupBodySchema = z.strictObject({ confirm: textInputSchema().max(100) });
export type DeleteGroupBody = z.infer<typeof deleteGroupBodySchema>;

/**
 * Who may register: anyone; only people with a site invite code (`auth/invite_required`); nobody
 * (`auth/registration_closed`).
 */
export const registrationModeSchema = z.enum(['open', 'invite_only', 'closed']);
export type RegistrationMode = z.infer<typeof registrationModeSchema>;

export const siteSettingsSchema = z.strictObject({ registrationMode: registrationModeSchema });
export type SiteSettings = z.infer<typeof siteSettingsSchema>;

export const createSiteInviteBodySchema = z.strictObject({
  /** Hours until the code stops working; omitted: never. */
  expiresInHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .optional(),
});
export type CreateSiteInviteBody = z.infer<typeof createSiteInviteBodySchema>;

export const siteInviteSchema = z.object({
  id: idSchema,
  code: z.string(),
  createdAt: isoDateSchema,
  expiresAt: isoDateSchema.nullable(),
  usedAt: isoDateSchema.nullable(),
  revokedAt: isoDateSchema.nullable(),
});
export type SiteInvite = z.infer<typeof siteInviteSchema>;
export const siteInviteListSchema = z.object({ invites: z.array(siteInviteSchema) });
export const siteInviteResponseSchema = z.object({ invite: siteInviteSchema });

export const USAGE_DAYS = 30;

/** Usage numbers: the last USAGE_DAYS days (UTC, oldest first, today included), totals, busiest groups. */
export const usageSchema = z.object({
  days: z.array(
    z.object({
      /** YYYY-MM-DD, UTC. */
      day: z.string(),
      messages: z.number().int().nonnegative(),
      /** People who sent at least one message that day. */
      activeUsers: z.number().int().nonnegative(),
    }),
  ),
  totals: z.object({
    users: z.number().int().nonnegative(),
    groups: z.number().int().nonnegative(),
    messages: z.number().int().nonnegative(),
    /** Bytes the database uses for Parley's tables (data and indexes), as the server reports it. */
    storageBytes: z.number().int().nonnegative(),
  }),
  /** Groups by messages over the same days, most first (at most 10). */
  busiestGroups: z.array(z.object({ id: idSchema, name: z.string().nullable(), messages: z.number().int() })),
});
export type Usage = z.infer<typeof usageSchema>;

/**
 * Every action the audit log records (`audit_log.action`, written by the server's
 * features/audit/audit.service.ts): a group's start with `group.`, the site console's with `site.`.
 */
export const AUDIT_ACTIONS = [
  'group.settings',
  'group.members.add',
  'group.member.join',
  'group.member.remove',
  'group.member.leave',
  'group.member.role',
  'group.owner.transfer',
  'group.member.mute',
  'group.member.ban',
  'group.member.unban',
  'group.invite.create',
  'group.invite.revoke',
  'group.message.remove',
  'site.user.deactivate',
  'site.user.reactivate',
  'site.user.role',
  'site.user.password_reset',
  'site.group.archive',
  'site.group.unarchive',
  'site.group.delete',
  'site.registration',
  'site.invite.create',
  'site.invite.revoke',
  'site.bot.create',
  'site.bot.update',
  'site.bot.token.create',
  'site.bot.token.revoke',
  'site.bot.webhook.create',
  'site.bot.webhook.delete',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * `GET /api/admin/audit`. Actor and target by id or by username (an unknown username matches no
 * row); giving both forms of one is `request/invalid`.
 */
export const auditQuerySchema = z
  .strictObject({
    actorId: z.coerce.number().int().positive().max(2_147_483_647).optional(),
    actorUsername: usernameSchema.optional(),
    /** An action, or a prefix ending in "." (e.g. "site." or "group.member."). */
    action: textInputSchema().trim().max(64).optional(),
    targetUserId: z.coerce.number().int().positive().max(2_147_483_647).optional(),
    targetUsername: usernameSchema.optional(),
    conversationId: z.coerce.number().int().positive().max(2_147_483_647).optional(),
    from: isoDateSchema.optional(),
    to: isoDateSchema.optional(),
    /** Newest first: the last id of the previous page. */
    ...pageQuery,
  })
  .refine((query) => query.actorId === undefined || query.actorUsername === undefined, {
    path: ['actorUsername'],
    message: 'give actorId or actorUsername, not both',
  })
  .refine((query) => query.targetUserId === undefined || query.targetUsername === undefined, {
    path: ['targetUsername'],
    message: 'give targetUserId or targetUsername, not both',
  });
export type AuditQuery = z.infer<typeof auditQuerySchema>;

export const auditEntrySchema = z.object({
  id: idSchema,
  createdAt: isoDateSchema,
  /** `username` is null once the account is gone. */
  actor: z.object({ id: idSchema, username: z.string().nullable() }),
  /** One of AUDIT_ACTIONS; a client meeting an action it does not know shows it as it is. */
  action: z.string(),
  conversationId: idSchema.nullable(),
  /** The group's name as it is now; null without a group, or once the group is deleted. */
  conversationName: z.string().nullable(),
  targetUserId: idSchema.nullable(),
  /** The target's username as it is now; null without a target, or once the account is gone. */
  targetUsername: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
});
export type AuditEntryView = z.infer<typeof auditEntrySchema>;
export const auditPageSchema = z.object({
  entries: z.array(auditEntrySchema),
  nextCursor: idSchema.nullable(),
});
export type AuditPage = z.infer<typeof auditPageSchema>;

/** One group for the console: the group, its first members by role, and its latest administrative actions. */
export const adminGroupDetailSchema = z.object({
  group: adminGroupSchema,
  members: z.array(
    z.object({
      id: idSchema,
      username: z.string(),
      displayName: z.string(),
      role: memberRoleSchema,
      joinedAt: isoDateSchema,
    }),
  ),
  /** The group's newest audit rows (at most 20). */
  activity: z.array(auditEntrySchema),
});
export type AdminGroupDetail = z.infer<typeof adminGroupDetailSchema>;

/** One external program the server runs (ffmpeg, ffprobe): whether it ran, and what it said. */
export const externalToolSchema = z.object({
  /** The command as configured (FFMPEG_PATH, FFPROBE_PATH): a name looked up on PATH, or a path. */
  path: z.string(),
  available: z.boolean(),
  /** The version line it printed (e.g. "ffmpeg version 5.1.6-0+deb12u1"), when it ran. */
  version: z.string().nullable(),
  /** Why it could not be used (not found, not executable, timed out…), when it could not. */
  error: z.string().nullable(),
});
export type ExternalTool = z.infer<typeof externalToolSchema>;

/**
 * GET /api/admin/audio: what voice messages need on this server. `voiceUploads` is false when ffmpeg
 * or ffprobe cannot run (then every voice upload is refused with `upload/voice_unavailable`);
 * `renditions` lists the recorded formats that need a rendition for some browser, and whether this
 * server can make it now. The same facts are in GET /readyz.
 */
export const audioStatusSchema = z.object({
  ffmpeg: externalToolSchema,
  ffprobe: externalToolSchema,
  voiceUploads: z.boolean(),
  /** Seconds a voice message may last (MAX_VOICE_DURATION_S). */
  maxVoiceDurationS: z.number().int().positive(),
  renditions: z.array(
    z.object({
      /** The recorded format, e.g. "audio/webm (Opus)". */
      from: z.string(),
      /** What the server makes of it, e.g. "audio/mp4 (AAC)". */
      to: z.string(),
      /** The browsers that need it, e.g. "Safari". */
      for: z.string(),
      available: z.boolean(),
    }),
  ),
});
export type AudioStatus = z.infer<typeof audioStatusSchema>;
