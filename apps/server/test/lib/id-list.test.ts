import { describe, expect, it } from 'vitest';
import { padIdList } from '../../src/lib/id-list.js';

describe('padIdList', () => {
  it('pads a list to the next power of two with its last id, so IN lists take few lengths', () => {
    expect(padIdList([])).toEqual([]);
    expect(padIdList([7])).toEqual([7]);
    expect(padIdList([1, 2, 3])).toEqual([1, 2, 3, 3]);
    expect(padIdList([1, 2, 3, 4])).toEqual([1, 2, 3, 4]);
    const lengths = new Set(
      Array.from({ length: 1_000 }, (_, n) => padIdList(Array.from({ length: n + 1 }, (_, i) => i)).length),
    );
    expect([...lengths]).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]);
  });
});
