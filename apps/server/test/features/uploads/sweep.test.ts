import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGroup,
  okData,
  startSecondProcess,
  startTestServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';
import { fetchUpload, uploadFile } from '../../helpers/uploads.js';

/** Every blob file under the upload directory. */
async function blobFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(dir, 'blobs'), { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

describe('the unattached-upload sweep', () => {
  let t: TestServer;
  let alice: TestUser;
  let socket: ClientSocket;
  let conversationId: number;

  beforeAll(async () => {
    t = await startTestServer();
    alice = await t.signUp();
    const bob = await t.signUp();
    conversationId = (await createGroup(t, alice, [bob])).id;
    socket = await t.connectSocket(alice.cookie);
  });
  afterAll(async () => t.close());

  it('keeps uploads younger than the limit', async () => {
    const young = (await uploadFile(t, alice.cookie, 'file', 'young bytes', 'young.txt')).body.upload;
    expect(await t.server.uploads.sweep(60_000)).toBe(0);
    expect((await fetchUpload(t, alice.cookie, young.id)).status).toBe(200);
  });

  it('removes unattached uploads and their blobs, keeps attached ones and blobs they share', async () => {
    const attached = (await uploadFile(t, alice.cookie, 'file', 'shared bytes', 'kept.txt')).body.upload;
    const sameBytes = (await uploadFile(t, alice.cookie, 'file', 'shared bytes', 'copy.txt')).body.upload;
    const lonely = (await uploadFile(t, alice.cookie, 'file', 'lonely bytes', 'gone.txt')).body.upload;
    okData(
      await socket.emitWithAck('message:send', {
        conversationId,
        clientMsgId: randomUUID(),
        text: '',
        attachmentId: attached.id,
      }),
    );
    const before = await blobFiles(t.config.uploads.dir);

    // A negative age: everything unattached counts as older than the limit.
    expect(await t.server.uploads.sweep(-1_000)).toBeGreaterThanOrEqual(2);

    expect((await fetchUpload(t, alice.cookie, lonely.id)).status).toBe(404);
    expect((await fetchUpload(t, alice.cookie, sameBytes.id)).status).toBe(404);
    const kept = await fetchUpload(t, alice.cookie, attached.id);
    expect(kept.status).toBe(200);
    expect(kept.bytes.toString()).toBe('shared bytes');
    const after = await blobFiles(t.config.uploads.dir);
    expect(after.length).toBeLessThan(before.length);
    expect(after).toContain(kept.headers.get('etag')!.replaceAll('"', ''));
  });

  it('two processes sweeping at once remove each upload once and keep what is attached', async () => {
    const second = await startSecondProcess(t);
    try {
      const uploads = await Promise.all(
        Array.from({ length: 12 }, (_, index) =>
          uploadFile(t, alice.cookie, 'file', `bytes ${index % 4}`, `f${index}.txt`),
        ),
      );
      const attached = uploads[0]!.body.upload;
      okData(
        await socket.emitWithAck('message:send', {
          conversationId,
          clientMsgId: randomUUID(),
          text: '',
          attachmentId: attached.id,
        }),
      );
      const [first, other] = await Promise.all([
        t.server.uploads.sweep(-1_000, 3),
        second.server.uploads.sweep(-1_000, 3),
      ]);
      expect(first + other).toBe(11);
      const kept = await fetchUpload(t, alice.cookie, attached.id);
      expect(kept.bytes.toString()).toBe('bytes 0');
    } finally {
      await second.close();
    }
  });
});
