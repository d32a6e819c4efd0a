import { z } from 'zod';
import { isoDateSchema } from './common.js';
import { memberRoleSchema } from './roles.js';
import { userSummarySchema } from './users.js';

/**
 * What a group change looks like in the timeline: a message with `type: 'system'` and this in
 * `system`. It carries data, not prose; each client words it in its reader's language. The people
 * are summaries as they were at the time, so a message about someone who has left still names them.
 */
const change = <T extends z.ZodType>(value: T) => z.object({ from: value, to: value });

export const settingsChangesSchema = z.object({
  name: change(z.string()).optional(),
  description: change(z.string().nullable()).optional(),
  announcement: change(z.string().nullable()).optional(),
  onlyAdminsPost: change(z.boolean()).optional(),
  slowModeSeconds: change(z.number().int().nonnegative()).optional(),
});
export type SettingsChanges = z.infer<typeof settingsChangesSchema>;

export const systemEventSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('members_added'),
    actor: userSummarySchema,
    targets: z.array(userSummarySchema),
  }),
  z.object({ kind: z.literal('member_joined'), actor: userSummarySchema }),
  z.object({ kind: z.literal('member_left'), actor: userSummarySchema }),
  z.object({ kind: z.literal('member_removed'), actor: userSummarySchema, target: userSummarySchema }),
  z.object({ kind: z.literal('member_banned'), actor: userSummarySchema, target: userSummarySchema }),
  z.object({
    kind: z.literal('role_changed'),
    actor: userSummarySchema,
    target: userSummarySchema,
    from: memberRoleSchema,
    to: memberRoleSchema,
  }),
  z.object({ kind: z.literal('ownership_transferred'), actor: userSummarySchema, target: userSummarySchema }),
  z.object({
    kind: z.literal('member_muted'),
    actor: userSummarySchema,
    target: userSummarySchema,
    /** When the mute ends; null lifts it. */
    until: isoDateSchema.nullable(),
  }),
  z.object({ kind: z.literal('settings_changed'), actor: userSummarySchema, changes: settingsChangesSchema }),
  /** A site admin (`actor`, usually not a member) made the group read-only: nobody may send. */
  z.object({ kind: z.literal('group_archived'), actor: userSummarySchema }),
  /** A site admin made an archived group writable again. */
  z.object({ kind: z.literal('group_unarchived'), actor: userSummarySchema }),
]);
export type SystemEvent = z.infer<typeof systemEventSchema>;
export type SystemEventKind = SystemEvent['kind'];
