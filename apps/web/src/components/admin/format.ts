/** A console timestamp in the reader's language: date and time, medium and short. */
export function formatWhen(iso: string, locale: string): string {
  return new Date(iso).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Bytes as B, KB, MB or GB (powers of 1024), one decimal from KB up. */
export function formatBytes(bytes: number, locale: string): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toLocaleString(locale, { maximumFractionDigits: unit === 0 ? 0 : 1 })} ${units[unit]}`;
}

/** Minutes after midnight (0 to 1439) as an `<input type="time">` value, `HH:MM`. */
export function minutesToTime(minutes: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/** An `<input type="time">` value (`HH:MM`, seconds ignored) as minutes after midnight; null if empty or malformed. */
export function timeToMinutes(time: string): number | null {
  const match = /^(\d{2}):(\d{2})/.exec(time);
  if (!match) return null;
  const [hours, minutes] = [Number(match[1]), Number(match[2])];
  return hours < 24 && minutes < 60 ? hours * 60 + minutes : null;
}

/** A UTC timestamp as the server writes them (`Date.prototype.toISOString`). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** One line of an audit entry's change: a field (null for a value that is not an object) from → to. */
export interface AuditChange {
  field: string | null;
  before: string;
  after: string;
}

/**
 * An audit entry's `before` and `after` (whatever JSON the action recorded) as lines a person reads:
 * for two objects (or one and nothing), one line per field whose shown values differ, in the order
 * first seen; otherwise one line of the whole values. Strings show as they are, a missing or null value as
 * "—", anything else as compact JSON.
 */
export function auditChanges(
  before: unknown,
  after: unknown,
  showTime: (iso: string) => string = (iso) => iso,
): AuditChange[] {
  const show = (value: unknown) =>
    value === null || value === undefined
      ? '—'
      : typeof value === 'string'
        ? ISO_TIME.test(value)
          ? showTime(value)
          : value
        : JSON.stringify(value);
  const isRecord = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  const empty = (value: unknown) => value === null || value === undefined;
  if (
    (isRecord(before) || empty(before)) &&
    (isRecord(after) || empty(after)) &&
    !(empty(before) && empty(after))
  ) {
    const from = isRecord(before) ? before : {};
    const to = isRecord(after) ? after : {};
    const fields = [...new Set([...Object.keys(from), ...Object.keys(to)])];
    return fields
      .map((field) => ({ field, before: show(from[field]), after: show(to[field]) }))
      .filter((line) => line.before !== line.after);
  }
  if (empty(before) && empty(after)) return [];
  return [{ field: null, before: show(before), after: show(after) }];
}
