import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { OutboxRecord, OutboxRecordAttachment, OutboxStorage } from '../storage.js';

/** A record as the file holds it: JSON, so an attachment's bytes are base64 instead of a Blob. */
type StoredRecord = Omit<OutboxRecord, 'attachment'> & {
  attachment?: (Omit<OutboxRecordAttachment, 'file'> & { fileBase64: string }) | null;
};

async function toStored({ attachment, ...record }: OutboxRecord): Promise<StoredRecord> {
  if (!attachment) return attachment === undefined ? record : { ...record, attachment: null };
  const { file, ...described } = attachment;
  const fileBase64 = Buffer.from(await file.arrayBuffer()).toString('base64');
  return { ...record, attachment: { ...described, fileBase64 } };
}

function fromStored({ attachment, ...record }: StoredRecord): OutboxRecord {
  if (!attachment) return attachment === undefined ? record : { ...record, attachment: null };
  const { fileBase64, ...described } = attachment;
  const file = new Blob([Buffer.from(fileBase64, 'base64')], { type: described.mime });
  return { ...record, attachment: { ...described, file } };
}

/**
 * Keeps the outbox in one JSON file, for Node clients (bots, tests) that must send what they had
 * queued after a crash or restart. Every change rewrites the file through a temporary file and a
 * rename, so a process killed mid-write leaves the previous version, never half of one. Writes are
 * serialised; one file belongs to one client at a time. A message's attachment is kept in the same
 * file, its bytes as base64 (a third more than the file; uploads are at most UPLOAD_MAX_BYTES), until
 * the message is acknowledged.
 */
export class FileOutboxStorage implements OutboxStorage {
  private records: Map<string, StoredRecord> | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  async load(): Promise<OutboxRecord[]> {
    return [...(await this.read()).values()].map(fromStored);
  }

  async save(record: OutboxRecord): Promise<void> {
    const stored = await toStored(record);
    (await this.read()).set(record.clientMsgId, stored);
    await this.flush();
  }

  async remove(clientMsgId: string): Promise<void> {
    if ((await this.read()).delete(clientMsgId)) await this.flush();
  }

  private async read(): Promise<Map<string, StoredRecord>> {
    if (this.records) return this.records;
    let text: string | null = null;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const records = text ? (JSON.parse(text) as { records: StoredRecord[] }).records : [];
    this.records ??= new Map(records.map((record) => [record.clientMsgId, record]));
    return this.records;
  }

  private flush(): Promise<void> {
    const snapshot = JSON.stringify({ records: [...(this.records?.values() ?? [])] });
    this.writing = this.writing
      .catch(() => {})
      .then(async () => {
        await mkdir(dirname(this.path), { recursive: true });
        const temporary = `${this.path}.${process.pid}.tmp`;
        await writeFile(temporary, snapshot);
        await rename(temporary, this.path);
      });
    return this.writing;
  }
}
