import { describe, expect, it } from 'vitest';
import { linkify } from '@/composables/linkify';

describe('linkify', () => {
  it('splits http(s) links out of text, leaving trailing punctuation as text', () => {
    expect(linkify('see https://example.com/a?b=1. thanks')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: '. thanks' },
    ]);
  });

  it('never turns other schemes or markup into links', () => {
    expect(linkify('javascript:alert(1) <b>hi</b>')).toEqual([
      { kind: 'text', text: 'javascript:alert(1) <b>hi</b>' },
    ]);
  });
});
