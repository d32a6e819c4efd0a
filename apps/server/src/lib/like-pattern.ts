/**
 * Makes user text match itself, character for character, inside a SQL `LIKE` pattern.
 *
 * In MySQL and MariaDB `LIKE`, `%` matches any run of characters and `_` any one character; the default
 * escape character is backslash, which makes the next character literal (MySQL reference manual,
 * "String Comparison Functions and Operators": "To test for literal instances of a wildcard character,
 * precede it by the escape character. If you do not specify the ESCAPE character, \ is assumed").
 * So `%`, `_` and `\` itself are each prefixed with `\`.
 *
 * Prisma's `contains`, `startsWith` and `endsWith` build a `LIKE` pattern on MySQL without escaping
 * (`startsWith: '%'` matches every row), so every user-supplied value given to them, or to a raw
 * `LIKE`, goes through this first. The text must reach the database as a bound parameter (as Prisma
 * sends it), not inside a quoted SQL literal, where backslashes would be unescaped once more. This
 * relies on `sql_mode` not including `NO_BACKSLASH_ESCAPES`, which removes the default escape
 * character (neither MySQL's nor MariaDB's default mode includes it, and Parley never sets it).
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}
