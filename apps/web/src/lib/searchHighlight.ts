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

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `text` split into the parts that match a word of `query` (as the server splits it, compared
 * without regard to case) and those between. Only a guide for the eye: the server also folds full
 * and half width, which this does not, so a result may show no mark. A text longer than
 * `SHOWN_WHOLE` whose first match is further in than `CONTEXT_BEFORE` characters is cut before it to
 * an ellipsis and about that much context, so the match is on the result's first lines.
 */
export function highlightParts(text: string, query: string): HighlightPart[] {
  const terms = searchTerms(query).sort((a, b) => b.length - a.length);
  if (terms.length === 0) return [{ text, match: false }];
  const pattern = new RegExp(`(${terms.map(escapeRegExp).join('|')})`, 'giu');
  const first = text.search(pattern);
  let shown = text;
  if (first > CONTEXT_BEFORE && text.length > SHOWN_WHOLE) {
    // Cut at a code point, never inside a surrogate pair, and after a space when the context has
    // one (a word cut in half reads as another word).
    let from = [...text.slice(0, first)].slice(-CONTEXT_BEFORE).join('');
    const space = from.search(/\s/u);
    if (space >= 0 && !/\s/u.test(text[first - from.length - 1] ?? ' ')) from = from.slice(space);
    shown = `…${from.trimStart()}${text.slice(first)}`;
  }
  return shown
    .split(pattern)
    .filter((part) => part.length > 0)
    .map((part) => ({
      text: part,
      match: terms.some((term) => term.toLocaleLowerCase() === part.toLocaleLowerCase()),
    }));
}
