import { describe, expect, it } from 'vitest';
import en from '@/i18n/en';
import zhCN from '@/i18n/zh-CN';
import { detectLocale } from '@/i18n';

type Tree = { [key: string]: string | Tree };

function keysOf(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'string' ? [`${prefix}${key}`] : keysOf(value, `${prefix}${key}.`),
  );
}

const sources = import.meta.glob<string>('/src/**/*.{ts,vue}', {
  query: '?raw',
  import: 'default',
  eager: true,
});

describe('translations', () => {
  const englishKeys = new Set(keysOf(en));

  it('has the same keys in Simplified Chinese as in English', () => {
    expect(keysOf(zhCN).sort()).toEqual([...englishKeys].sort());
  });

  it('has words for every key the code asks for', () => {
    const used = new Set<string>();
    for (const source of Object.values(sources)) {
      for (const match of source.matchAll(/\bt\(\s*'([a-zA-Z]+(?:\.[a-zA-Z-]+)+)'/g)) used.add(match[1]!);
      for (const match of source.matchAll(/'(errors\.[a-zA-Z]+)'/g)) used.add(match[1]!);
      // <i18n-t keypath="…"> and keypaths handed to it from a composable.
      for (const match of source.matchAll(/(?<!:)\bkeypath(?:="|: ')([a-zA-Z]+(?:\.[a-zA-Z-]+)+)['"]/g))
        used.add(match[1]!);
    }
    expect(used.size).toBeGreaterThan(50);
    expect([...used].filter((key) => !englishKeys.has(key))).toEqual([]);
  });

  it('picks Chinese for a Chinese browser and English otherwise', () => {
    localStorage.clear();
    expect(detectLocale(['zh-TW', 'en'])).toBe('zh-CN');
    expect(detectLocale(['fr-FR', 'en-GB'])).toBe('en');
    expect(detectLocale(['de'])).toBe('en');
  });

  it('prefers the language saved by the picker', () => {
    localStorage.setItem('parley.locale', 'zh-CN');
    expect(detectLocale(['en-US'])).toBe('zh-CN');
    localStorage.clear();
  });
});
