/**
 * Pieces of the raw SQL the batch stores build for a varying number of rows (values always go in as
 * `?` parameters, escaped by the driver).
 */

/** `each, each, …` `count` times: the placeholders of an `IN (…)` list or a multi-row `VALUES`. */
export const placeholders = (count: number, each: string): string =>
  Array.from({ length: count }, () => each).join(', ');

/** `each OR each OR …` `count` times: one condition per row, for lookups by a composite key. */
export const alternatives = (count: number, each: string): string =>
  Array.from({ length: count }, () => each).join(' OR ');

/** `WHEN … THEN ? WHEN … THEN ?` `count` times, the arms of a CASE choosing a value per row. */
export const whenArms = (count: number, each: string): string =>
  Array.from({ length: count }, () => each).join(' ');
