import { ErrorCode } from '@parley/shared';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { AppError } from '../../lib/app-error.js';
import type { ProcessedUpload, ReceivedFile, UploadProcessor } from './upload-pipeline.js';

/** The image formats Parley shows inline, by file-type's extension: the ones every browser decodes. */
const IMAGE_FORMATS = {
  jpg: { mime: 'image/jpeg', sharpFormat: 'jpeg' },
  png: { mime: 'image/png', sharpFormat: 'png' },
  webp: { mime: 'image/webp', sharpFormat: 'webp' },
  gif: { mime: 'image/gif', sharpFormat: 'gif' },
} as const;
type ImageExtension = keyof typeof IMAGE_FORMATS;

/** Longest side of a thumbnail, in pixels: twice the list's largest display size, for dense screens. */
export const THUMBNAIL_SIZE = 640;
/** Longest side of the blurred placeholder, in pixels; as a WebP data URL it is a few hundred bytes. */
const PLACEHOLDER_SIZE = 16;

export interface ImageProcessorOptions {
  /** Pixels (width × height, all frames of an animation) an image may declare at most. */
  maxPixels: number;
}

function isImageExtension(ext: string): ext is ImageExtension {
  return Object.hasOwn(IMAGE_FORMATS, ext);
}

/** sharp's and libvips' errors about bad input, as opposed to our own bugs. */
function unreadable(error: unknown): AppError {
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new AppError(ErrorCode.UploadUnreadable, `The image cannot be decoded (${detail})`);
}

/**
 * Images (OWASP File Upload Cheat Sheet: check the type by content, rewrite the file, limit its
 * size): the bytes must be JPEG, PNG, WebP or GIF (so HTML or SVG named .png is refused); the pixel
 * count the header declares is checked before any decoding (a decompression bomb is a small file
 * declaring a huge canvas); then the image is decoded once and re-encoded in its own format, which
 * drops EXIF, GPS and every other metadata block, with `rotate()` applying the EXIF orientation to
 * the pixels first; a WebP thumbnail and a tiny blurred placeholder come from the same decode.
 */
export function createImageProcessor({ maxPixels }: ImageProcessorOptions): UploadProcessor {
  return async (file: ReceivedFile, { temporaryPath }): Promise<ProcessedUpload> => {
    const ext = file.detected?.ext;
    if (ext === undefined || !isImageExtension(ext)) {
      throw new AppError(
        ErrorCode.UploadUnsupportedType,
        `An image must be JPEG, PNG, WebP or GIF; this file is ${file.detected?.mime ?? 'not a known image type'}`,
      );
    }
    const format = IMAGE_FORMATS[ext];
    const animated = ext === 'gif' || ext === 'webp';
    // metadata() reads the header only: nothing is decoded yet.
    let declared: Metadata;
    try {
      declared = await sharp(file.path, { animated, limitInputPixels: false }).metadata();
    } catch (error) {
      throw unreadable(error);
    }
    if (declared.format !== format.sharpFormat && !(ext === 'jpg' && declared.format === 'jpeg')) {
      throw new AppError(
        ErrorCode.UploadUnsupportedType,
        'The image does not decode as the type its bytes name',
      );
    }
    const pixels = (declared.width ?? 0) * (declared.height ?? 0);
    if (pixels <= 0) throw unreadable(new Error('no dimensions'));
    if (pixels > maxPixels) {
      // An animation's height is all its frames stacked: say what a person sees, one frame and how many.
      const frames = declared.pages ?? 1;
      const size =
        frames > 1 && declared.pageHeight
          ? `${declared.width}×${declared.pageHeight} pixels in ${frames} frames`
          : `${declared.width}×${declared.height} pixels`;
      throw new AppError(
        ErrorCode.UploadTooManyPixels,
        `The image is ${size}; at most ${maxPixels.toLocaleString('en')} pixels are accepted`,
      );
    }

    // failOn 'error': a truncated or corrupt image is refused rather than stored half grey.
    const decoded = sharp(file.path, { animated, limitInputPixels: maxPixels, failOn: 'error' });
    const oriented: Sharp = animated ? decoded : decoded.rotate();
    const contentPath = await temporaryPath();
    const thumbnailPath = await temporaryPath();
    try {
      const [content] = await Promise.all([
        encode(oriented.clone(), ext).toFile(contentPath),
        oriented
          .clone()
          .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
          .webp({ quality: 75 })
          .toFile(thumbnailPath),
      ]);
      const placeholder = await sharp(thumbnailPath)
        .resize(PLACEHOLDER_SIZE, PLACEHOLDER_SIZE, { fit: 'inside' })
        .blur(1)
        .webp({ quality: 40 })
        .toBuffer();
      // An animation's height is every frame's together; the displayed height is one frame's.
      const frameHeight = animated && (declared.pages ?? 1) > 1 ? declared.pageHeight : undefined;
      return {
        content: { path: contentPath, mime: format.mime },
        thumbnail: { path: thumbnailPath, mime: 'image/webp' },
        width: content.width,
        height: frameHeight ?? content.height,
        placeholder: `data:image/webp;base64,${placeholder.toString('base64')}`,
      };
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw unreadable(error);
    }
  };
}

function encode(image: Sharp, ext: ImageExtension): Sharp {
  switch (ext) {
    case 'jpg':
      return image.jpeg({ quality: 85 });
    case 'png':
      return image.png();
    case 'webp':
      return image.webp({ quality: 85 });
    case 'gif':
      return image.gif();
  }
}
