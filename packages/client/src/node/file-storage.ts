import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { OutboxRecord, OutboxStorage } from '../storage.js';

/**
 * Keeps the outbox in one JSON file, for Node clients (bots, tests) that must send what they had
 * queued after a crash or restart. Every change rewrites the file through a temporary file and a
 * rename, so a process killed mid-write leaves the previous version, never half of one. Writes are
 * serialised; one file belongs to one client at a time.
 */
export class FileOutboxStorage implements OutboxStorage {
  private records: Map<string, OutboxRecord> | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  async load(): Promise<OutboxRecord[]> {
    return [...(await this.read()).values()].map((record) => ({ ...record }));
  }

  async save(record: OutboxRecord): Promise<void> {
    (await this.read()).set(record.clientMsgId, { ...record });
    await this.flush();
  }

  async remove(clientMsgId: string): Promise<void> {
    if ((await this.read()).delete(clientMsgId)) await this.flush();
  }

  private async read(): Promise<Map<string, OutboxRecord>> {
    if (this.records) return this.records;
    let text: string | null = null;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const records = text ? (JSON.parse(text) as { records: OutboxRecord[] }).records : [];
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
