import { describe, expect, it } from 'vitest';
import { safeRedirect } from '@/lib/redirect';

describe('safeRedirect', () => {
  it.each(['/', '/c/12', '/c/12?x=1#end'])('keeps the app path %j', (path) => {
    expect(safeRedirect(path)).toBe(path);
  });

  it.each(['//evil.example', '/\\evil.example', 'https://evil.example', 'c/12', '', undefined, ['/c/1']])(
    'refuses %j, which could leave the app',
    (value) => {
      expect(safeRedirect(value)).toBeNull();
    },
  );
});
