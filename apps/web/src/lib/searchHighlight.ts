import { searchTerms } from '@parley/shared';

/** A piece of text, marked when it is one of the words searched for. */
export interface HighlightPart {
  text: string;
  match: boolean;
}

/** Characters of context kept before the first match when a long text is cut to it. */
const CONTEXT_BEFORE = 30;
/** Texts up to this many characters are shown whole: three lines of a result hold them. */
const SHOWN_WHOLE = 120;

/** One code point folded as the index folds text: compatibility forms (full width) and case. */
const fold = (text: string) => text.normalize('NFKC').toLocaleLowerCase();

/**
 * `text` folded code point by code point, with, for each folded UTF-16 unit, the index in `text` of
 * the code point it came from (and `text.length` once more at the end), so a match found in the
 * folded text can be marked in the text as written.
 */
function foldedWithOrigins(text: string): { folded: string; origins: number[] } {
  let folded = '';
  const origins: number[] = [];
  let index = 0;
  for (const char of text) {
    const unit = fold(char);
    for (let k = 0; k < unit.length; k += 1) origins.push(index);
    folded += unit;
    index += char.length;
  }
  origins.push(text.length);
  return { folded, origins };
}

/** Where the words of `terms` occur in `text`, left to right, a longer word first where two start. */
function matches(text: string, terms: readonly string[]): Array<[number, number]> {
  const { folded, origins } = foldedWithOrigins(text);
  const words = terms.map(fold).sort((a, b) => b.length - a.length);
  const found: Array<[number, number]> = [];
  for (let at = 0; at < folded.length;) {
    const word = words.find((candidate) => folded.startsWith(candidate, at));
    if (!word) {
      at += 1;
      continue;
    }
    const [start, end] = [origins[at]!, origins[at + word.length]!];
    if (end > start) found.push([start, end]);
    at += word.length;
  }
  return found;
}

/**
 * `text` split into the parts that match a word of `query` (as the server splits it, compared as
 * the index compares them: without regard to case or full and half width) and those between. A
 * text longer than `SHOWN_WHOLE` whose first match is further in than `CONTEXT_BEFORE` characters
 * is cut before it to an ellipsis and about that much context, so the match is on the result's first
 * lines.
 */
export function highlightParts(text: string, query: string): HighlightPart[] {
  const terms = searchTerms(query);
  let shown = text;
  let found = terms.length > 0 ? matches(text, terms) : [];
  const first = found[0]?.[0] ?? -1;
  if (first > CONTEXT_BEFORE && text.length > SHOWN_WHOLE) {
    // Cut at a code point, never inside a surrogate pair, and after a space when the context has
    // one (a word cut in half reads as another word).
    let from = [...text.slice(0, first)].slice(-CONTEXT_BEFORE).join('');
    const space = from.search(/\s/u);
    if (space >= 0 && !/\s/u.test(text[first - from.length - 1] ?? ' ')) from = from.slice(space);
    shown = `…${from.trimStart()}${text.slice(first)}`;
    found = matches(shown, terms);
  }
  const parts: HighlightPart[] = [];
  let at = 0;
  for (const [start, end] of found) {
    if (start > at) parts.push({ text: shown.slice(at, start), match: false });
    parts.push({ text: shown.slice(start, end), match: true });
    at = end;
  }
  if (at < shown.length || parts.length === 0) parts.push({ text: shown.slice(at), match: false });
  return parts;
}
