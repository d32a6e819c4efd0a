import { useI18n } from 'vue-i18n';

const DAY_MS = 24 * 60 * 60 * 1000;

function startOfDay(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** Whole calendar days between two instants in local time (DST-safe). */
export function calendarDaysBetween(earlier: Date, later: Date): number {
  return Math.round((startOfDay(later) - startOfDay(earlier)) / DAY_MS);
}

export function isSameDay(a: string, b: string): boolean {
  return calendarDaysBetween(new Date(a), new Date(b)) === 0;
}

// Building an Intl.DateTimeFormat costs far more than using one, and every message row needs several.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let cached = formatters.get(key);
  if (!cached) {
    cached = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, cached);
  }
  return cached;
}

/** Locale-aware date words that follow the language picker. */
export function useDateFormat() {
  const { t, locale } = useI18n();

  function format(iso: string, options: Intl.DateTimeFormatOptions): string {
    return formatter(locale.value, options).format(new Date(iso));
  }

  /** 14:05 */
  function time(iso: string): string {
    return format(iso, { hour: 'numeric', minute: '2-digit' });
  }

  /** Full date and time, for tooltips and datetime titles. */
  function full(iso: string): string {
    return format(iso, { dateStyle: 'full', timeStyle: 'short' });
  }

  /** Conversation list: the time today, the weekday this week, otherwise the date. */
  function relative(iso: string, now: Date = new Date()): string {
    const date = new Date(iso);
    const days = calendarDaysBetween(date, now);
    if (days <= 0) return time(iso);
    if (days === 1) return t('message.yesterday');
    if (days < 7) return format(iso, { weekday: 'short' });
    if (date.getFullYear() === now.getFullYear()) return format(iso, { month: 'short', day: 'numeric' });
    return format(iso, { year: 'numeric', month: 'short', day: 'numeric' });
  }

  /**
   * A moment ahead, short, as a mute's end: "14:05" today, "Tue 14:05" within the week, else
   * "Dec 14, 14:05" (with the year when it is not this one).
   */
  function ahead(iso: string, now: Date = new Date()): string {
    const date = new Date(iso);
    const days = calendarDaysBetween(now, date);
    if (days <= 0) return time(iso);
    const clock = { hour: 'numeric', minute: '2-digit' } as const;
    if (days < 7) return format(iso, { weekday: 'short', ...clock });
    const year = date.getFullYear() === now.getFullYear() ? {} : ({ year: 'numeric' } as const);
    return format(iso, { ...year, month: 'short', day: 'numeric', ...clock });
  }

  /** Day separator: Today, Yesterday, or the full date. */
  function day(iso: string, now: Date = new Date()): string {
    const days = calendarDaysBetween(new Date(iso), now);
    if (days === 0) return t('message.today');
    if (days === 1) return t('message.yesterday');
    const sameYear = new Date(iso).getFullYear() === now.getFullYear();
    return format(iso, sameYear ? { weekday: 'long', month: 'long', day: 'numeric' } : { dateStyle: 'long' });
  }

  /** "5 minutes ago", "yesterday", or the date once it is more than a week ago. */
  function ago(iso: string, now: Date = new Date()): string {
    const seconds = Math.round((Date.parse(iso) - now.getTime()) / 1000);
    if (seconds > -60) return t('presence.justNow');
    const words = new Intl.RelativeTimeFormat(locale.value, { numeric: 'auto' });
    if (seconds > -3600) return words.format(Math.round(seconds / 60), 'minute');
    if (seconds > -86_400) return words.format(Math.round(seconds / 3600), 'hour');
    const days = -calendarDaysBetween(new Date(iso), now);
    if (days > -7) return words.format(days, 'day');
    return relative(iso, now);
  }

  return { time, full, relative, ahead, day, ago };
}
