import { describe, expect, it } from 'vitest';
import { cleanFileName } from '../../../src/features/uploads/file-names.js';

describe('cleanFileName', () => {
  it.each([
    ['a plain name', 'report.pdf', 'report.pdf'],
    ['directories', '../../etc/passwd', 'passwd'],
    ['Windows directories', 'C:\\Users\\ada\\notes.txt', 'notes.txt'],
    ['a bidi override', 'evil\u202egnp.exe', 'evilgnp.exe'],
    ['a lone high surrogate', 'photo\ud800.jpg', 'photo.jpg'],
    ['a lone low surrogate', '\udc00scan.png', 'scan.png'],
    ['an emoji (a surrogate pair)', 'party 🎉.png', 'party 🎉.png'],
    ['nothing left', '\ud800', 'file'],
    ['the Arabic letter mark (a bidi control)', 'evil\u061cgnp.exe', 'evilgnp.exe'],
    ['an isolate', 'a\u2067b\u2069.txt', 'ab.txt'],
    ['line and paragraph separators', 'a\u2028b\u2029c.png', 'abc.png'],
    ['C1 controls and DEL', 'a\u0085b\u007fc.txt', 'abc.txt'],
  ])('keeps %s well-formed and safe', (_name, raw, expected) => {
    expect(cleanFileName(raw, 'file')).toBe(expected);
  });

  it('cuts a long name at 255 UTF-16 code units, keeping the extension and every emoji whole', () => {
    const emoji = cleanFileName(`${'😀'.repeat(200)}.tar.gz`, 'file');
    expect(emoji.length).toBeLessThanOrEqual(255);
    expect(emoji.endsWith('.gz')).toBe(true);
    expect(emoji).toBe(`${'😀'.repeat(126)}.gz`);
    const ascii = cleanFileName(`${'a'.repeat(300)}.pdf`, 'file');
    expect([ascii.length, ascii.endsWith('.pdf')]).toEqual([255, true]);
    // An odd room for the name: the emoji that would be cut in half is left out.
    expect(cleanFileName(`${'😀'.repeat(200)}.pd`, 'file')).toBe(`${'😀'.repeat(126)}.pd`);
  });
});
