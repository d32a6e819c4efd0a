import type { Attachment } from '@parley/shared';

/** Width and height in CSS pixels. */
export interface BoxSize {
  width: number;
  height: number;
}

/** The largest a thumbnail is drawn in the message list (the server's thumbnails are twice this). */
export const THUMBNAIL_BOX: BoxSize = { width: 320, height: 320 };
/** A very thin image is still drawn this wide or tall at least (cropped to fit, never stretched). */
export const THUMBNAIL_MIN_SIDE = 48;
/**
 * The most a thumbnail's long side is drawn times its short side: a full-page screenshot (1:20) is
 * shown as a 1:2.5 window onto its top, not a 16-pixel sliver, and a panorama as a window onto its
 * middle. The viewer shows the whole image.
 */
export const THUMBNAIL_MAX_ASPECT = 2.5;

/** Whether an image of `width`×`height` is taller than a thumbnail shows: its thumbnail shows its top. */
export function isTallImage(width: number | null, height: number | null): boolean {
  return !!width && !!height && height / width > THUMBNAIL_MAX_ASPECT;
}

/**
 * The size an image of `width`×`height` pixels is drawn at to fit inside `box`, its aspect ratio
 * kept (up to THUMBNAIL_MAX_ASPECT, past which it is cropped) and never enlarged. Each side is at
 * least THUMBNAIL_MIN_SIDE. Unknown dimensions (null) give a square box.
 */
export function fitInBox(width: number | null, height: number | null, box: BoxSize = THUMBNAIL_BOX): BoxSize {
  if (!width || !height) return { width: box.width, height: box.height };
  const scale = Math.min(1, box.width / width, box.height / height);
  let drawn = { width: width * scale, height: height * scale };
  if (drawn.height > drawn.width * THUMBNAIL_MAX_ASPECT) {
    const long = Math.min(height, box.height);
    drawn = { width: long / THUMBNAIL_MAX_ASPECT, height: long };
  } else if (drawn.width > drawn.height * THUMBNAIL_MAX_ASPECT) {
    const long = Math.min(width, box.width);
    drawn = { width: long, height: long / THUMBNAIL_MAX_ASPECT };
  }
  return {
    width: Math.max(THUMBNAIL_MIN_SIDE, Math.round(drawn.width)),
    height: Math.max(THUMBNAIL_MIN_SIDE, Math.round(drawn.height)),
  };
}

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;
const byteFormats = new Map<string, Intl.NumberFormat>();

/**
 * A file size as people read it in `locale`: "512 bytes", "1.5 kB", "12 MB" (decimal units, 1 kB =
 * 1,000 bytes, as operating systems' file managers show them), through Intl.NumberFormat's unit style
 * so the words and digits are the locale's ("1.5 MB", "1.5 MB", "1,5 Mo").
 */
export function formatByteSize(bytes: number, locale: string): string {
  let unit = 0;
  let value = bytes;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const key = `${locale}|${unit}|${value < 10 && unit > 0 ? 1 : 0}`;
  let format = byteFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, {
      style: 'unit',
      unit: BYTE_UNITS[unit],
      unitDisplay: unit === 0 ? 'long' : 'short',
      maximumFractionDigits: value < 10 && unit > 0 ? 1 : 0,
    });
    byteFormats.set(key, format);
  }
  return format.format(value);
}

/** What kind of file it is, for its icon: from the server's MIME type, then the name's extension. */
export type FileFamily =
  'pdf' | 'archive' | 'text' | 'code' | 'spreadsheet' | 'image' | 'audio' | 'video' | 'other';

const EXTENSION_FAMILIES: Record<string, FileFamily> = {
  pdf: 'pdf',
  zip: 'archive',
  gz: 'archive',
  tgz: 'archive',
  bz2: 'archive',
  xz: 'archive',
  '7z': 'archive',
  rar: 'archive',
  tar: 'archive',
  txt: 'text',
  md: 'text',
  rtf: 'text',
  doc: 'text',
  docx: 'text',
  odt: 'text',
  csv: 'spreadsheet',
  xls: 'spreadsheet',
  xlsx: 'spreadsheet',
  ods: 'spreadsheet',
  json: 'code',
  js: 'code',
  ts: 'code',
  html: 'code',
  css: 'code',
  xml: 'code',
  py: 'code',
  sh: 'code',
};

/** The extension of `fileName`, lower case without the dot ("" when there is none). */
export function fileExtension(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 && dot < fileName.length - 1 ? fileName.slice(dot + 1).toLowerCase() : '';
}

export function fileFamily(mime: string, fileName: string): FileFamily {
  if (mime === 'application/pdf') return 'pdf';
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('video/')) return 'video';
  if (/zip|compressed|x-tar|gzip|x-7z|x-rar/.test(mime)) return 'archive';
  return EXTENSION_FAMILIES[fileExtension(fileName)] ?? (mime.startsWith('text/') ? 'text' : 'other');
}

/**
 * A short type label for a file card: the extension in capitals ("PDF", "ZIP"), else the MIME
 * subtype ("OCTET-STREAM" is no help to anyone, so that one gives "").
 */
export function fileTypeLabel(mime: string, fileName: string): string {
  const extension = fileExtension(fileName);
  if (extension && extension.length <= 8) return extension.toUpperCase();
  const subtype = mime.split('/')[1] ?? '';
  return subtype === 'octet-stream' ? '' : subtype.replace(/^x-/, '').toUpperCase();
}

/** The caption or, without one, the file name: what an image's alt text says. */
export function imageDescription(attachment: Pick<Attachment, 'fileName'>, caption: string): string {
  return caption.trim() || attachment.fileName;
}
