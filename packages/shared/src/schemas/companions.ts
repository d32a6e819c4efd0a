import { z } from 'zod';
import { textInputSchema } from './text.js';
import { idSchema } from './common.js';

/** Minutes after midnight, 0 to 1439. */
const minuteOfDaySchema = z
  .number()
  .int()
  .min(0)
  .max(24 * 60 - 1);

export const COMPANION_PERSONA_MAX = 8_000;
export const COMPANION_GREETING_MAX = 2_000;
/** The default check-in silence: a day. */
export const DEFAULT_CHECK_IN_MINUTES = 24 * 60;

/**
 * PUT /api/admin/companions/:userId: makes a bot a companion, or changes one (site admins).
 * `checkInMinutes`: silence after the person's last message before one check-in, at least 1; 0 turns
 * check-ins off. `quietHours`: no check-ins from `start` to `end` (minutes after midnight in the
 * person's time zone; start > end wraps midnight). `model` null: the server's LLM_MODEL.
 */
export const companionSettingsSchema = z.strictObject({
  persona: textInputSchema().trim().min(1).max(COMPANION_PERSONA_MAX),
  greeting: textInputSchema().trim().max(COMPANION_GREETING_MAX).default(''),
  model: textInputSchema().trim().min(1).max(200).nullable().default(null),
  /** Sampling temperature, as the chat-completions API takes it. */
  temperature: z.number().min(0).max(2).default(0.75),
  /** The longest reply, in tokens (the API's max_tokens). */
  maxReplyTokens: z.number().int().min(16).max(8_000).default(500),
  checkInMinutes: z
    .number()
    .int()
    .min(0)
    .max(60 * 24 * 365)
    .default(DEFAULT_CHECK_IN_MINUTES),
  /** Hold a check-in back while the person is writing elsewhere in Parley. */
  checkInSkipWhileActive: z.boolean().default(true),
  quietHours: z.object({ start: minuteOfDaySchema, end: minuteOfDaySchema }).nullable().default(null),
});
export type CompanionSettingsInput = z.input<typeof companionSettingsSchema>;
export type CompanionSettings = z.infer<typeof companionSettingsSchema>;

/**
 * Whether a companion can answer now: `unavailableReason` is an ErrorCode (`companion/unavailable`
 * when the server has no LLM_BASE_URL), null when it can.
 */
const availabilityShape = {
  available: z.boolean(),
  unavailableReason: z.string().nullable(),
};

/** A companion as the site console shows it. */
export const companionSchema = companionSettingsSchema.extend({
  userId: idSchema,
  username: z.string(),
  displayName: z.string(),
  ...availabilityShape,
  /**
   * Its counts over the last BOT_COUNT_DAYS UTC days, by BotMetric (replies_sent, check_ins_sent,
   * model_failures…); a metric with nothing counted is left out.
   */
  recentCounts: z.record(z.string(), z.number().int().nonnegative()),
});
export type Companion = z.infer<typeof companionSchema>;

export const companionListSchema = z.object({ companions: z.array(companionSchema) });
export type CompanionList = z.infer<typeof companionListSchema>;

/**
 * GET /api/conversations/:id/companion: the companion of a direct conversation (null: none), and
 * whether the caller gets its check-ins. Opening it the first time posts the companion's greeting.
 */
export const conversationCompanionSchema = z.object({
  companion: z
    .object({
      userId: idSchema,
      displayName: z.string(),
      checkInsEnabled: z.boolean(),
      ...availabilityShape,
    })
    .nullable(),
});
export type ConversationCompanion = z.infer<typeof conversationCompanionSchema>;

/** PUT /api/companions/:userId/check-ins: the caller turns a companion's check-ins on or off. */
export const checkInPreferenceSchema = z.strictObject({ enabled: z.boolean() });
export type CheckInPreference = z.infer<typeof checkInPreferenceSchema>;

/** PUT /api/me/time-zone: the IANA time zone the browser reports (Intl.DateTimeFormat().resolvedOptions().timeZone). */
export const timeZoneBodySchema = z.strictObject({ timeZone: textInputSchema().min(1).max(64) });
export type TimeZoneBody = z.infer<typeof timeZoneBodySchema>;
