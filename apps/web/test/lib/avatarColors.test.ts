import { describe, expect, it } from 'vitest';
import { AVATAR_COLORS, avatarColor } from '@/lib/avatarColors';

/** WCAG 2.1 relative luminance of a #rrggbb colour (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance). */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((start) => {
    const channel = parseInt(hex.slice(start, start + 2), 16) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

describe('avatar colours', () => {
  it.each(AVATAR_COLORS)('white initials on %s reach 4.5:1', (colour) => {
    expect(contrast('#ffffff', colour)).toBeGreaterThanOrEqual(4.5);
  });

  it('the same seed always gets the same colour, negative seeds included', () => {
    expect(avatarColor(3)).toBe(avatarColor(3 + AVATAR_COLORS.length));
    expect(AVATAR_COLORS).toContain(avatarColor(-5));
  });
});
