import { describe, expect, it } from 'vitest';
import { fileFamily, fileTypeLabel, fitInBox, formatByteSize, isTallImage } from '@/lib/attachments';

describe('attachment helpers', () => {
  it('fits an image in the thumbnail box, keeping its ratio and never enlarging it', () => {
    expect(fitInBox(4000, 3000)).toEqual({ width: 320, height: 240 });
    expect(fitInBox(1000, 2500)).toEqual({ width: 128, height: 320 });
    expect(fitInBox(120, 90)).toEqual({ width: 120, height: 90 });
    expect(fitInBox(null, null)).toEqual({ width: 320, height: 320 });
  });

  it('draws a very tall or wide image as a 1:2.5 window onto it, not a sliver', () => {
    // A full-page phone screenshot: its top, 128 by 320, where it was a 16-pixel strip.
    expect(fitInBox(780, 15_392)).toEqual({ width: 128, height: 320 });
    expect(isTallImage(780, 15_392)).toBe(true);
    expect(fitInBox(1000, 4000)).toEqual({ width: 128, height: 320 });
    expect(fitInBox(10_000, 20)).toEqual({ width: 320, height: 128 });
    expect(isTallImage(10_000, 20)).toBe(false);
    expect(isTallImage(1000, 2500)).toBe(false);
    // Small and tall: its own height, not enlarged.
    expect(fitInBox(20, 200)).toEqual({ width: 80, height: 200 });
  });

  it('formats sizes in decimal units in the given language', () => {
    expect(formatByteSize(0, 'en')).toBe('0 bytes');
    expect(formatByteSize(1, 'en')).toBe('1 byte');
    expect(formatByteSize(999, 'en')).toBe('999 bytes');
    expect(formatByteSize(1_500, 'en')).toBe('1.5 kB');
    expect(formatByteSize(12_345_678, 'en')).toBe('12 MB');
    expect(formatByteSize(10_000_000, 'en')).toBe('10 MB');
    expect(formatByteSize(2_500_000_000, 'en')).toBe('2.5 GB');
    expect(formatByteSize(1_500, 'de')).toBe('1,5 kB');
  });

  it('tells a file’s family and type label from its MIME type and name', () => {
    expect(fileFamily('application/pdf', 'x.pdf')).toBe('pdf');
    expect(fileFamily('application/zip', 'x.zip')).toBe('archive');
    expect(fileFamily('application/octet-stream', 'data.csv')).toBe('spreadsheet');
    expect(fileFamily('text/plain', 'notes')).toBe('text');
    expect(fileFamily('application/octet-stream', 'blob')).toBe('other');
    expect(fileTypeLabel('application/pdf', 'Report.PDF')).toBe('PDF');
    expect(fileTypeLabel('application/x-7z-compressed', 'noextension')).toBe('7Z-COMPRESSED');
    expect(fileTypeLabel('application/octet-stream', 'noextension')).toBe('');
  });
});
