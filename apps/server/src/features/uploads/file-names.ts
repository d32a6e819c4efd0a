import { UPLOAD_FILE_NAME_MAX, dropLoneSurrogates, withoutUnsafeNameCharacters } from '@parley/shared';
import { create as contentDisposition } from 'content-disposition';

/**
 * The uploader's name for a file, made safe to keep and show (OWASP File Upload Cheat Sheet,
 * "Filename Sanitization"): only the last path segment (no `../`, no directories, either slash),
 * without the characters no name may hold (controls, line separators, bidi controls: shared's
 * withoutUnsafeNameCharacters) or lone surrogates (which UTF-8 cannot keep: the name answered must be
 * the name stored), Unicode NFC, at most UPLOAD_FILE_NAME_MAX UTF-16 code units (the project's
 * "characters"; an emoji of two units counts two, and is never cut in half) with the extension kept;
 * `fallback` when nothing is left. The name is never used as a path: blobs are stored under their
 * content hash.
 */
export function cleanFileName(raw: string | undefined, fallback: string): string {
  const lastSegment = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const cleaned = withoutUnsafeNameCharacters(dropLoneSurrogates(lastSegment).normalize('NFC'))
    .trim()
    .replace(/^\.+/, '');
  if (cleaned === '') return fallback;
  if (cleaned.length <= UPLOAD_FILE_NAME_MAX) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 ? firstUnits(cleaned.slice(dot), 16) : '';
  return firstUnits(cleaned, UPLOAD_FILE_NAME_MAX - extension.length) + extension;
}

/** The longest start of `text` of at most `max` UTF-16 code units that splits no surrogate pair. */
function firstUnits(text: string, max: number): string {
  let end = 0;
  for (const character of text) {
    if (end + character.length > max) break;
    end += character.length;
  }
  return text.slice(0, end);
}

/**
 * A Content-Disposition header value (RFC 6266) naming the file: `filename="…"` with an ASCII
 * fallback and `filename*=UTF-8''…` (RFC 5987/8187) for any other character; `attachment` makes the
 * browser download rather than render, `inline` is only ever used for images and audio.
 */
export function dispositionHeader(fileName: string, type: 'inline' | 'attachment'): string {
  return contentDisposition(fileName, { type });
}
