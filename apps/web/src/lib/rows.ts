/**
 * The rows with the one of the same id as `updated` replaced by it, as a new array (a list after one
 * row changed).
 */
export function replacedRow<T extends { id: number | string }>(rows: readonly T[], updated: T): T[] {
  return rows.map((row) => (row.id === updated.id ? updated : row));
}
