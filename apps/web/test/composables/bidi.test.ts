import { describe, expect, it } from 'vitest';
import { isolate } from '@/composables/bidi';

describe('isolate', () => {
  it('wraps a name in FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE', () => {
    expect(isolate('נועה 2')).toBe('\u2068נועה 2\u2069');
  });

  it('drops overrides and isolates inside the name, so none can close the isolate or outlast it', () => {
    expect(isolate('evil\u202egnp.exe')).toBe('\u2068evilgnp.exe\u2069');
    expect(isolate('a\u2069\u202eb\u2066')).toBe('\u2068ab\u2069');
  });
});
