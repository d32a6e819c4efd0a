import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** Bytes `start` to `end` of a blob, both inclusive (as in an HTTP Range, RFC 9110 §14.1.2). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where upload bytes live, by key. Features only speak to this interface, so an S3-compatible driver
 * (PUT the temporary file, then delete it; GET with a Range header) can replace the local disk
 * without touching them. Keys are the SHA-256 of the content in lower-case hex, so one key always
 * names the same bytes: writing a key again is harmless, and a reader never sees bytes change.
 */
export interface BlobStorage {
  /**
   * A new path on the local disk to write incoming bytes to before they are stored; the caller
   * removes it if it never calls `put` with it (`discard`).
   */
  temporaryPath(): Promise<string>;
  /**
   * Moves a finished local file into storage under `key`, atomically: readers see either nothing or
   * every byte (a rename within one filesystem; an S3 PUT is atomic too). The file at `sourcePath`
   * is gone afterwards.
   */
  put(key: string, sourcePath: string): Promise<void>;
  /** Removes a temporary file that was not stored (missing is fine). */
  discard(path: string): Promise<void>;
  /** The size in bytes of the blob under `key`, or null when there is none. */
  size(key: string): Promise<number | null>;
  /** Streams the blob, or the given range of it. The caller checked the range against `size`. */
  read(key: string, range?: ByteRange): Readable;
  /** Deletes the blob under `key`; a missing one is fine. */
  delete(key: string): Promise<void>;
  /**
   * Every stored blob with when it was last written, for the orphan sweep (S3: ListObjectsV2 and
   * LastModified). Blobs written while it runs may or may not be listed.
   */
  list(): AsyncIterable<{ key: string; modifiedAt: Date }>;
  /** Removes temporary files last written before `before` (left by a crash); returns how many. */
  removeTemporaryBefore(before: Date): Promise<number>;
}

const KEY = /^[0-9a-f]{64}$/;

function assertKey(key: string): void {
  // Keys come from our own hashes, never from a request; this keeps any other string off the disk.
  if (!KEY.test(key)) throw new Error(`not a blob key: ${JSON.stringify(key)}`);
}

/**
 * The local-disk driver: `<root>/blobs/ab/cd/<key>` (two levels of fan-out keep directories small),
 * temporary files in `<root>/tmp`, on the same filesystem so that `put` is a rename.
 */
export async function createLocalDiskStorage(root: string): Promise<BlobStorage> {
  const blobs = join(root, 'blobs');
  const temporary = join(root, 'tmp');
  await mkdir(blobs, { recursive: true });
  await mkdir(temporary, { recursive: true });
  const pathOf = (key: string) => {
    assertKey(key);
    return join(blobs, key.slice(0, 2), key.slice(2, 4), key);
  };

  return {
    async temporaryPath() {
      return join(temporary, `${Date.now()}-${randomBytes(8).toString('hex')}`);
    },
    async put(key, sourcePath) {
      const target = pathOf(key);
      await mkdir(join(target, '..'), { recursive: true });
      await rename(sourcePath, target);
    },
    async discard(path) {
      await rm(path, { force: true });
    },
    async size(key) {
      try {
        return (await stat(pathOf(key))).size;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    read(key, range) {
      return createReadStream(pathOf(key), range ? { start: range.start, end: range.end } : {});
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    async *list() {
      for (const entry of await readdir(blobs, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile() || !KEY.test(entry.name)) continue;
        const modifiedAt = await modifiedAtOf(join(entry.parentPath, entry.name));
        if (modifiedAt) yield { key: entry.name, modifiedAt };
      }
    },
    async removeTemporaryBefore(before) {
      let removed = 0;
      for (const name of await readdir(temporary)) {
        const path = join(temporary, name);
        const modifiedAt = await modifiedAtOf(path);
        if (modifiedAt && modifiedAt < before) {
          await rm(path, { force: true });
          removed += 1;
        }
      }
      return removed;
    },
  };
}

/** A file's last write time, or null when it is gone (removed since it was listed). */
async function modifiedAtOf(path: string): Promise<Date | null> {
  try {
    return (await stat(path)).mtime;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
