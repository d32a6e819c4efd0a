import { describe, expect, it } from 'vitest';
import { linkify } from '@/lib/linkify';

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

describe('linkify: where a link starts and ends', () => {
  const links = (text: string) =>
    linkify(text).flatMap((segment) => (segment.kind === 'link' ? [[segment.text, segment.href]] : []));

  it('links www. addresses written without a scheme, to http', () => {
    expect(links('docs at www.example.com/guide today')).toEqual([
      ['www.example.com/guide', 'http://www.example.com/guide'],
    ]);
  });

  it('keeps a closing parenthesis that belongs to the URL, and drops one that closes the sentence', () => {
    expect(links('see https://en.wikipedia.org/wiki/Chat_(software)')).toEqual([
      ['https://en.wikipedia.org/wiki/Chat_(software)', 'https://en.wikipedia.org/wiki/Chat_(software)'],
    ]);
    expect(links('(see https://example.com/a)')).toEqual([
      ['https://example.com/a', 'https://example.com/a'],
    ]);
  });

  it('starts a link right after Chinese text and ends it at full-width punctuation', () => {
    expect(links('看这个https://example.com/页面。好吗')).toEqual([
      ['https://example.com/页面', 'https://example.com/页面'],
    ]);
    expect(links('文档在www.example.com，谢谢')).toEqual([['www.example.com', 'http://www.example.com']]);
    expect(linkify('看https://example.com！')).toEqual([
      { kind: 'text', text: '看' },
      { kind: 'link', text: 'https://example.com', href: 'https://example.com' },
      { kind: 'text', text: '！' },
    ]);
  });

  it('does not link file names or bare domains without www', () => {
    expect(links('open readme.md or example.com')).toEqual([]);
  });

  it('links mailto: but never javascript:, data: or ftp:', () => {
    expect(links('mailto:ada@example.com ftp://example.com data:text/html,hi')).toEqual([
      ['mailto:ada@example.com', 'mailto:ada@example.com'],
    ]);
  });
});
