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
  ])('keeps %s well-formed and safe', (_name, raw, expected) => {
    expect(cleanFileName(raw, 'file')).toBe(expected);
  });
});
