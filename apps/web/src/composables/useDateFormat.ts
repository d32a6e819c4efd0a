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

/** Locale-aware date words that follow the language picker. */
export function useDateFormat() {
  const { t, locale } = useI18n();

  function format(iso: string, options: Intl.DateTimeFormatOptions): string {
    return new Intl.DateTimeFormat(locale.value, options).format(new Date(iso));
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

  /** Day separator: Today, Yesterday, or the full date. */
  function day(iso: string, now: Date = new Date()): string {
    const days = calendarDaysBetween(new Date(iso), now);
    if (days === 0) return t('message.today');
    if (days === 1) return t('message.yesterday');
    const sameYear = new Date(iso).getFullYear() === now.getFullYear();
    return format(iso, sameYear ? { weekday: 'long', month: 'long', day: 'numeric' } : { dateStyle: 'long' });
  }

  return { time, full, relative, day };
}
