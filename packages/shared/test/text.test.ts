// The visible-text rule for message text and names (docs/protocol.md, "Text that must be visible").
import { describe, expect, it } from 'vitest';
import {
  DISPLAY_NAME_MAX,
  createGroupBodySchema,
  editMessagePayloadSchema,
  groupNameSchema,
  hasVisibleText,
  isSafeName,
  isWellFormedText,
  messageTextSchema,
  registerBodySchema,
  sendMessagePayloadSchema,
} from '../src/index.js';

/** Characters that draw nothing, each with why it is blank. */
const BLANK: [name: string, text: string][] = [
  ['U+200B zero width space', '\u200b'],
  ['U+2060 word joiner', '\u2060'],
  ['U+200C ZWNJ + U+200D ZWJ', '\u200c\u200d'],
  ['U+00AD soft hyphen', '\u00ad'],
  ['U+2800 braille pattern blank', '\u2800'],
  ['U+3164 Hangul filler', '\u3164'],
  ['U+115F U+1160 U+FFA0 Hangul fillers', '\u115f\u1160\uffa0'],
  ['U+FEFF zero width no-break space', '\ufeff'],
  ['U+180E Mongolian vowel separator', '\u180e'],
  ['U+034F combining grapheme joiner', '\u034f'],
  ['U+FE0F variation selector alone', '\ufe0f'],
  ['U+E0041 tag character', '\u{e0041}'],
  ['U+200E U+200F bidi marks', '\u200e\u200f'],
  ['U+202E right-to-left override', '\u202e'],
  ['U+0000 and U+0007 controls', '\u0000\u0007'],
  ['spaces, NBSP, U+3000 and a newline', ' \u00a0\u3000\n\t'],
  ['many of them mixed', '\u200b \u2060\u00a0\u2800\u3164\u200d\n'],
];

/** Text people really write, which must all be accepted as messages. */
const VISIBLE: [name: string, text: string][] = [
  ['Latin', 'hello'],
  ['Hebrew with punctuation', 'שלום, מה שלומך?'],
  ['Arabic', 'مرحبا'],
  ['Chinese', '你好'],
  ['Japanese', 'こんにちは'],
  ['a single emoji', '👍'],
  ['a ZWJ family emoji', '👨‍👩‍👧'],
  ['a flag', '🇫🇷'],
  ['a keycap', '1️⃣'],
  ['a tag-sequence flag', '🏴󠁧󠁢󠁳󠁣󠁴󠁿'],
  ['a single dot', '.'],
  ['Persian with ZWNJ', 'می‌خواهم'],
  ['a zero width space between words', 'a\u200bb'],
  ['lines and tabs', 'first line\n\tsecond line'],
];

describe('hasVisibleText', () => {
  it.each(BLANK)('is false for %s', (_name, text) => {
    expect(hasVisibleText(text)).toBe(false);
  });

  it.each(VISIBLE)('is true for %s', (_name, text) => {
    expect(hasVisibleText(text)).toBe(true);
  });

  it('is false for the empty string', () => {
    expect(hasVisibleText('')).toBe(false);
  });
});

describe('message text', () => {
  const send = (text: string) =>
    sendMessagePayloadSchema.safeParse({
      conversationId: 1,
      clientMsgId: '0b9c7a52-3f0e-4c1e-9d0a-6a7f2b1c8e11',
      text,
    });
  const edit = (text: string) =>
    editMessagePayloadSchema.safeParse({ conversationId: 1, messageId: 2, text });
  const group = (name: string) => createGroupBodySchema.safeParse({ name, memberUsernames: [] });

  it.each(BLANK)(
    'refuses text made only of %s, on send and on edit, with an issue on text',
    (_name, text) => {
      for (const parsed of [send(text), edit(text)]) {
        expect(parsed.success).toBe(false);
        expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toContain('text');
      }
    },
  );

  it('names the broken rule in the issue params, so clients can word it', () => {
    const parsed = messageTextSchema.safeParse('\u200b\u200b');
    expect(parsed.error?.issues).toEqual([
      expect.objectContaining({ code: 'custom', params: { rule: 'visible' } }),
    ]);
  });

  it.each(VISIBLE)('accepts %s, stored as typed', (_name, text) => {
    expect(messageTextSchema.parse(text)).toBe(text);
  });

  it.each([
    ['a high surrogate alone', 'broken \ud83d half'],
    ['a low surrogate alone', '\ude00 first'],
    ['two halves the wrong way round', 'x\ude00\ud83d'],
  ])('refuses %s (UTF-8 cannot store it as sent), on send and on edit', (_name, text) => {
    expect(isWellFormedText(text)).toBe(false);
    for (const parsed of [send(text), edit(text)]) {
      expect(parsed.error?.issues).toContainEqual(
        expect.objectContaining({ path: ['text'], params: { rule: 'well_formed' } }),
      );
    }
    expect(group(text).error?.issues).toContainEqual(
      expect.objectContaining({ path: ['name'], params: { rule: 'well_formed' } }),
    );
  });

  it('accepts surrogate pairs (emoji, rare CJK) as well-formed', () => {
    for (const text of ['😀', '𠀀 rare', 'a 👨‍👩‍👧 b']) {
      expect(isWellFormedText(text)).toBe(true);
      expect(messageTextSchema.parse(text)).toBe(text);
    }
  });

  it('keeps bidi controls inside visible text: a right-to-left writer may need them', () => {
    expect(messageTextSchema.parse('file \u202egnp.exe')).toBe('file \u202egnp.exe');
    expect(messageTextSchema.parse('\u200fשלום\u200f')).toBe('\u200fשלום\u200f');
  });
});

describe('names (display names and group names)', () => {
  const register = (displayName: string) =>
    registerBodySchema.safeParse({ username: 'alice', displayName, password: 'long enough' });
  const group = (name: string) => createGroupBodySchema.safeParse({ name, memberUsernames: [] });

  it.each([
    ['a right-to-left override', 'evil\u202egnp.exe'],
    ['a left-to-right override', 'a\u202db'],
    ['an embedding', 'a\u202ab\u202c'],
    ['an isolate', 'a\u2066b\u2069'],
    ['a first-strong isolate', 'a\u2068b'],
    ['a left-to-right mark', 'a\u200e'],
    ['a right-to-left mark', 'a\u200fb'],
    ['an Arabic letter mark', 'a\u061cb'],
    ['NUL', 'a\u0000b'],
    ['a newline', 'a\nb'],
    ['a tab', 'a\tb'],
    ['ESC', 'a\u001b[31mb'],
    ['DEL', 'a\u007fb'],
    ['a C1 control', 'a\u0085b'],
    ['a line separator', 'a\u2028b'],
    ['a paragraph separator', 'a\u2029b'],
  ])('refuse %s', (_name, name) => {
    expect(isSafeName(name)).toBe(false);
    for (const parsed of [register(name), group(name)]) {
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]).toMatchObject({ params: { rule: 'name_characters' } });
    }
    expect(register(name).error?.issues[0]?.path).toEqual(['displayName']);
    expect(group(name).error?.issues[0]?.path).toEqual(['name']);
  });

  it.each(BLANK.filter(([, text]) => isSafeName(text) && text.trim() !== ''))(
    'refuse names made only of %s',
    (_name, name) => {
      expect(register(name).error?.issues).toEqual([
        expect.objectContaining({ path: ['displayName'], params: { rule: 'visible' } }),
      ]);
      expect(group(name).error?.issues).toEqual([
        expect.objectContaining({ path: ['name'], params: { rule: 'visible' } }),
      ]);
    },
  );

  it.each([
    ['Latin', 'Alice Smith'],
    ['Hebrew', 'דוד כהן'],
    ['Arabic', 'فاطمة'],
    ['Chinese', '王小明'],
    ['an emoji', 'Team 🚀'],
    ['a ZWJ emoji', '👨‍👩‍👧 family'],
    ['Persian with ZWNJ', 'می‌خواهم'],
    ['NBSP between words', 'Jean\u00a0Luc'],
  ])('accept %s', (_name, name) => {
    expect(
      registerBodySchema.parse({ username: 'alice', displayName: name, password: 'long enough' }),
    ).toMatchObject({ displayName: name });
    expect(groupNameSchema.parse(name)).toBe(name);
  });

  it('still trims and limits the length', () => {
    expect(groupNameSchema.parse('  Team  ')).toBe('Team');
    expect(register('x'.repeat(DISPLAY_NAME_MAX)).success).toBe(true);
    expect(register('x'.repeat(DISPLAY_NAME_MAX + 1)).success).toBe(false);
  });
});
