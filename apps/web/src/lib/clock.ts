/** Milliseconds as a media clock, "m:ss" (minutes unbounded): 65_400 → "1:05". Negative counts as 0. */
export function formatClock(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
