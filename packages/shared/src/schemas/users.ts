import { z } from 'zod';
import { idSchema, isoDateSchema } from './common.js';
import { textInputSchema, visibleNameSchema } from './text.js';

export const USERNAME_MIN = 3;
export const USERNAME_MAX = 32;
export const DISPLAY_NAME_MAX = 64;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

/** Usernames are case-insensitive: stored and compared in lower case. */
export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(USERNAME_MIN, `must be at least ${USERNAME_MIN} characters`)
  .max(USERNAME_MAX, `must be at most ${USERNAME_MAX} characters`)
  .regex(
    /^[a-z0-9][a-z0-9_.-]*$/,
    'may contain letters, digits, "_", "." and "-", starting with a letter or digit',
  );

/** Input only (registration): see visibleNameSchema. Served display names are plain strings. */
export const displayNameSchema = visibleNameSchema(DISPLAY_NAME_MAX);

export const userRoleSchema = z.enum(['user', 'admin']);
export type UserRole = z.infer<typeof userRoleSchema>;

/**
 * `person`: someone who signs in with a password; `bot`: an account a program drives with a token
 * (docs/bots.md). Clients show a badge next to a bot's name wherever it appears.
 */
export const userKindSchema = z.enum(['person', 'bot']);
export type UserKind = z.infer<typeof userKindSchema>;

/** What every client may know about any user. */
export const userSummarySchema = z.object({
  id: idSchema,
  username: z.string(),
  displayName: z.string(),
  /** Always sent; a summary stored before bots existed (a system event's actor) reads as a person. */
  kind: userKindSchema.default('person'),
});
export type UserSummary = z.infer<typeof userSummarySchema>;

/** The signed-in user, as "who am I" returns it. */
export const currentUserSchema = userSummarySchema.extend({
  role: userRoleSchema,
  createdAt: isoDateSchema,
});
export type CurrentUser = z.infer<typeof currentUserSchema>;

/**
 * `user:updated`: someone the user shares a conversation with (or the user, from another tab)
 * changed how they are shown. Replace every copy of that user's summary: members, senders, quotes.
 */
export const userUpdatedSchema = z.object({ user: userSummarySchema });
export type UserUpdated = z.infer<typeof userUpdatedSchema>;

export const userSearchQuerySchema = z.strictObject({
  q: textInputSchema().trim().max(USERNAME_MAX).default(''),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});
export type UserSearchQuery = z.infer<typeof userSearchQuerySchema>;

export const userSearchResponseSchema = z.object({ users: z.array(userSummarySchema) });
export type UserSearchResponse = z.infer<typeof userSearchResponseSchema>;
