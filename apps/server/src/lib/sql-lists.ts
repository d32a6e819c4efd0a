/**
 * Pieces of the raw SQL the batch stores build for a varying number of rows (values always go in as
 * `?` parameters, escaped by the driver).
 */

/**
 * Runs `statement` on consecutive slices of `items`, at most `perStatement` items each, one after
 * another, and returns their rows in the slices' order. For a statement whose placeholders (or
 * UNION ALL arms) grow with a list that no limit bounds, such as a user's conversations: a prepared
 * statement carries at most 65,535 placeholders (the binary protocol counts them in 16 bits,
 * COM_STMT_PREPARE's `num_params`), and MariaDB refuses more with error 1390 (ER_PS_MANY_PARAM), so a
 * member of 17,000 conversations could not list them (test/features/conversations/
 * many-conversations.test.ts). Prisma splits its own `in` lists below the limit.
 */
export async function inSlices<Item, Row>(
  items: readonly Item[],
  perStatement: number,
  statement: (slice: Item[]) => Promise<Row[]>,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (let start = 0; start < items.length; start += perStatement) {
    for (const row of await statement(items.slice(start, start + perStatement))) rows.push(row);
  }
  return rows;
}

/** `each, each, …` `count` times: the placeholders of an `IN (…)` list or a multi-row `VALUES`. */
export const placeholders = (count: number, each: string): string =>
  Array.from({ length: count }, () => each).join(', ');

/**
 * `statement UNION ALL statement …` `count` times: one statement per key, each with its key's values
 * as constants, for a range whose bounds differ per key. Joined from a table of keys (valuesTable),
 * MariaDB finds the rows by the key's equality part only and reads the whole rest of it: an unread
 * count over conversations read the whole history of each (200,000 index entries for 15 unread
 * messages) where one statement per conversation reads the 15.
 */
export const unionAll = (count: number, statement: string): string =>
  Array.from({ length: count }, () => statement).join(' UNION ALL ');

/**
 * A derived table of `count` rows of `?` parameters with named columns, for joining a batch's keys
 * (and a value per key) against a table: `(SELECT ? AS a, ? AS b UNION ALL SELECT ?, ? …) AS name`.
 * Put it first and join the table with `STRAIGHT_JOIN table FORCE INDEX (its unique key) ON` that
 * key: MariaDB then looks each row up by the key, and an UPDATE locks only the rows named, in the
 * order given. For point lookups by the whole key: a range per key is read whole (see unionAll).
 * Without the hint, a small table is scanned instead, and an UPDATE then locks every row it reads,
 * so concurrent batches waited on rows they never named (lock wait timeouts in the tests'
 * databases).
 *
 * The condition it replaces, `(a = ? AND b = ?) OR …`, cost MariaDB 3.8–4.2 ms of CPU at 64 keys
 * against 0.5 for the join, and grows faster than the keys (docs/benchmarks.md, "What a batch costs
 * MariaDB"); at one key the join costs about 50 µs more (the table is materialised). A table value
 * constructor (`WITH name(a, b) AS (VALUES (?, ?), …)`) is a little cheaper, but MariaDB 10.11 fills
 * its parameters with empty values when the statement is prepared (the driver's `execute`, and
 * Prisma's raw queries), where this form works with either protocol.
 */
export const valuesTable = (name: string, columns: readonly string[], count: number): string => {
  const first = `SELECT ${columns.map((column) => `? AS ${column}`).join(', ')}`;
  const rest = `SELECT ${placeholders(columns.length, '?')}`;
  const rows = Array.from({ length: count }, (_, index) => (index === 0 ? first : rest));
  return `(${rows.join(' UNION ALL ')}) AS ${name}`;
};

/**
 * `build` kept per distinct shape: a statement whose text depends only on counts (of placeholders,
 * of rows in a valuesTable, whether an optional statement is there) is built once per shape, not
 * once per call. The send path's batch store builds the same few texts over and over: building them
 * took 0.38 s of every 10 at 2,000 msg/s (docs/benchmarks.md, "Both servers side by side"). At most
 * `limit` shapes are kept; past that the cache starts afresh, so a burst of odd shapes cannot grow
 * it without bound.
 */
export function sqlByShape<Shape extends ReadonlyArray<number | boolean>>(
  build: (...shape: Shape) => string,
  limit = 256,
): (...shape: Shape) => string {
  const built = new Map<string, string>();
  return (...shape) => {
    const key = shape.join(',');
    let sql = built.get(key);
    if (sql === undefined) {
      if (built.size >= limit) built.clear();
      sql = build(...shape);
      built.set(key, sql);
    }
    return sql;
  };
}
