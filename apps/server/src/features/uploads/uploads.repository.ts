import { Prisma, type PrismaClient, type Upload } from '../../generated/prisma/client.js';
import type { BlobStorage } from './blob-storage.js';
import { LOCK_THEN_READ_COMMITTED } from '../../plugins/prisma.js';

/** A new upload row, its blobs already written to local temporary files. */
export type NewUpload = Omit<Upload, 'createdAt' | 'attachedAt'>;

/** A blob to store: its key (the content's SHA-256) and the local file holding its bytes. */
export interface PendingBlob {
  key: string;
  path: string;
}

/** An upload with what access to it depends on: its message's conversation, if attached. */
export type UploadWithMessage = Upload & {
  message: { conversationId: number; deletedAt: Date | null } | null;
};

/**
 * Deletes the upload rows `ids` in the caller's transaction: how attached uploads go, with their
 * message (messages.repository.ts, a message deleted) or their conversation (admin/groups.service.ts,
 * a group deleted). Nothing may refer to them any more: their messages are deleted or their attachment
 * disconnected first (`messages.attachmentId` is ON DELETE RESTRICT). Their bytes are left to the
 * orphan-blob sweep (upload-sweeper.ts), which deletes a blob only when no upload refers to it, so a
 * blob another upload shares by content is kept. Returns how many rows were deleted.
 */
export async function deleteUploadRows(
  tx: Prisma.TransactionClient,
  ids: readonly string[],
): Promise<number> {
  if (ids.length === 0) return 0;
  const { count } = await tx.upload.deleteMany({ where: { id: { in: [...ids] } } });
  return count;
}

export type UploadsRepository = ReturnType<typeof createUploadsRepository>;

export function createUploadsRepository(prisma: PrismaClient, storage: BlobStorage) {
  const repository = {
    /**
     * Stores the blobs and the row in one transaction: each blob's `upload_blobs` row is locked (made
     * if new) in key order, the files are moved into storage, then the upload is inserted. The sweep
     * takes the same row lock before it deletes a blob, so a blob is never deleted from under an
     * upload that shares it (two uploads of the same bytes share one blob).
     */
    async create(row: NewUpload, blobs: PendingBlob[]): Promise<Upload> {
      const byKey = new Map(blobs.map((blob) => [blob.key, blob]));
      const keys = [...byKey.keys()].sort();
      return prisma.$transaction(async (tx) => {
        await tx.$executeRaw`INSERT INTO upload_blobs (storageKey) VALUES ${Prisma.join(
          keys.map((key) => Prisma.sql`(${key})`),
        )} ON DUPLICATE KEY UPDATE storageKey = storageKey`;
        for (const key of keys) await storage.put(key, byKey.get(key)!.path);
        return tx.upload.create({ data: row });
      });
    },

    findWithMessage(id: string): Promise<UploadWithMessage | null> {
      return prisma.upload.findUnique({
        where: { id },
        include: { message: { select: { conversationId: true, deletedAt: true } } },
      });
    },

    /**
     * Removes up to `limit` uploads made before `before` and never attached, then each blob no
     * remaining upload refers to. Safe with several processes sweeping at once: the rows are taken
     * with `FOR UPDATE SKIP LOCKED` (a send attaching one holds its lock, and `attachedAt` is read
     * under it), and each blob is deleted only under its `upload_blobs` row lock after counting its
     * references. Returns how many uploads were removed.
     */
    async sweep(before: Date, limit: number): Promise<number> {
      const expired = await prisma.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<
          Array<Pick<Upload, 'id' | 'contentKey' | 'thumbnailKey' | 'playableKey'>>
        >`SELECT id, contentKey, thumbnailKey, playableKey FROM uploads
           WHERE attachedAt IS NULL AND createdAt < ${before}
           ORDER BY createdAt LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
        if (rows.length > 0) {
          await tx.$executeRaw`DELETE FROM uploads WHERE id IN (${Prisma.join(rows.map((row) => row.id))})`;
        }
        return rows;
      });
      const keys = [
        ...new Set(expired.flatMap((row) => [row.contentKey, row.thumbnailKey, row.playableKey])),
      ].filter((key): key is string => key !== null);
      for (const key of keys.sort()) await deleteIfUnreferenced(key, false);
      return expired.length;
    },

    /**
     * Deletes the blob under `key` if no upload refers to it, whether or not it has an `upload_blobs`
     * row (a process killed between moving a blob into storage and committing its upload leaves a
     * file with neither). The row is made if missing, which takes the lock `create` takes, so an
     * upload being stored with these bytes either committed first (and is counted) or waits and
     * writes the blob again. Returns whether the blob was deleted.
     */
    deleteOrphan(key: string): Promise<boolean> {
      return deleteIfUnreferenced(key, true);
    },
  };
  return repository;

  /** Under the blob's row lock (made when `lockMissing`), counts references and deletes if none. */
  async function deleteIfUnreferenced(key: string, lockMissing: boolean): Promise<boolean> {
    return prisma.$transaction(async (tx) => {
      if (lockMissing) {
        await tx.$executeRaw`INSERT INTO upload_blobs (storageKey) VALUES (${key})
           ON DUPLICATE KEY UPDATE storageKey = storageKey`;
      } else {
        const locked = await tx.$queryRaw<unknown[]>`SELECT storageKey FROM upload_blobs
           WHERE storageKey = ${key} FOR UPDATE`;
        if (locked.length === 0) return false;
      }
      const [{ references }] = await tx.$queryRaw<[{ references: bigint | number }]>`
        SELECT COUNT(*) AS \`references\` FROM uploads
         WHERE contentKey = ${key} OR thumbnailKey = ${key} OR playableKey = ${key}`;
      if (Number(references) > 0) return false;
      await storage.delete(key);
      await tx.$executeRaw`DELETE FROM upload_blobs WHERE storageKey = ${key}`;
      return true;
    }, LOCK_THEN_READ_COMMITTED);
  }
}
