/**
 * DATETIME(3) values as the raw driver (mariadb) reads and writes them. Prisma stores DATETIME
 * columns in UTC with no zone attached, so the raw paths do the same whatever this process's zone
 * is: they read with `dateStrings: true` and parse here, and pass strings made here as parameters.
 */

/** "YYYY-MM-DD HH:MM:SS.mmm" in UTC, as Prisma stores DATETIME(3). */
export function toSqlDateTime(at: Date): string {
  return at.toISOString().slice(0, 23).replace('T', ' ');
}

/** A DATETIME read as a string (`2026-12-06 03:20:00.123`), which Prisma wrote in UTC. */
export function fromSqlDateTime(value: string): Date {
  return new Date(`${value.replace(' ', 'T')}Z`);
}
