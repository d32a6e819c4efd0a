import { describe, expect, it } from 'vitest';
import { highlightParts } from '@/lib/searchHighlight';

const marked = (text: string, query: string) =>
  highlightParts(text, query)
    .map((part) => (part.match ? `[${part.text}]` : part.text))
    .join('');

describe('search result highlighting', () => {
  it('marks every word searched for, whatever its case, in Chinese as in English', () => {
    expect(marked('Meet at the Harbour Bridge, harbour side', 'harbour BRIDGE')).toBe(
      'Meet at the [Harbour] [Bridge], [harbour] side',
    );
    expect(marked('周末我们去北京吃烤鸭吧', '北京 烤鸭')).toBe('周末我们去[北京]吃[烤鸭]吧');
  });

  it('takes characters that mean something in a pattern literally, and punctuation as a separator', () => {
    expect(marked('costs $5 (maybe) or C++?', '$5 (maybe) C++')).toBe('costs [$5] ([maybe]) or [C++]?');
    expect(marked('the spare key, under the mat', '"spare key"')).toBe('the [spare] [key], under the mat');
  });

  it('marks a word written in full or half width, as the index finds it', () => {
    expect(marked('ＰＡＲＬＥＹ　ＲＯＣＫＳ', 'parley')).toBe('[ＰＡＲＬＥＹ]　ＲＯＣＫＳ');
    expect(marked('the spare key', 'ｓｐａｒｅ')).toBe('the [spare] key');
    expect(marked('ｶﾀｶﾅ and カタカナ', 'カタカナ')).toBe('[ｶﾀｶﾅ] and [カタカナ]');
  });

  it('prefers the longer of two overlapping words', () => {
    expect(marked('北京烤鸭', '北京 北京烤鸭')).toBe('[北京烤鸭]');
  });

  it('shows a short text whole, and cuts a long one before its first match at a word', () => {
    const short = 'I booked a table for roast duck (烤鸭) at seven';
    expect(marked(short, '烤鸭')).toBe('I booked a table for roast duck ([烤鸭]) at seven');
    const long = `${'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor '.repeat(2)}the harbour at noon`;
    const shown = marked(long, 'harbour');
    expect(shown).toMatch(/^…[a-z]+ .*\[harbour\] at noon$/);
    expect(shown.length).toBeLessThan(60);
    expect(long).toContain(shown.slice(1, shown.indexOf('[')));
  });

  it('keeps emoji whole where it cuts', () => {
    const long = `${'😀'.repeat(100)}北京`;
    const shown = marked(long, '北京');
    expect(shown).toBe(`…${'😀'.repeat(30)}[北京]`);
  });

  it('leaves a text without matches, or an empty query, unmarked', () => {
    expect(highlightParts('nothing here', 'harbour')).toEqual([{ text: 'nothing here', match: false }]);
    expect(highlightParts('nothing here', '   ')).toEqual([{ text: 'nothing here', match: false }]);
  });
});
