import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '@parley/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryOutboxStorage, type OutboxEntry, type OutboxRecord } from '@parley/client';
import { useFaultScenario } from '../helpers/fault-scenario.js';
import type { TestUser } from '../helpers/server.js';
import { rowsFor } from '../helpers/stored-messages.js';
import type { TestClient } from '../helpers/test-client.js';
import { smallImage } from '../helpers/uploads.js';

/** Storage that stops writing once frozen: what a crash at that moment leaves behind. */
class CrashingStorage extends MemoryOutboxStorage {
  frozen = false;
  override async save(record: OutboxRecord): Promise<void> {
    if (!this.frozen) await super.save(record);
  }
  override async remove(clientMsgId: string): Promise<void> {
    if (!this.frozen) await super.remove(clientMsgId);
  }
}

/** Resolves with the entry the first time `test` holds for one of its `outbox` events. */
function outboxEvent(client: TestClient, test: (entry: OutboxEntry) => boolean): Promise<OutboxEntry> {
  return new Promise((resolve) => {
    const off = client.client.on('outbox', (entry) => {
      if (!test(entry)) return;
      off();
      resolve(entry);
    });
  });
}

/** Resolves once `client` holds a message with this clientMsgId (live or caught up). */
function arrival(client: TestClient, clientMsgId: string) {
  return new Promise<void>((resolve) => {
    const check = () => client.received.some((copy) => copy.message.clientMsgId === clientMsgId);
    if (check()) return resolve();
    const off = client.client.on('message:added', () => {
      if (!check()) return;
      off();
      resolve();
    });
  });
}

describe('sending files through the outbox against a real server', () => {
  let uploadDir = '';
  const scenario = useFaultScenario({
    server: async (database) => {
      uploadDir = await mkdtemp(join(tmpdir(), 'parley-client-uploads-'));
      return { databaseUrl: database.url, env: { UPLOAD_DIR: uploadDir } };
    },
    cleanup: () => rm(uploadDir, { recursive: true, force: true }),
  });
  let alice: TestUser;
  let bob: TestUser;
  let conversationId: number;
  let png: Blob;

  beforeAll(async () => {
    [alice, bob] = [await scenario.server.signUp(), await scenario.server.signUp()];
    conversationId = await scenario.server.createGroup(alice, [bob]);
    png = new Blob([await smallImage('png', 64, 40)], { type: 'image/png' });
  });

  const connect = (user: TestUser, name: string, storage?: MemoryOutboxStorage) =>
    scenario.connect({
      cookie: user.cookie,
      conversationIds: [conversationId],
      name,
      ...(storage ? { storage } : {}),
    });

  it('uploads an image, then sends its message; another member gets it with the attachment and caption', async () => {
    const [aliceClient, bobClient] = [await connect(alice, 'alice'), await connect(bob, 'bob')];
    const entry = aliceClient.client.send(conversationId, 'the view', {
      attachment: { kind: 'image', file: png, fileName: 'view.png' },
    });
    expect(entry.state).toBe('pending');
    expect(entry.attachment).toMatchObject({
      kind: 'image',
      fileName: 'view.png',
      mime: 'image/png',
      byteSize: png.size,
    });
    await aliceClient.whenOutboxSettled();
    expect(entry.state).toBe('sent');
    const uploaded = entry.attachment!.uploaded!;
    expect(uploaded).toMatchObject({ kind: 'image', fileName: 'view.png', width: 64, height: 40 });
    expect(entry.message!.attachment).toEqual(uploaded);

    await arrival(bobClient, entry.clientMsgId);
    const received = bobClient.messagesOf(conversationId).find((m) => m.clientMsgId === entry.clientMsgId)!;
    expect(received.text).toBe('the view');
    expect(received.attachment?.id).toBe(uploaded.id);
  });

  it('reports the upload as it goes: uploading with progress, then sending, then sent', async () => {
    const aliceClient = await connect(alice, 'alice');
    const seen: string[] = [];
    aliceClient.client.on('outbox', (entry) => {
      const progress = entry.attachment?.progress;
      seen.push(progress ? `${entry.state} ${progress.loaded}/${progress.total}` : entry.state);
    });
    const entry = aliceClient.client.send(conversationId, '', {
      attachment: { kind: 'image', file: png, fileName: 'progress.png' },
    });
    await aliceClient.whenOutboxSettled();
    expect(entry.state).toBe('sent');
    const size = png.size;
    // The fetch driver can tell only the start and the end (a browser's XMLHttpRequest tells more).
    expect(seen).toEqual([
      'pending',
      `uploading 0/${size}`,
      `uploading ${size}/${size}`,
      'pending',
      'sending',
      'sent',
    ]);
  });

  it('a message discarded while its file uploads is never sent; the next one is', async () => {
    const [aliceClient, bobClient] = [await connect(alice, 'alice'), await connect(bob, 'bob')];
    const big = new Blob([new Uint8Array(3 * 1024 * 1024).fill(7)], { type: 'application/octet-stream' });
    const uploading = outboxEvent(aliceClient, (entry) => entry.state === 'uploading');
    const cancelled = aliceClient.client.send(conversationId, 'never', {
      attachment: { kind: 'file', file: big, fileName: 'big.bin' },
    });
    const barrier = aliceClient.client.send(conversationId, 'after the cancelled one');
    await uploading;
    expect(aliceClient.client.outbox.discard(cancelled.clientMsgId)).toBe(true);
    await aliceClient.whenOutboxSettled();
    expect(barrier.state).toBe('sent');
    await arrival(bobClient, barrier.clientMsgId);
    expect(bobClient.received.map((copy) => copy.message.clientMsgId)).not.toContain(cancelled.clientMsgId);
    expect(await rowsFor(scenario.database.url, alice.id, cancelled.clientMsgId)).toHaveLength(0);
    expect(aliceClient.client.outbox.get(cancelled.clientMsgId)).toBeUndefined();
  });

  it('fails the message with the stable code when the server refuses the file (HTML named .png)', async () => {
    const aliceClient = await connect(alice, 'alice');
    const html = new Blob(['<!doctype html><script>alert(1)</script>'], { type: 'image/png' });
    const refused = aliceClient.client.send(conversationId, 'not an image', {
      attachment: { kind: 'image', file: html, fileName: 'evil.png' },
    });
    const next = aliceClient.client.send(conversationId, 'still sent');
    await aliceClient.whenOutboxSettled();
    expect(refused.state).toBe('failed');
    expect(refused.error?.code).toBe(ErrorCode.UploadUnsupportedType);
    expect(refused.attachment?.uploaded).toBeNull();
    expect(next.state).toBe('sent');
    // Retried as is, it is refused again; discarded, it is gone.
    aliceClient.client.outbox.retry(refused.clientMsgId);
    await aliceClient.whenOutboxSettled();
    expect(refused.error?.code).toBe(ErrorCode.UploadUnsupportedType);
    expect(aliceClient.client.outbox.discard(refused.clientMsgId)).toBe(true);
  });

  it('keeps the order written: a text sent right after an image arrives after it', async () => {
    const [aliceClient, bobClient] = [await connect(alice, 'alice'), await connect(bob, 'bob')];
    const image = aliceClient.client.send(conversationId, 'first, the picture', {
      attachment: { kind: 'image', file: png, fileName: 'first.png' },
    });
    const text = aliceClient.client.send(conversationId, 'then the words');
    await aliceClient.whenOutboxSettled();
    expect(image.message!.seq).toBeLessThan(text.message!.seq);
    await arrival(bobClient, text.clientMsgId);
    const order = bobClient.messagesOf(conversationId).map((m) => m.clientMsgId);
    expect(order.indexOf(image.clientMsgId)).toBeLessThan(order.indexOf(text.clientMsgId));
  });

  it('a restart in the middle of the upload uploads again and delivers the message once', async () => {
    const storage = new CrashingStorage();
    const first = await connect(alice, 'alice-before', storage);
    const uploading = outboxEvent(first, (entry) => entry.state === 'uploading');
    const entry = first.client.send(conversationId, 'survives a crash', {
      attachment: { kind: 'image', file: png, fileName: 'crash.png' },
    });
    await first.client.outbox.whenSaved(entry.clientMsgId);
    await uploading;
    // The process dies mid-upload: storage keeps what it had.
    storage.frozen = true;
    first.close();
    storage.frozen = false;

    const bobClient = await connect(bob, 'bob');
    const second = await connect(alice, 'alice-after', storage);
    await second.whenOutboxSettled();
    const [resent] = second.outbox;
    expect(resent?.clientMsgId).toBe(entry.clientMsgId);
    expect(resent?.state).toBe('sent');
    await arrival(bobClient, entry.clientMsgId);
    expect(await rowsFor(scenario.database.url, alice.id, entry.clientMsgId)).toHaveLength(1);
    expect(bobClient.received.filter((copy) => copy.message.clientMsgId === entry.clientMsgId)).toHaveLength(
      1,
    );
    expect(await storage.load()).toEqual([]);
  });

  it('a restart after the message was stored but before its acknowledgement was kept sends it once', async () => {
    const storage = new CrashingStorage();
    const first = await connect(alice, 'alice-before', storage);
    // Acknowledged, but the process dies before it forgets the saved record (frozen as it is told).
    const sent = outboxEvent(first, (entry) => {
      if (entry.state === 'sent') storage.frozen = true;
      return entry.state === 'sent';
    });
    const entry = first.client.send(conversationId, 'stored once', {
      attachment: { kind: 'image', file: png, fileName: 'once.png' },
    });
    await sent;
    first.close();
    const saved = await storage.load();
    expect(saved.map((record) => record.attachment?.uploaded?.id)).toEqual([entry.attachment!.uploaded!.id]);
    storage.frozen = false;

    // The same clientMsgId with the upload it already carries: the server answers with the stored message.
    const second = await connect(alice, 'alice-after', storage);
    await second.whenOutboxSettled();
    const [resent] = second.outbox;
    expect(resent?.state).toBe('sent');
    expect(resent?.error).toBeNull();
    expect(resent?.message?.id).toBe(entry.message!.id);
    expect(await rowsFor(scenario.database.url, alice.id, entry.clientMsgId)).toHaveLength(1);
  });
});
