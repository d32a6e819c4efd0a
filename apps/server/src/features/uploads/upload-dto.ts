import type { Attachment } from '@parley/shared';
import type { Upload } from '../../generated/prisma/client.js';

/** The columns of `uploads` that make an Attachment (the send path reads these with raw SQL). */
export type AttachmentColumns = Pick<
  Upload,
  | 'id'
  | 'kind'
  | 'mime'
  | 'fileName'
  | 'byteSize'
  | 'width'
  | 'height'
  | 'placeholder'
  | 'durationMs'
  | 'waveform'
  | 'playableMime'
>;

export const attachmentSelect = {
  id: true,
  kind: true,
  mime: true,
  fileName: true,
  byteSize: true,
  width: true,
  height: true,
  placeholder: true,
  durationMs: true,
  waveform: true,
  playableMime: true,
} as const satisfies Record<keyof AttachmentColumns, true>;

/** An upload row as messages carry it. `waveform` is stored as a JSON array of 0..1 peaks. */
export function toAttachment(row: AttachmentColumns): Attachment {
  return {
    id: row.id,
    kind: row.kind,
    mime: row.mime,
    fileName: row.fileName,
    byteSize: row.byteSize,
    width: row.width,
    height: row.height,
    placeholder: row.placeholder,
    durationMs: row.durationMs,
    waveform: row.waveform === null ? null : (JSON.parse(row.waveform) as number[]),
    playableMime: row.playableMime,
  };
}
