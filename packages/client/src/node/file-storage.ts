import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  copyRecord,
  type OutboxRecord,
  type OutboxRecordAttachment,
  type OutboxStorage,
} from '../storage.js';

/** A record as the file holds it: JSON, so an attachment's bytes are base64 instead of a Blob. */
type StoredRecord = Omit<OutboxRecord, 'attachment'> & {
  attachment?: (Omit<OutboxRecordAttachment, 'file'> & { fileBase64: string }) | null;
};

/** The file's whole content. */
interface StoredOutbox {
  records: StoredRecord[];
}

/**
 * Keeps the outbox in one JSON file, for Node clients (bots, tests) that must send what they had
 * queued after a crash or restart. One file belongs to one client at a time.
 *
 * - Crash-safe: the file is replaced whole through a temporary file beside it (written, flushed to the
 *   disk with fsync, renamed over the file, and the folder flushed so the rename lasts too), so a
 *   process killed or a machine losing power mid-write leaves the previous version, never half of one.
 *   A temporary file a crash left behind is never read; it is deleted when the file is first read.
 * - Cheap under bursts: changes apply to the records in memory at once, and the file is written by one
 *   write at a time; every change made while one is running is taken by the next, so a burst of N
 *   changes costs at most two writes, not N. `save` and `remove` resolve once a write holding their change is
 *   on the disk, and reject with that write's error.
 * - An attachment's bytes are kept in the same file as base64 (a third more than the file; uploads are
 *   at most UPLOAD_MAX_BYTES) until the message is acknowledged, encoded once however often the file
 *   is written.
 *
 * Why not an append-only log: the outbox holds only unacknowledged messages, so the file stays small
 * and short-lived, and a rewrite per burst costs little; a log would need compaction and the repair of
 * a torn last line for no gain that matters here.
 */
export class FileOutboxStorage implements OutboxStorage {
  /** The records, read from the file once (by the first call of any method). */
  private records: Promise<Map<string, OutboxRecord>> | null = null;
  /** The base64 of each attachment's bytes, made once per Blob. */
  private readonly encoded = new WeakMap<Blob, Promise<string>>();
  /** The write running, if any. */
  private running: Promise<void> | null = null;
  /** The write that starts after it, which takes every change made until it starts. */
  private waiting: Promise<void> | null = null;

  constructor(readonly path: string) {}

  async load(): Promise<OutboxRecord[]> {
    return [...(await this.read()).values()].map(copyRecord);
  }

  async save(record: OutboxRecord): Promise<void> {
    (await this.read()).set(record.clientMsgId, copyRecord(record));
    await this.flush();
  }

  async remove(clientMsgId: string): Promise<void> {
    if ((await this.read()).delete(clientMsgId)) await this.flush();
  }

  /**
   * The records in memory; one read of the file, shared by every caller, so changes apply in call
   * order. A read that failed is tried again by the next call.
   */
  private read(): Promise<Map<string, OutboxRecord>> {
    this.records ??= this.readFile().catch((error: unknown) => {
      this.records = null;
      throw error;
    });
    return this.records;
  }

  private async readFile(): Promise<Map<string, OutboxRecord>> {
    await removeTemporaryFiles(this.path);
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
    const { records } = JSON.parse(text) as StoredOutbox;
    return new Map(records.map((stored) => [stored.clientMsgId, this.fromStored(stored)]));
  }

  /** A write that will hold every change made so far: the one waiting to start, or a new one. */
  private flush(): Promise<void> {
    if (this.waiting) return this.waiting;
    const write: Promise<void> = (this.running ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        this.waiting = null;
        this.running = write;
        return this.write();
      })
      .finally(() => {
        if (this.running === write) this.running = null;
      });
    this.waiting = write;
    return write;
  }

  private async write(): Promise<void> {
    // The snapshot is taken as the write starts: changes made from now on wait for the next write.
    const records = [...(await this.read()).values()];
    const stored = await Promise.all(records.map((record) => this.toStored(record)));
    await replaceFile(this.path, JSON.stringify({ records: stored } satisfies StoredOutbox));
  }

  private async toStored({ attachment, ...record }: OutboxRecord): Promise<StoredRecord> {
    if (!attachment) return attachment === undefined ? record : { ...record, attachment: null };
    const { file, ...described } = attachment;
    return { ...record, attachment: { ...described, fileBase64: await this.base64Of(file) } };
  }

  private fromStored({ attachment, ...record }: StoredRecord): OutboxRecord {
    if (!attachment) return attachment === undefined ? record : { ...record, attachment: null };
    const { fileBase64, ...described } = attachment;
    const file = new Blob([Buffer.from(fileBase64, 'base64')], { type: described.mime });
    this.encoded.set(file, Promise.resolve(fileBase64));
    return { ...record, attachment: { ...described, file } };
  }

  private base64Of(file: Blob): Promise<string> {
    let base64 = this.encoded.get(file);
    if (!base64) {
      base64 = file.arrayBuffer().then(
        (bytes) => Buffer.from(bytes).toString('base64'),
        (error: unknown) => {
          this.encoded.delete(file);
          throw error;
        },
      );
      this.encoded.set(file, base64);
    }
    return base64;
  }
}

/**
 * Replaces the file at `path` with `content` so that a crash at any point leaves either the old file
 * or the new one: write a temporary file beside it, fsync it, rename it over the file, fsync the folder.
 */
async function replaceFile(path: string, content: string): Promise<void> {
  const folder = dirname(path);
  await mkdir(folder, { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(content);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    // A full disk, say: the file keeps its previous version, and the partial copy goes.
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncFolder(folder);
}

/**
 * Makes a rename in `folder` last through a power loss. Windows cannot open a folder for this; it is
 * skipped there.
 */
async function syncFolder(folder: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Deletes the temporary files of `path` (`<name>.<pid>.tmp`) that writes cut short by a crash left
 * behind.
 */
async function removeTemporaryFiles(path: string): Promise<void> {
  const name = basename(path);
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const left = names.filter(
    (entry) => entry.startsWith(`${name}.`) && /^\d+\.tmp$/.test(entry.slice(name.length + 1)),
  );
  await Promise.all(left.map((entry) => rm(join(dirname(path), entry), { force: true })));
}
