import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorCode, type Attachment, type UploadKind, type UploadVariant } from '@parley/shared';
import { fileTypeFromFile } from 'file-type';
import { AppError } from '../../lib/app-error.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { BlobStorage } from './blob-storage.js';
import { cleanFileName } from './file-names.js';
import { toAttachment } from './upload-dto.js';
import type { ProcessedUpload, ReceivedFile, UploadProcessors } from './upload-pipeline.js';
import type { PendingBlob, UploadsRepository } from './uploads.repository.js';

export interface UploadsServiceDeps {
  repository: UploadsRepository;
  storage: BlobStorage;
  /** One per accepted kind (upload-pipeline.ts). */
  processors: UploadProcessors;
  conversations: Pick<ConversationsService, 'memberConversationIds'>;
  /** Runs each processing step when a slot is free (upload-gate.ts); unbounded when absent. */
  processingSlot?: <T>(work: () => Promise<T>) => Promise<T>;
  clock?: () => Date;
}

/** What GET /api/uploads/:id/:variant serves, once the caller may see it. */
export interface ServableBlob {
  key: string;
  mime: string;
  kind: UploadKind;
  fileName: string;
}

/** An upload id: 128 random bits as 22 base64url characters (uploadIdSchema). */
function newUploadId(): string {
  return randomBytes(16).toString('base64url');
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export type UploadsService = ReturnType<typeof createUploadsService>;

export function createUploadsService({
  repository,
  storage,
  processors,
  conversations,
  processingSlot = (work) => work(),
  clock = () => new Date(),
}: UploadsServiceDeps) {
  /** Every local file a processing step made or received, removed whatever happens. */
  async function discardAll(paths: Iterable<string>): Promise<void> {
    await Promise.all([...new Set(paths)].map((path) => storage.discard(path)));
  }

  return {
    /**
     * Writes an incoming stream to a local temporary file. `truncated()` says, once the stream has
     * ended, whether the multipart parser cut it at the size limit (then: 413 `request/too_large`,
     * naming the limit). The caller passes the result to `accept` or `discard`.
     */
    async receive(
      stream: Readable,
      rawFileName: string | undefined,
      { truncated, maxBytes }: { truncated: () => boolean; maxBytes: number },
    ): Promise<ReceivedFile> {
      const path = await storage.temporaryPath();
      let byteSize = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          byteSize += chunk.length;
          done(null, chunk);
        },
      });
      try {
        await pipeline(stream, counter, createWriteStream(path, { flags: 'wx' }));
        if (truncated()) {
          throw new AppError(
            ErrorCode.PayloadTooLarge,
            `The file is larger than the ${formatMegabytes(maxBytes)} limit`,
          );
        }
        if (byteSize === 0) throw new AppError(ErrorCode.UploadEmpty, 'The file is empty');
        return {
          path,
          byteSize,
          fileName: cleanFileName(rawFileName, 'file'),
          detected: await fileTypeFromFile(path),
        };
      } catch (error) {
        await storage.discard(path);
        throw error;
      }
    },

    discard(file: ReceivedFile): Promise<void> {
      return storage.discard(file.path);
    },

    /**
     * Checks and processes a received file for `kind` (upload-pipeline.ts), stores its blobs under
     * their content hash and records the upload as the uploader's, unattached. The received file is
     * gone afterwards, stored or not.
     */
    async accept(uploaderId: number, kind: UploadKind, file: ReceivedFile): Promise<Attachment> {
      const made = new Set<string>([file.path]);
      try {
        const processor = processors[kind];
        if (!processor) {
          throw new AppError(
            ErrorCode.UploadUnsupportedType,
            `This server does not accept ${kind} uploads yet`,
          );
        }
        const processed: ProcessedUpload = await processingSlot(() =>
          processor(file, {
            temporaryPath: async () => {
              const path = await storage.temporaryPath();
              made.add(path);
              return path;
            },
          }),
        );
        const blobs: PendingBlob[] = [];
        const keyOf = async (produced: { path: string } | undefined) => {
          if (!produced) return null;
          const key = await sha256OfFile(produced.path);
          blobs.push({ key, path: produced.path });
          return key;
        };
        const contentKey = (await keyOf(processed.content))!;
        const thumbnailKey = await keyOf(processed.thumbnail);
        const playableKey = await keyOf(processed.playable);
        const byteSize =
          processed.content.path === file.path ? file.byteSize : await sizeOf(processed.content.path);
        const row = await repository.create(
          {
            id: newUploadId(),
            uploaderId,
            kind,
            mime: processed.content.mime,
            fileName: file.fileName,
            byteSize,
            contentKey,
            thumbnailKey,
            width: processed.width ?? null,
            height: processed.height ?? null,
            placeholder: processed.placeholder ?? null,
            durationMs: processed.durationMs ?? null,
            waveform: processed.waveform ? JSON.stringify(processed.waveform) : null,
            playableKey,
            playableMime: processed.playable?.mime ?? null,
          },
          blobs,
        );
        return toAttachment(row);
      } finally {
        // Stored files were moved away; discarding them again is harmless.
        await discardAll(made);
      }
    },

    /**
     * The blob behind one variant of an upload, for `userId`. Its uploader may fetch it before it is
     * attached (a preview); once attached, every member of its message's conversation may.
     * Unknown, removed, or on a deleted message: `upload/not_found`; someone else's unattached upload,
     * or a conversation the caller is not in: `upload/forbidden`.
     */
    async servable(userId: number, id: string, variant: UploadVariant): Promise<ServableBlob> {
      const upload = await repository.findWithMessage(id);
      const notFound = () => new AppError(ErrorCode.UploadNotFound, 'No such file');
      if (!upload || upload.message?.deletedAt) throw notFound();
      if (upload.message) {
        const member = await conversations.memberConversationIds(userId, [upload.message.conversationId]);
        if (member.length === 0) {
          throw new AppError(ErrorCode.UploadForbidden, 'This file belongs to a conversation you are not in');
        }
      } else if (upload.uploaderId !== userId) {
        throw new AppError(ErrorCode.UploadForbidden, 'This file is not yours');
      }
      const choice =
        variant === 'content'
          ? { key: upload.contentKey, mime: upload.mime }
          : variant === 'thumbnail'
            ? { key: upload.thumbnailKey, mime: 'image/webp' }
            : { key: upload.playableKey, mime: upload.playableMime };
      if (choice.key === null || choice.mime === null) throw notFound();
      return { key: choice.key, mime: choice.mime, kind: upload.kind, fileName: upload.fileName };
    },

    /** Removes uploads never attached within `ttlMs` (a batch at a time) and their unshared blobs. */
    async sweep(ttlMs: number, batch = 100): Promise<number> {
      const before = new Date(clock().getTime() - ttlMs);
      let removed = 0;
      for (;;) {
        const count = await repository.sweep(before, batch);
        removed += count;
        if (count < batch) return removed;
      }
    },

    /**
     * Deletes blobs no upload refers to that were last written more than `graceMs` ago (a process
     * killed between storing a blob and committing its upload leaves one); each under its
     * `upload_blobs` lock (uploads.repository.ts), so a blob shared by content hash, or being stored
     * again right now, is kept. Returns how many were deleted.
     */
    async sweepOrphanBlobs(graceMs: number): Promise<number> {
      const before = new Date(clock().getTime() - graceMs);
      let deleted = 0;
      for await (const { key, modifiedAt } of storage.list()) {
        if (modifiedAt < before && (await repository.deleteOrphan(key))) deleted += 1;
      }
      return deleted;
    },

    /** Removes temporary files older than `graceMs` (a crash mid-upload leaves them); returns how many. */
    sweepTemporaryFiles(graceMs: number): Promise<number> {
      return storage.removeTemporaryBefore(new Date(clock().getTime() - graceMs));
    },
  };
}

async function sizeOf(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** "10 MB" for 10 MiB: the unit people read, to one decimal where needed. */
export function formatMegabytes(bytes: number): string {
  const megabytes = bytes / (1024 * 1024);
  return `${Number.isInteger(megabytes) ? megabytes : megabytes.toFixed(1)} MB`;
}
