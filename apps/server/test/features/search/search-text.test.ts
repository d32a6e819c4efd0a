// What the search indexer writes into the Mroonga index for a message's text
// (src/features/search/search-text.ts): runs Groonga would refuse as one over-long token, cut.
import { isWellFormedText } from '@parley/shared';
import { describe, expect, it } from 'vitest';
import { SEARCH_PIECE_MAX_BYTES, searchIndexText } from '../../../src/features/search/search-text.js';

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
const clusters = (text: string) => [...graphemes.segment(text)].map(({ segment }) => segment);

/** Bytes of `text` once folded as the index's normaliser folds it (NFKC, lower case). */
const foldedBytes = (text: string) => Buffer.byteLength(text.normalize('NFKC').toLowerCase());

/** The pieces `run` was cut into, checked to be the run itself, in order, each within the limit. */
function piecesOf(run: string): string[] {
  const pieces = searchIndexText(run).split(' ');
  expect(pieces.join('')).toBe(run);
  for (const piece of pieces) {
    expect(isWellFormedText(piece)).toBe(true);
    expect(foldedBytes(piece)).toBeLessThanOrEqual(SEARCH_PIECE_MAX_BYTES);
  }
  return pieces;
}

describe('searchIndexText', () => {
  it('leaves ordinary text as it is, and Chinese, Japanese and Korean of any length', () => {
    for (const text of [
      'Meet at the Harbour Bridge at noon',
      'https://example.com/a/very/long/path?with=query&and=more#fragment',
      '今天我们去北京吃烤鸭'.repeat(400),
      '東京タワーに行きました'.repeat(360),
      '안녕하세요'.repeat(800),
      `${'word '.repeat(790)}end`,
    ]) {
      expect(searchIndexText(text)).toBe(text);
    }
  });

  it('cuts a run of letters over the limit into pieces within it, leaving the rest of the text alone', () => {
    const run = 'a'.repeat(5000);
    const text = `before ${run} after\n北京`;
    const indexed = searchIndexText(text);
    const pieces = piecesOf(run);
    expect(pieces.map((piece) => piece.length)).toEqual([1024, 1024, 1024, 1024, 904]);
    expect(indexed).toBe(`before ${pieces.join(' ')} after\n北京`);
  });

  it('measures in UTF-8 bytes as the normaliser makes them, not in UTF-16 code units', () => {
    // Cyrillic: two bytes a letter. ⅷ: three bytes, and four once folded (viii).
    expect(piecesOf('ж'.repeat(4000)).map((piece) => piece.length)).toEqual([
      512, 512, 512, 512, 512, 512, 512, 416,
    ]);
    expect(piecesOf('ⅷ'.repeat(1100)).map((piece) => piece.length)).toEqual([256, 256, 256, 256, 76]);
    // Symbols and digits are runs too.
    expect(piecesOf('→'.repeat(2000))).toHaveLength(6);
    expect(piecesOf('7'.repeat(5000))).toHaveLength(5);
  });

  it('cuts between grapheme clusters, where letters turn to digits when it can', () => {
    const family = '👨‍👩‍👧‍👦';
    for (const run of [
      `x${family.repeat(300)}`,
      `a${'🇩🇪🇫🇷'.repeat(300)}`,
      'e\u0301'.repeat(3000),
      '𝐀'.repeat(2000),
    ]) {
      const pieces = piecesOf(run);
      expect(pieces.length).toBeGreaterThan(1);
      expect(pieces.flatMap(clusters)).toEqual(clusters(run));
    }
    expect(piecesOf(`${'a'.repeat(600)}${'1'.repeat(600)}`)).toEqual(['a'.repeat(600), '1'.repeat(600)]);
  });

  it('cuts inside a cluster only when the cluster alone is over the limit, between code points', () => {
    const accents = 'a\u0301'.repeat(10);
    const pieces = piecesOf(`${accents}b${'\u0301'.repeat(2000)}`);
    expect(pieces[0]).toBe(accents);
    expect(pieces.slice(2).every((piece) => piece.startsWith('\u0301'))).toBe(true);
  });
});
