// The table of keys the batch stores and the conversation list join from, run against MariaDB over
// both of the driver's protocols: the store sends text commands, Prisma's raw queries prepared ones.
import * as mariadb from 'mariadb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseDatabaseUrl } from '../../src/db/migrate.js';
import { sqlByShape, valuesTable } from '../../src/lib/sql-lists.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('valuesTable', () => {
  let database: TestDatabase;
  let connection: mariadb.Connection;

  beforeAll(async () => {
    database = await createTestDatabase();
    connection = await mariadb.createConnection(parseDatabaseUrl(database.url));
    await connection.query(
      'CREATE TEMPORARY TABLE pairs (n INT, word VARCHAR(20) COLLATE utf8mb4_unicode_ci, PRIMARY KEY (n, word))',
    );
    await connection.query("INSERT INTO pairs VALUES (1, 'one'), (2, 'two'), (3, 'three')");
  });

  afterAll(async () => {
    await connection?.end();
    await database?.drop();
  });

  const sql = `SELECT p.n, p.word, k.tag FROM ${valuesTable('k', ['n', 'word', 'tag'], 3)}
                 STRAIGHT_JOIN pairs p FORCE INDEX (PRIMARY) ON p.n = k.n AND p.word = k.word
                ORDER BY p.n`;
  // The second key in capitals: the join compares by the column's case-insensitive collation.
  const keys = [1, 'one', 'a', 2, 'TWO', 'b', 3, 'four', 'c'];

  it.each([
    ['as a text command (query)', () => connection.query(sql, keys)],
    ['as a prepared statement (execute)', () => connection.execute(sql, keys)],
  ])('joins rows by number and string keys, with a value per key, %s', async (_, run) => {
    // A table value constructor (VALUES …) came back empty here when prepared (MariaDB 10.11).
    expect(await run()).toEqual([
      { n: 1, word: 'one', tag: 'a' },
      { n: 2, word: 'two', tag: 'b' },
    ]);
  });
});

describe('sqlByShape', () => {
  it('builds a text once per shape and gives the same text for the same shape', () => {
    const build = vi.fn((rows: number, locked: boolean) => `SELECT ${rows}${locked ? ' FOR UPDATE' : ''}`);
    const sql = sqlByShape(build);
    expect(sql(2, false)).toBe('SELECT 2');
    expect(sql(2, false)).toBe('SELECT 2');
    expect(sql(2, true)).toBe('SELECT 2 FOR UPDATE');
    expect(sql(12, false)).toBe('SELECT 12');
    expect(build).toHaveBeenCalledTimes(3);
  });

  it('keeps at most its limit of shapes, starting afresh past it', () => {
    const build = vi.fn((rows: number) => `SELECT ${rows}`);
    const sql = sqlByShape(build, 2);
    sql(1);
    sql(2);
    sql(3); // the third shape clears the cache first
    sql(3);
    sql(1);
    expect(build.mock.calls.map(([rows]) => rows)).toEqual([1, 2, 3, 1]);
  });
});
