import { mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileOutboxStorage } from '../src/node/file-storage.js';
import type { OutboxRecord } from '../src/storage.js';

// The file's replacements are counted (and one made to fail) through rename, which does them.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, rename: vi.fn(actual.rename) };
});

const record = (clientMsgId: string, order: number): OutboxRecord => ({
  clientMsgId,
  conversationId: 1,
  text: `text ${order}`,
  replyToId: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  order,
  state: 'pending',
  errorCode: null,
});

const withFile = (clientMsgId: string, order: number, bytes: Uint8Array): OutboxRecord => ({
  ...record(clientMsgId, order),
  attachment: {
    kind: 'file',
    fileName: 'notes.bin',
    mime: 'application/octet-stream',
    byteSize: bytes.length,
    file: new Blob([bytes], { type: 'application/octet-stream' }),
    uploaded: null,
  },
});

/** The client message ids the file holds now, as a new process would read them. */
async function idsInFile(path: string): Promise<string[]> {
  const { records } = JSON.parse(await readFile(path, 'utf8')) as { records: OutboxRecord[] };
  return records.map((stored) => stored.clientMsgId).sort();
}

describe('the file outbox storage', () => {
  let directory: string | null = null;
  afterEach(async () => {
    vi.mocked(rename).mockClear();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('gives a new instance on the same file what the previous one saved and did not remove', async () => {
    directory = await mkdtemp(join(tmpdir(), 'parley-outbox-'));
    const path = join(directory, 'nested', 'outbox.json');
    const first = new FileOutboxStorage(path);
    expect(await first.load()).toEqual([]);
    await Promise.all([first.save(record('a', 1)), first.save(record('b', 2)), first.save(record('c', 3))]);
    await first.remove('b');
    await first.save({ ...record('c', 3), state: 'failed', errorCode: 'message/not_found' });

    const second = new FileOutboxStorage(path);
    const loaded = (await second.load()).sort((x, y) => x.order - y.order);
    expect(loaded).toEqual([
      record('a', 1),
      { ...record('c', 3), state: 'failed', errorCode: 'message/not_found' },
    ]);
  });

  it('keeps an attachment’s bytes (as base64 in the file) and gives them back as a Blob', async () => {
    directory = await mkdtemp(join(tmpdir(), 'parley-outbox-'));
    const path = join(directory, 'outbox.json');
    const bytes = new Uint8Array([0, 255, 1, 254, 2]);
    await new FileOutboxStorage(path).save(withFile('f', 1, bytes));
    const [loaded] = await new FileOutboxStorage(path).load();
    expect(loaded?.attachment).toMatchObject({ fileName: 'notes.bin', byteSize: 5, uploaded: null });
    expect(loaded?.attachment?.file.type).toBe('application/octet-stream');
    expect([...new Uint8Array(await loaded!.attachment!.file.arrayBuffer())]).toEqual([...bytes]);
  });

  it('ignores a torn temporary file a crash left behind, and deletes it', async () => {
    directory = await mkdtemp(join(tmpdir(), 'parley-outbox-'));
    const path = join(directory, 'outbox.json');
    await new FileOutboxStorage(path).save(record('a', 1));
    // A process killed halfway through writing its next version.
    const torn = `${path}.4242.tmp`;
    await writeFile(torn, '{"records":[{"clientMsgId":"a","conversationId":1,"te');

    const restarted = new FileOutboxStorage(path);
    expect(await restarted.load()).toEqual([record('a', 1)]);
    expect(await readdir(directory)).toEqual(['outbox.json']);
    await restarted.save(record('b', 2));
    expect(await idsInFile(path)).toEqual(['a', 'b']);
  });

  it('writes a burst of changes in at most two writes, each resolving once its change is in the file', async () => {
    directory = await mkdtemp(join(tmpdir(), 'parley-outbox-'));
    const path = join(directory, 'outbox.json');
    const storage = new FileOutboxStorage(path);
    const ids = Array.from({ length: 50 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    await Promise.all(
      ids.map(async (id, i) => {
        await storage.save(record(id, i));
        expect(await idsInFile(path)).toContain(id);
      }),
    );
    expect(vi.mocked(rename).mock.calls.length).toBeLessThanOrEqual(2);
    expect(await idsInFile(path)).toEqual(ids);
  });

  it('applies changes in the order they were asked for, even before the file has been read', async () => {
    directory = await mkdtemp(join(tmpdir(), 'parley-outbox-'));
    const path = join(directory, 'outbox.json');
    const storage = new FileOutboxStorage(path);
    // Saved with a file (its bytes are encoded on the way) and removed at once.
    await Promise.all([storage.save(withFile('a', 1, new Uint8Array(1_000))), storage.remove('a')]);
    await storage.save(record('b', 2));
    expect(await new FileOutboxStorage(path).load()).toEqual([record('b', 2)]);
  });

  it('rejects the changes of a write that failed, and writes them with the next one', async () => {
    directory = await mkdtemp(join(tmpdir(), 'parley-outbox-'));
    const path = join(directory, 'outbox.json');
    const storage = new FileOutboxStorage(path);
    vi.mocked(rename).mockRejectedValueOnce(Object.assign(new Error('no space left'), { code: 'ENOSPC' }));
    await expect(storage.save(record('a', 1))).rejects.toThrow('no space left');
    await storage.save(record('b', 2));
    expect(await idsInFile(path)).toEqual(['a', 'b']);
  });
});
