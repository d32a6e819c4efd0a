/**
 * Pieces of the raw SQL the batch stores build for a varying number of rows (values always go in as
 * `?` parameters, escaped by the driver).
 */

/** `each, each, …` `count` times: the placeholders of an `IN (…)` list or a multi-row `VALUES`. */
export const placeholders = (count: number, each: string): string =>
  Array.from({ length: count }, () => each).join(', ');

/**
 * A derived table of `count` rows of `?` parameters with named columns, for joining a batch's keys
 * (and a value per key) against a table:
 * `(WITH name(a, b) AS (VALUES (?, ?), (?, ?), …) SELECT * FROM name) AS name`. Put it first and join
 * the table with `STRAIGHT_JOIN table FORCE INDEX (its unique key) ON` that key: MariaDB then looks
 * each row up by the key, and an UPDATE locks only the rows named, in the order given. Without the
 * hint, a small table is scanned instead, and an UPDATE then locks every row it reads, so
 * concurrent batches waited on rows they never named (lock wait timeouts in the tests' databases).
 * The condition it replaces, `(a = ? AND b = ?) OR …`, cost MariaDB 3.8 ms of CPU at 64 keys
 * against 0.5 for the join; at one key the join costs about 40 µs more (the table is materialised)
 * (docs/benchmarks.md, "What a batch costs MariaDB").
 *
 * MariaDB's syntax (table value constructors in a CTE with a column list, 10.3.3+): a derived table
 * cannot name a VALUES list's columns, and an UPDATE cannot begin with WITH.
 */
export const valuesTable = (name: string, columns: readonly string[], count: number): string =>
  `(WITH ${name}(${columns.join(', ')}) AS (VALUES ${placeholders(count, `(${placeholders(columns.length, '?')})`)}) SELECT * FROM ${name}) AS ${name}`;
