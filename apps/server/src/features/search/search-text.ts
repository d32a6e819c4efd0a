/**
 * The text the indexer writes into `message_search` for a message: the message's own text, with
 * every run that the index would take as one over-long token cut into pieces it accepts. What people
 * see is read from `messages`, never from here.
 *
 * Groonga (Mroonga's engine) refuses a token longer than 4,096 bytes: it leaves it out of the index,
 * so nothing finds it, and writes it, the person's text, into its own log (`groonga.log` in MariaDB's
 * data directory) as "ignore too long token". The index's TokenBigram keeps a run of letters, of
 * digits or of symbols as one token (a pasted key: 4,000 Cyrillic letters are 8,000 bytes), and
 * measures it after NormalizerAuto has folded it, which can lengthen it ("ⅷ" is 3 bytes, "viii" 4).
 * Kanji, kana and Hangul syllables it cuts into bigrams, so runs of those are left whole.
 */

/**
 * Normalised bytes of a piece at most: a quarter of Groonga's 4,096, a margin for its normaliser
 * folding a character differently from Node's NFKC, and still more than the letters of a query's 100
 * characters (SEARCH_QUERY_MAX) make in any script (800 bytes at most), so a search for a run's
 * start finds its first piece.
 */
export const SEARCH_PIECE_MAX_BYTES = 1024;

/**
 * A run TokenBigram may keep as one token: characters that are neither white space (a blank ends
 * every token) nor ones it cuts into bigrams (CJK ideographs, kana, Hangul syllables: each range
 * checked against Mroonga 7.07). Wider than a token (a change from letters to digits also ends
 * one), so a piece of it is never longer than a token Groonga would make.
 */
const RUN =
  /[^\s\u3041-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff\uff66-\uff9f\u{20000}-\u{3134f}]+/gu;

/**
 * Whether `text` has 32 UTF-16 units in a row without a blank (a space, a tab, a line break, a
 * no-break or ideographic space: each white space to RUN too, so a run it finds is never longer).
 * A loop: Irregexp took longer over `\S{32}` than the whole of searchIndexText over a message.
 */
function hasRunOf32(text: string): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0xa0 || code === 0x3000) run = 0;
    else if (++run === 32) return true;
  }
  return false;
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** NFKC lengthens a character 11 times at most in UTF-8 (U+FDFA, 3 bytes, makes 33). */
const NFKC_MAX_GROWTH = 11;

/** normalizedCharBytes of the characters seen lately: normalising one at a time is most of the work. */
const charBytesSeen = new Map<string, number>();
const CHAR_BYTES_SEEN_MAX = 4096;

/** Bytes of one character once the index has folded it: the longer of it and its NFKC lower case. */
function normalizedCharBytes(char: string): number {
  if (char.length === 1 && char.charCodeAt(0) < 0x80) return 1;
  let bytes = charBytesSeen.get(char);
  if (bytes === undefined) {
    bytes = Math.max(Buffer.byteLength(char), Buffer.byteLength(char.normalize('NFKC').toLowerCase()));
    if (charBytesSeen.size >= CHAR_BYTES_SEEN_MAX) charBytesSeen.clear();
    charBytesSeen.set(char, bytes);
  }
  return bytes;
}

/**
 * Bytes `text` may have once the index has folded it, character by character (composing a sequence
 * only shortens it).
 */
function normalizedBytes(text: string): number {
  let bytes = 0;
  for (const char of text) bytes += normalizedCharBytes(char);
  return bytes;
}

/** Letters, digits or anything else: where TokenBigram would end a token of its own accord. */
function kindOf(char: string): 'letter' | 'digit' | 'other' {
  if (/^[\p{L}\p{M}]/u.test(char)) return 'letter';
  return /^\p{N}/u.test(char) ? 'digit' : 'other';
}

/**
 * `run` in pieces of at most SEARCH_PIECE_MAX_BYTES, separated by a space. A piece ends between
 * grapheme clusters, where letters turn to digits or symbols when that leaves it at least half full,
 * and inside a cluster only when the cluster alone is too long (a letter under hundreds of marks),
 * between code points.
 */
function cutRun(run: string): string {
  const clusters = graphemes.segment(run);
  const pieces: string[] = [];
  let start = 0;
  let bytes = 0;
  /** Where the piece being filled last changes kind (start: nowhere), and its bytes before that. */
  let kindChange = 0;
  let bytesBeforeKindChange = 0;
  let previousKind: ReturnType<typeof kindOf> | null = null;
  for (let i = 0; i < run.length;) {
    const char = String.fromCodePoint(run.codePointAt(i)!);
    const weight = normalizedCharBytes(char);
    const kind = kindOf(char);
    if (i > start && kind !== previousKind) {
      kindChange = i;
      bytesBeforeKindChange = bytes;
    }
    previousKind = kind;
    while (bytes + weight > SEARCH_PIECE_MAX_BYTES) {
      const wanted =
        kindChange > start && bytesBeforeKindChange >= SEARCH_PIECE_MAX_BYTES / 2 ? kindChange : i;
      // Back to the start of the cluster `wanted` is in, or else of the one at i; at i itself only
      // when a single cluster has filled the piece.
      const end = [wanted, i].map((at) => clusters.containing(at)!.index).find((at) => at > start) ?? i;
      pieces.push(run.slice(start, end));
      start = end;
      bytes = normalizedBytes(run.slice(start, i));
      kindChange = start;
    }
    bytes += weight;
    i += char.length;
  }
  pieces.push(run.slice(start));
  return pieces.join(' ');
}

/**
 * `text` as the index should read it: unchanged unless a run is longer than SEARCH_PIECE_MAX_BYTES,
 * which is then cut into pieces, each found by a search for its start.
 */
export function searchIndexText(text: string): string {
  // A run needs more than SEARCH_PIECE_MAX_BYTES / NFKC_MAX_GROWTH bytes (93) to be cut, so at least
  // 32 UTF-16 units (3 bytes each at most): most messages have none, and are passed over in one scan
  // (3 µs a message of 150 characters without it, on the indexer's round).
  if (!hasRunOf32(text)) return text;
  return text.replace(RUN, (run) =>
    Buffer.byteLength(run) * NFKC_MAX_GROWTH > SEARCH_PIECE_MAX_BYTES &&
    normalizedBytes(run) > SEARCH_PIECE_MAX_BYTES
      ? cutRun(run)
      : run,
  );
}
