/** Minutes after local midnight at `at` in an IANA time zone (UTC when the zone is unknown). */
export function minuteOfDay(at: Date, timeZone: string | null): number {
  let zone = timeZone ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    zone = 'UTC';
  }
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hour: 'numeric',
    minute: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(at);
  const hour = Number(parts.find((part) => part.type === 'hour')?.value ?? 0);
  const minute = Number(parts.find((part) => part.type === 'minute')?.value ?? 0);
  return hour * 60 + minute;
}

/**
 * Milliseconds until quiet hours end, or 0 when `at` is outside them. Quiet hours run from `start`
 * to `end`, minutes after midnight in the person's time zone; start > end wraps midnight (22:00 to
 * 07:00); start = end is no quiet hours.
 */
export function quietRemainingMs(
  at: Date,
  timeZone: string | null,
  quiet: { start: number | null; end: number | null },
): number {
  if (quiet.start === null || quiet.end === null || quiet.start === quiet.end) return 0;
  const now = minuteOfDay(at, timeZone);
  const inside =
    quiet.start < quiet.end ? now >= quiet.start && now < quiet.end : now >= quiet.start || now < quiet.end;
  if (!inside) return 0;
  const minutesLeft = (quiet.end - now + 24 * 60) % (24 * 60);
  return minutesLeft * 60_000;
}

/** Whether a string is an IANA time zone this runtime knows (e.g. "Asia/Shanghai"). */
export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
