import LinkifyIt from 'linkify-it';

export type TextSegment = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

/**
 * linkify-it (markdown-it's link finder) knows what ends a URL: balanced parentheses stay in
 * (`https://en.wikipedia.org/wiki/Chat_(software)`), trailing punctuation and CJK full stops stay out.
 * Only http(s) and mailto become links; `ftp:` and `//host` are left as text, and a link without a
 * scheme only when it starts with `www.` ("readme.md" is a file name, not Moldova).
 */
const finder = new LinkifyIt({}, { fuzzyLink: true, fuzzyEmail: false }).add('ftp:', null).add('//', null);

/** Full-width punctuation (CJK Symbols and Punctuation, Halfwidth and Fullwidth Forms): never inside a link. */
const WIDE_PUNCTUATION = /(?=[\p{P}\p{S}])[\u3000-\u303F\uFF00-\uFFEF]/gu;
/** A letter of a script written without spaces, right before a scheme or `www.` ("看这个https://…"). */
const UNSPACED_LETTER_BEFORE_LINK =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}](?=https?:|mailto:|www\.)/giu;

/**
 * linkify-it expects spaces around links. Chinese and Japanese put none: a link starts right after
 * a letter and ends at full-width punctuation. The probe has the same length as the text, with
 * those characters turned into spaces, so the matches' offsets hold for the text itself.
 */
function boundaryProbe(text: string): string {
  const blank = (character: string) => ' '.repeat(character.length);
  return text.replace(WIDE_PUNCTUATION, blank).replace(UNSPACED_LETTER_BEFORE_LINK, blank);
}

/**
 * Splits message text into plain text and links, so links can be rendered as anchors while
 * everything stays text (no HTML is ever interpreted). `href` is the normalised URL
 * (`www.example.com` → `http://www.example.com`); `text` is what was written.
 */
export function linkify(text: string): TextSegment[] {
  const matches = (finder.match(boundaryProbe(text)) ?? []).filter(
    (match) => match.schema !== '' || /^www\./i.test(match.raw),
  );
  const segments: TextSegment[] = [];
  let cursor = 0;
  for (const match of matches) {
    if (match.index > cursor) segments.push({ kind: 'text', text: text.slice(cursor, match.index) });
    segments.push({ kind: 'link', text: match.raw, href: match.url });
    cursor = match.lastIndex;
  }
  if (cursor < text.length) segments.push({ kind: 'text', text: text.slice(cursor) });
  return segments;
}
