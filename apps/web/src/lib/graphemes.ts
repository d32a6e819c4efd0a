const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * `text` cut to at most `max` grapheme clusters (Intl.Segmenter, UAX #29: no emoji, accent or Hangul
 * syllable split), ending in "…" when cut; trailing spaces before the ellipsis are dropped.
 */
export function truncateGraphemes(text: string, max: number): string {
  const clusters: string[] = [];
  for (const { segment } of segmenter.segment(text)) {
    if (clusters.length === max) return `${clusters.join('').trimEnd()}…`;
    clusters.push(segment);
  }
  return text;
}
