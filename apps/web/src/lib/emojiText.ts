/**
 * One emoji as the reader sees it: a grapheme cluster (Intl.Segmenter, UAX #29) that is drawn as an
 * emoji. Emoji_Presentation code points are (👍); others only with the emoji variation selector
 * U+FE0F (❤️, where a bare ❤ is text); flags are pairs of regional indicators (🇨🇳); keycaps end in
 * U+20E3 (1️⃣). Sequences joined by U+200D (👩‍💻) are one cluster. Per Unicode TS #51.
 */
const EMOJI_CLUSTER =
  /^(?:\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|\p{Regional_Indicator}{2}|.\uFE0F?\u20E3)/u;

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** A message made only of this many emoji or fewer (and spaces) is shown large. */
export const LARGE_EMOJI_MAX = 3;

/**
 * How many emoji `text` is made of, when it is made of nothing else (spaces aside); null when it
 * holds anything that is not an emoji, or nothing at all.
 */
export function emojiOnlyCount(text: string): number | null {
  let count = 0;
  for (const { segment } of segmenter.segment(text)) {
    if (/^\s+$/u.test(segment)) continue;
    if (!EMOJI_CLUSTER.test(segment)) return null;
    count += 1;
  }
  return count > 0 ? count : null;
}

/** A `:shortcode` being typed: where its colon is, and what follows it so far. */
export interface ShortcodeQuery {
  /** Index of the colon in the text. */
  start: number;
  /** The letters after the colon, lower case: at least two, as Slack and GitHub wait for. */
  query: string;
}

/**
 * The `:shortcode` that ends at `caret`, if one is being typed: a colon at the start or after a
 * space or an opening bracket (so "12:30" and "http://" do not count), then two or more letters,
 * digits, `_`, `+` or `-`.
 */
export function shortcodeQueryAt(text: string, caret: number): ShortcodeQuery | null {
  const match = /(^|[\s([{])(:([\p{L}\p{N}_+-]{2,}))$/u.exec(text.slice(0, caret));
  if (!match) return null;
  return { start: caret - match[2]!.length, query: match[3]!.toLowerCase() };
}

/** A `:shortcode:` typed whole, closing colon and all: where it starts, and the code between the colons. */
export interface CompletedShortcode {
  /** Index of the opening colon in the text; the shortcode ends at the caret. */
  start: number;
  /** The code, lower case, without its colons. */
  code: string;
}

/**
 * The `:shortcode:` that the caret has just closed, if one was typed whole (as in Slack, GitHub and
 * Discord, it then becomes its emoji): the same opening as `shortcodeQueryAt`, then the closing colon.
 */
export function completedShortcodeAt(text: string, caret: number): CompletedShortcode | null {
  const match = /(^|[\s([{])(:([\p{L}\p{N}_+-]{2,}):)$/u.exec(text.slice(0, caret));
  if (!match) return null;
  return { start: caret - match[2]!.length, code: match[3]!.toLowerCase() };
}

/** `text` with `[start, end)` replaced by `insert`, and where the caret goes after it. */
export function replaceRange(
  text: string,
  start: number,
  end: number,
  insert: string,
): { text: string; caret: number } {
  return { text: text.slice(0, start) + insert + text.slice(end), caret: start + insert.length };
}
