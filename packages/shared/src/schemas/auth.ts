import { z } from 'zod';
import { textInputSchema } from './text.js';
import { PASSWORD_MAX, PASSWORD_MIN, currentUserSchema, displayNameSchema, usernameSchema } from './users.js';

/**
 * Registration also refuses common passwords (the `password-strength` entry point, which the server
 * enforces): the issue on `password` carries `params.rule` PASSWORD_TOO_COMMON and this message.
 */
export const PASSWORD_TOO_COMMON = 'password_too_common';
export const PASSWORD_TOO_COMMON_MESSAGE = 'is too common or too easy to guess; choose another';

/**
 * A password being chosen (registration, a password change). Well-formed: argon2 hashes every lone
 * surrogate as the same U+FFFD (see wellFormed).
 */
const newPasswordSchema = textInputSchema()
  .min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`);

/** A password change whose new password is the current one: the issue on `newPassword` names this rule. */
export const PASSWORD_UNCHANGED = 'password_unchanged';
export const PASSWORD_UNCHANGED_MESSAGE = 'is your current password; choose a new one';

export const registerBodySchema = z.strictObject({
  username: usernameSchema,
  displayName: displayNameSchema,
  password: newPasswordSchema,
  /** A site invite code; required while registration is invite-only, ignored otherwise. */
  inviteCode: textInputSchema().trim().max(64).optional(),
});
export type RegisterBody = z.infer<typeof registerBodySchema>;

/** Login does not re-check the registration rules: a wrong shape is simply wrong credentials. */
export const loginBodySchema = z.strictObject({
  username: z.string().trim().toLowerCase().min(1).max(64),
  password: z.string().min(1).max(PASSWORD_MAX),
});
export type LoginBody = z.infer<typeof loginBodySchema>;

export const sessionResponseSchema = z.object({ user: currentUserSchema });
export type SessionResponse = z.infer<typeof sessionResponseSchema>;

/** PATCH /api/me: what a person may change about themselves (the username stays: it is how others find them). */
export const profileBodySchema = z.strictObject({ displayName: displayNameSchema });
export type ProfileBody = z.infer<typeof profileBodySchema>;

/**
 * PUT /api/me/password. The current password is checked as login checks it (any shape may be
 * wrong); the new one follows registration's rules, the common-password rule included
 * (`password-strength`, on `newPassword`). OWASP Authentication Cheat Sheet, "Change password
 * feature": ask for the current password, then end the account's other sessions.
 */
export const passwordChangeBodySchema = z
  .strictObject({
    currentPassword: loginBodySchema.shape.password,
    newPassword: newPasswordSchema,
  })
  .refine((body) => body.newPassword !== body.currentPassword, {
    path: ['newPassword'],
    message: PASSWORD_UNCHANGED_MESSAGE,
    params: { rule: PASSWORD_UNCHANGED },
  });
export type PasswordChangeBody = z.infer<typeof passwordChangeBodySchema>;
