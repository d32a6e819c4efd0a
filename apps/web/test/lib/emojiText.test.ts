import { describe, expect, it } from 'vitest';
import { completedShortcodeAt, emojiOnlyCount, replaceRange, shortcodeQueryAt } from '@/lib/emojiText';

describe('a message made only of emoji', () => {
  it('counts emoji as the reader sees them: skin tones, joined sequences, flags and keycaps are one each', () => {
    expect(emojiOnlyCount('👍')).toBe(1);
    expect(emojiOnlyCount('👍🏽 ❤️')).toBe(2);
    expect(emojiOnlyCount('👩‍💻🇨🇳1️⃣')).toBe(3);
    expect(emojiOnlyCount('  🎉  ')).toBe(1);
  });

  it('is not emoji-only with any text, digit or text-style symbol in it', () => {
    expect(emojiOnlyCount('ok 👍')).toBeNull();
    expect(emojiOnlyCount('1')).toBeNull();
    expect(emojiOnlyCount('©')).toBeNull();
    expect(emojiOnlyCount('❤')).toBeNull();
    expect(emojiOnlyCount('你好')).toBeNull();
    expect(emojiOnlyCount('   ')).toBeNull();
  });
});

describe('a :shortcode being typed', () => {
  const at = (text: string) => shortcodeQueryAt(text, text.length);

  it('starts at a colon after a space or at the start, once two characters follow it', () => {
    expect(at(':th')).toEqual({ start: 0, query: 'th' });
    expect(at('great :Thumbs_u')).toEqual({ start: 6, query: 'thumbs_u' });
    expect(at('(:+1')).toEqual({ start: 1, query: '+1' });
    expect(at(':t')).toBeNull();
  });

  it('is not a time, a URL or a finished shortcode', () => {
    expect(at('at 12:30')).toBeNull();
    expect(at('see http://ex')).toBeNull();
    expect(at(':smile: ')).toBeNull();
  });

  it('is read up to the caret, not the end of the text', () => {
    expect(shortcodeQueryAt(':hea rest', 4)).toEqual({ start: 0, query: 'hea' });
  });

  it('is replaced by the emoji, with the caret after it', () => {
    expect(replaceRange('so :hea now', 3, 7, '❤️')).toEqual({ text: 'so ❤️ now', caret: 5 });
  });
});

describe('a :shortcode: typed whole', () => {
  const at = (text: string) => completedShortcodeAt(text, text.length);

  it('is found when the caret has just closed it', () => {
    expect(at(':smile:')).toEqual({ start: 0, code: 'smile' });
    expect(at('nice :Thumbs_Up:')).toEqual({ start: 5, code: 'thumbs_up' });
    expect(at('(:+1:')).toEqual({ start: 1, code: '+1' });
  });

  it('is not a time, a URL, one letter, or a shortcode the caret has left', () => {
    expect(at('at 12:30:')).toBeNull();
    expect(at('http://x:')).toBeNull();
    expect(at(':a:')).toBeNull();
    expect(at(':smile: ')).toBeNull();
    expect(completedShortcodeAt(':smile: and', 7)).toEqual({ start: 0, code: 'smile' });
  });
});
