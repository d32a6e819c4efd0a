import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileOutboxStorage } from '../src/node/file-storage.js';
import type { OutboxRecord } from '../src/storage.js';

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

describe('the file outbox storage', () => {
  let directory: string | null = null;
  afterEach(async () => {
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
    await new FileOutboxStorage(path).save({
      ...record('f', 1),
      attachment: {
        kind: 'file',
        fileName: 'notes.bin',
        mime: 'application/octet-stream',
        byteSize: bytes.length,
        file: new Blob([bytes], { type: 'application/octet-stream' }),
        uploaded: null,
      },
    });
    const [loaded] = await new FileOutboxStorage(path).load();
    expect(loaded?.attachment).toMatchObject({ fileName: 'notes.bin', byteSize: 5, uploaded: null });
    expect(loaded?.attachment?.file.type).toBe('application/octet-stream');
    expect([...new Uint8Array(await loaded!.attachment!.file.arrayBuffer())]).toEqual([...bytes]);
  });
});
