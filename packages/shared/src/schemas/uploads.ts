import { z } from 'zod';

/** Bytes one upload may have at most unless the server is configured otherwise (UPLOAD_MAX_BYTES). */
export const UPLOAD_MAX_BYTES_DEFAULT = 10 * 1024 * 1024;
/** Characters of a file name the server keeps (longer names are cut, keeping the extension). */
export const UPLOAD_FILE_NAME_MAX = 255;
/**
 * Seconds a voice message may last unless the server is configured otherwise (MAX_VOICE_DURATION_S):
 * the recorder stops and keeps the recording at this length, the server refuses longer ones
 * (`upload/too_long`). Issue 9: five minutes.
 */
export const MAX_VOICE_DURATION_S = 300;
/** Peaks in a voice message's waveform (`Attachment.waveform`), each the loudest sample of its slice. */
export const VOICE_WAVEFORM_PEAKS = 64;
/** Hours an upload waits to be attached to a message before the server removes it. */
export const UPLOAD_UNATTACHED_TTL_HOURS = 24;

/**
 * What an upload is for. `image`: JPEG, PNG, WebP or GIF, re-encoded by the server, shown inline.
 * `file`: anything else, only ever downloaded. `voice`: a recorded audio message, played inline.
 */
export const uploadKindSchema = z.enum(['image', 'file', 'voice']);
export type UploadKind = z.infer<typeof uploadKindSchema>;

/** 22 base64url characters (128 random bits), made by the server. */
export const uploadIdSchema = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'must be an upload id');

/** POST /api/uploads?kind=…: the one multipart file part is the content. */
export const uploadQuerySchema = z.strictObject({ kind: uploadKindSchema });
export type UploadQuery = z.infer<typeof uploadQuerySchema>;

/**
 * An uploaded file as messages carry it. Every field is the server's: `mime` is chosen from the
 * bytes, `fileName` is the uploader's name cleaned of directories and control characters.
 */
export const attachmentSchema = z.object({
  id: uploadIdSchema,
  kind: uploadKindSchema,
  mime: z.string(),
  fileName: z.string(),
  /** Bytes of the stored content (an image's re-encoded size). */
  byteSize: z.number().int().nonnegative(),
  /** Images: pixels, orientation applied; null for other kinds. */
  width: z.number().int().positive().nullable(),
  height: z.number().int().positive().nullable(),
  /** Images: a tiny blurred `data:image/webp;base64,…` URL to show until the thumbnail loads. */
  placeholder: z.string().nullable(),
  /** Voice: milliseconds; null for other kinds. */
  durationMs: z.number().int().nonnegative().nullable(),
  /** Voice: peaks for the waveform, each 0..1; null for other kinds. */
  waveform: z.array(z.number().min(0).max(1)).nullable(),
  /** Voice: the MIME type served at the `playable` variant when the server made a rendition, else null. */
  playableMime: z.string().nullable(),
});
export type Attachment = z.infer<typeof attachmentSchema>;

/** The answer to POST /api/uploads (HTTP 201). */
export const uploadResponseSchema = z.object({ upload: attachmentSchema });
export type UploadResponse = z.infer<typeof uploadResponseSchema>;

/**
 * What GET /api/uploads/:id/:variant serves: `content` the file itself (an image's re-encoded full
 * size), `thumbnail` an image's small WebP, `playable` a voice message's rendition for every browser.
 */
export const uploadVariantSchema = z.enum(['content', 'thumbnail', 'playable']);
export type UploadVariant = z.infer<typeof uploadVariantSchema>;

/** The path that serves one variant of an upload (to members of the conversation of its message). */
export function uploadPath(id: string, variant: UploadVariant = 'content'): string {
  return `/api/uploads/${encodeURIComponent(id)}/${variant}`;
}
