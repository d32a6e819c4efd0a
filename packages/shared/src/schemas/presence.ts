import { z } from 'zod';
import { idSchema, isoDateSchema } from './common.js';

export const presenceStatusSchema = z.enum(['online', 'away', 'offline']);
export type PresenceStatus = z.infer<typeof presenceStatusSchema>;

/** `presence:set`: this tab's state; a user is online while any tab is, away while all are idle. */
export const setPresencePayloadSchema = z.strictObject({ status: z.enum(['online', 'away']) });
export type SetPresencePayload = z.infer<typeof setPresencePayloadSchema>;

/**
 * `presence:watch`: the group whose members' presence this socket follows while it is open (null: none).
 * Members of small groups are followed anyway, as contacts; a group with more members than the
 * server's PRESENCE_EAGER_MAX_MEMBERS (100 by default) is followed only by the sockets that watch it,
 * so a connect or a status change in a 1,000-person group does not reach all 1,000 of them. One group
 * per socket: each watch replaces the one before.
 */
export const watchPresencePayloadSchema = z.strictObject({ conversationId: idSchema.nullable() });
export type WatchPresencePayload = z.infer<typeof watchPresencePayloadSchema>;

export const presenceSchema = z.object({
  userId: idSchema,
  status: presenceStatusSchema,
  /** When they were last connected; null while online or if never seen. */
  lastSeenAt: isoDateSchema.nullable(),
});
export type Presence = z.infer<typeof presenceSchema>;

/** `typing:start` / `typing:stop`. Clients repeat typing:start at most every TYPING_REFRESH_MS while typing. */
export const typingPayloadSchema = z.strictObject({ conversationId: idSchema });
export type TypingPayload = z.infer<typeof typingPayloadSchema>;

/** `typing:update`: a member started or stopped typing (never sent to the typer's own tabs). */
export const typingUpdateSchema = z.object({
  conversationId: idSchema,
  userId: idSchema,
  typing: z.boolean(),
});
export type TypingUpdate = z.infer<typeof typingUpdateSchema>;

export const TYPING_REFRESH_MS = 3_000;
/** A typing indicator with no refresh for this long is dropped by clients. */
export const TYPING_EXPIRY_MS = 6_000;
/** Presence changes are gathered and sent to each socket in one `presence:changes` at most this often. */
export const PRESENCE_BATCH_MS = 1_000;
