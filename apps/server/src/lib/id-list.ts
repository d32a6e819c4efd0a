/**
 * `ids` (numbers, or string ids such as session ids) padded to the next power of two by repeating the
 * last one (an empty list stays empty).
 *
 * Every query runs as a prepared statement, and the driver keeps each pool connection's last 256
 * (plugins/prisma.ts). An `IN (…)` list of every length from 1 to 1,000 would fill that cache with a
 * statement per length, each holding its SQL, column definitions and buffers (about 25 KB: measured
 * with a heap snapshot, docs/architecture.md "Memory and limits"). Padded, a list takes one of about
 * ten lengths. Repeating an id changes nothing in `IN`.
 */
export function padIdList<Id extends number | string>(ids: readonly Id[]): Id[] {
  if (ids.length === 0) return [];
  let length = 1;
  while (length < ids.length) length *= 2;
  const padded = [...ids];
  while (padded.length < length) padded.push(ids[ids.length - 1]!);
  return padded;
}

/**
 * Ids per statement where a padded list has no bound of its own (lib/sql-lists.ts inSlices): a power
 * of two, so every slice but the last is already padded, and far below the 65,535 placeholders a
 * statement may carry.
 */
export const ID_LIST_SLICE = 8_192;
