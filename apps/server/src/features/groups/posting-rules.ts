import { ErrorCode, mayPostInAnnouncementGroup, type MemberRole } from '@parley/shared';
import { AppError } from '../../lib/app-error.js';

/** What the send path reads with its membership check (message-batch-store.ts), in the same statement. */
export interface PosterState {
  role: MemberRole;
  /** Milliseconds the sender stays muted from now; null or <= 0 when not muted. */
  mutedForMs: number | null;
  /** Milliseconds since the sender's last stored message in this conversation; null if none. */
  sinceLastPostMs: number | null;
}

export interface PostingRules {
  onlyAdminsPost: boolean;
  slowModeSeconds: number;
}

/**
 * The group's moderation rules for one new message, or null when it may be stored. Mute first (it
 * says until when), then "only admins can post", then slow mode (it says how long to wait). Owners
 * and admins are not held to slow mode, as in Telegram and Slack, so they can moderate a busy group.
 */
export function postingRefusal(poster: PosterState, rules: PostingRules, now: Date): AppError | null {
  if (poster.mutedForMs !== null && poster.mutedForMs > 0) {
    const until = new Date(now.getTime() + poster.mutedForMs).toISOString();
    return new AppError(
      ErrorCode.Muted,
      `You are muted in this group until ${until}`,
      undefined,
      undefined,
      until,
    );
  }
  if (rules.onlyAdminsPost && !mayPostInAnnouncementGroup(poster.role)) {
    return new AppError(ErrorCode.AdminsOnly, 'Only admins can post in this group');
  }
  if (rules.slowModeSeconds > 0 && poster.role === 'member' && poster.sinceLastPostMs !== null) {
    const waitMs = rules.slowModeSeconds * 1000 - poster.sinceLastPostMs;
    if (waitMs > 0) {
      return new AppError(
        ErrorCode.SlowMode,
        `Slow mode: wait ${Math.ceil(waitMs / 1000)} s before sending again`,
        undefined,
        waitMs,
      );
    }
  }
  return null;
}
