import { UPLOAD_FILE_NAME_MAX, dropLoneSurrogates } from '@parley/shared';
import { create as contentDisposition } from 'content-disposition';

/**
 * The uploader's name for a file, made safe to keep and show (OWASP File Upload Cheat Sheet,
 * "Filename Sanitization"): only the last path segment (no `../`, no directories, either slash),
 * without control or bidirectional-override characters or lone surrogates (which UTF-8 cannot keep:
 * the name answered must be the name stored), Unicode NFC, at most UPLOAD_FILE_NAME_MAX
 * characters with the extension kept; `fallback` when nothing is left. The name is never used as a
 * path: blobs are stored under their content hash.
 */
export function cleanFileName(raw: string | undefined, fallback: string): string {
  const lastSegment = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const cleaned = dropLoneSurrogates(lastSegment)
    .normalize('NFC')
    // C0 and C1 controls, and the bidirectional controls that make "gnp.exe" read as "exe.png".
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .trim()
    .replace(/^\.+/, '');
  if (cleaned === '') return fallback;
  const characters = [...cleaned];
  if (characters.length <= UPLOAD_FILE_NAME_MAX) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 ? [...cleaned.slice(dot)].slice(0, 16).join('') : '';
  return characters.slice(0, UPLOAD_FILE_NAME_MAX - [...extension].length).join('') + extension;
}

/**
 * A Content-Disposition header value (RFC 6266) naming the file: `filename="…"` with an ASCII
 * fallback and `filename*=UTF-8''…` (RFC 5987/8187) for any other character; `attachment` makes the
 * browser download rather than render, `inline` is only ever used for images and audio.
 */
export function dispositionHeader(fileName: string, type: 'inline' | 'attachment'): string {
  return contentDisposition(fileName, { type });
}
