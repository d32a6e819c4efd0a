// The raw driver paths read and write DATETIME(3) as UTC strings, as Prisma stores them: the same
// instant whatever zone this process runs in.
import { describe, expect, it } from 'vitest';
import { fromSqlDateTime, toSqlDateTime } from '../../src/lib/sql-datetime.js';

describe('SQL DATETIME strings', () => {
  it('writes an instant in UTC with milliseconds, as Prisma stores DATETIME(3)', () => {
    expect(toSqlDateTime(new Date(Date.UTC(2026, 11, 6, 3, 20, 0, 123)))).toBe('2026-12-06 03:20:00.123');
  });

  it('reads a stored string as that UTC instant', () => {
    expect(fromSqlDateTime('2026-12-06 03:20:00.123').getTime()).toBe(Date.UTC(2026, 11, 6, 3, 20, 0, 123));
    expect(fromSqlDateTime('2026-01-31 23:59:59').getTime()).toBe(Date.UTC(2026, 0, 31, 23, 59, 59));
  });

  it('reads back what it wrote', () => {
    const at = new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 7));
    expect(fromSqlDateTime(toSqlDateTime(at)).getTime()).toBe(at.getTime());
  });
});
