/**
 * Avatar backgrounds: distinguishable hues, each dark enough that white initials reach the
 * WCAG 2.1 AA ratio for normal text (4.5:1, SC 1.4.3) in both themes; test/avatarColors.test.ts checks.
 */
export const AVATAR_COLORS = [
  '#5457d6',
  '#0f766e',
  '#c2410c',
  '#9b3fb5',
  '#2563b0',
  '#b4305a',
  '#4d7c0f',
  '#7c5cc4',
] as const;

/** The avatar colour for a user or conversation id: the same id always gets the same colour. */
export function avatarColor(seed: number): string {
  return AVATAR_COLORS[Math.abs(seed) % AVATAR_COLORS.length] ?? AVATAR_COLORS[0];
}
