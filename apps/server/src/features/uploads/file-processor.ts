import { ErrorCode } from '@parley/shared';
import { AppError } from '../../lib/app-error.js';
import type { UploadProcessor } from './upload-pipeline.js';

/**
 * Types a browser would run as a document or script if it ever rendered one (HTML, SVG, XML, XHTML,
 * JavaScript). A file the bytes say is one of these is stored and served as plain bytes.
 */
const ACTIVE_CONTENT =
  /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|(application|text)\/xml|(application|text)\/javascript)\b/;

/** What any file is served as when its bytes name no type, or name one a browser might run. */
export const OPAQUE_MIME = 'application/octet-stream';

/**
 * Files (PDF, archives, text, anything): stored as received, served only as a download. Their type
 * is the one their bytes name (file-type), so a PDF is `application/pdf`; text, HTML, SVG and
 * whatever file-type does not know is `application/octet-stream`.
 */
export const fileProcessor: UploadProcessor = async (file) => {
  if (file.byteSize === 0) throw new AppError(ErrorCode.UploadEmpty, 'The file is empty');
  const mime = file.detected && !ACTIVE_CONTENT.test(file.detected.mime) ? file.detected.mime : OPAQUE_MIME;
  return { content: { path: file.path, mime } };
};
