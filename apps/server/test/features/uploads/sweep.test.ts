import { randomUUID } from 'node:crypto';
import { createHash } from 'node:crypto';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGroup,
  okData,
  queryDatabase,
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
  /** Alice sends a message carrying `attachmentId` (into her group unless `into` names another) and gets it back. */
  const sendAttachment = async (attachmentId: string, into = conversationId) =>
    okData(
      await socket.emitWithAck('message:send', {
        conversationId: into,
        clientMsgId: randomUUID(),
        text: '',
        attachmentId,
      }),
    );

  it('keeps uploads younger than the limit', async () => {
    const young = (await uploadFile(t, alice.cookie, 'file', 'young bytes', 'young.txt')).body.upload;
    expect(await t.server.uploads.sweep(60_000)).toBe(0);
    expect((await fetchUpload(t, alice.cookie, young.id)).status).toBe(200);
  });

  it('removes unattached uploads and their blobs, keeps attached ones and blobs they share', async () => {
    const attached = (await uploadFile(t, alice.cookie, 'file', 'shared bytes', 'kept.txt')).body.upload;
    const sameBytes = (await uploadFile(t, alice.cookie, 'file', 'shared bytes', 'copy.txt')).body.upload;
    const lonely = (await uploadFile(t, alice.cookie, 'file', 'lonely bytes', 'gone.txt')).body.upload;
    await sendAttachment(attached.id);
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
      // One after another: one user may only have a few uploads in progress (UPLOAD_MAX_IN_FLIGHT_PER_USER).
      const uploads = [];
      for (let index = 0; index < 12; index++) {
        uploads.push(await uploadFile(t, alice.cookie, 'file', `bytes ${index % 4}`, `f${index}.txt`));
      }
      const attached = uploads[0]!.body.upload;
      await sendAttachment(attached.id);
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

  describe('after a crash', () => {
    /** A blob file as a process killed between writing it and committing its row leaves it. */
    async function orphanBlob(content: string, ageMs: number): Promise<string> {
      const key = createHash('sha256').update(content).digest('hex');
      const dir = join(t.config.uploads.dir, 'blobs', key.slice(0, 2), key.slice(2, 4));
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, key), content);
      const then = new Date(Date.now() - ageMs);
      await utimes(join(dir, key), then, then);
      return key;
    }

    it('removes blob files no upload refers to, once older than the grace period', async () => {
      const old = await orphanBlob('written, then the process died', 3_600_000);
      const young = await orphanBlob('being stored right now, perhaps', 0);
      expect(await t.server.uploads.sweepOrphanBlobs(600_000)).toBeGreaterThanOrEqual(1);
      const files = await blobFiles(t.config.uploads.dir);
      expect(files).not.toContain(old);
      expect(files).toContain(young);
    });

    it('removes temporary files left by a crash, once older than the grace period', async () => {
      const tmp = join(t.config.uploads.dir, 'tmp');
      await writeFile(join(tmp, 'left-by-a-crash'), 'half an upload');
      const then = new Date(Date.now() - 3_600_000);
      await utimes(join(tmp, 'left-by-a-crash'), then, then);
      await writeFile(join(tmp, 'in-progress'), 'being received');
      expect(await t.server.uploads.sweepTemporaryFiles(600_000)).toBe(1);
      expect(await readdir(tmp)).toEqual(['in-progress']);
    });

    it('keeps a blob shared by content hash when one of its uploads is swept', async () => {
      const attached = (await uploadFile(t, alice.cookie, 'file', 'twice stored', 'a.txt')).body.upload;
      const swept = (await uploadFile(t, alice.cookie, 'file', 'twice stored', 'b.txt')).body.upload;
      await sendAttachment(attached.id);
      await t.server.uploads.sweep(-1_000);
      // Every blob counts as old: only references keep one.
      await t.server.uploads.sweepOrphanBlobs(-1_000);
      expect((await fetchUpload(t, alice.cookie, swept.id)).status).toBe(404);
      const kept = await fetchUpload(t, alice.cookie, attached.id);
      expect(kept.status).toBe(200);
      expect(kept.bytes.toString()).toBe('twice stored');
    });

    it('deleting a message removes its upload at once, and its bytes at the next orphan sweep', async () => {
      const content = `deleted with its message ${randomUUID()}`;
      const upload = (await uploadFile(t, alice.cookie, 'file', content, 'secret.txt')).body.upload;
      const key = createHash('sha256').update(content).digest('hex');
      const stored = await sendAttachment(upload.id);
      okData(await socket.emitWithAck('message:delete', { conversationId, messageId: stored.id }));
      expect(await queryDatabase(t, 'SELECT id FROM uploads WHERE id = ?', [upload.id])).toEqual([]);
      expect((await fetchUpload(t, alice.cookie, upload.id)).status).toBe(404);
      expect(await blobFiles(t.config.uploads.dir)).toContain(key);
      await t.server.uploads.sweepOrphanBlobs(-1_000);
      expect(await blobFiles(t.config.uploads.dir)).not.toContain(key);
    });

    it('deleting a group in the site console removes its uploads at once, and their bytes at the next orphan sweep', async () => {
      const bob = await t.signUp();
      const doomed = await createGroup(t, alice, [bob], 'Deleted with its media');
      const doomedContent = `deleted with its group ${randomUUID()}`;
      const sharedContent = `also kept elsewhere ${randomUUID()}`;
      const [doomedUpload, sharedInDoomed, sharedKept] = [
        (await uploadFile(t, alice.cookie, 'file', doomedContent, 'secret.txt')).body.upload,
        (await uploadFile(t, alice.cookie, 'file', sharedContent, 'copy.txt')).body.upload,
        (await uploadFile(t, alice.cookie, 'file', sharedContent, 'kept.txt')).body.upload,
      ];
      await sendAttachment(doomedUpload.id, doomed.id);
      await sendAttachment(sharedInDoomed.id, doomed.id);
      await sendAttachment(sharedKept.id);
      const [doomedKey, sharedKey] = [doomedContent, sharedContent].map((content) =>
        createHash('sha256').update(content).digest('hex'),
      );

      // alice registered first: she is the site admin.
      const deleted = await t.http('DELETE', `/api/admin/groups/${doomed.id}`, {
        cookie: alice.cookie,
        body: { confirm: 'Deleted with its media' },
      });
      expect(deleted.status).toBe(204);

      const ids = [doomedUpload.id, sharedInDoomed.id, sharedKept.id];
      const left = await queryDatabase<{ id: string }>(t, 'SELECT id FROM uploads WHERE id IN (?)', [ids]);
      expect(left.map((row) => row.id)).toEqual([sharedKept.id]);
      expect((await fetchUpload(t, alice.cookie, doomedUpload.id)).status).toBe(404);
      expect((await fetchUpload(t, alice.cookie, sharedInDoomed.id)).status).toBe(404);
      expect(await blobFiles(t.config.uploads.dir)).toContain(doomedKey);

      await t.server.uploads.sweepOrphanBlobs(-1_000);
      const files = await blobFiles(t.config.uploads.dir);
      expect(files).not.toContain(doomedKey);
      expect(files).toContain(sharedKey);
      const kept = await fetchUpload(t, alice.cookie, sharedKept.id);
      expect(kept.status).toBe(200);
      expect(kept.bytes.toString()).toBe(sharedContent);
    });

    it('an upload stored while the orphan sweep runs keeps its blob', async () => {
      const contents = Array.from({ length: 4 }, (_, index) => `raced ${index} ${randomUUID()}`);
      const [uploads] = await Promise.all([
        // Four at once: as many as one user may have in progress.
        Promise.all(contents.map((content) => uploadFile(t, alice.cookie, 'file', content, 'r.txt'))),
        t.server.uploads.sweepOrphanBlobs(-1_000),
        t.server.uploads.sweepOrphanBlobs(-1_000),
      ]);
      for (const [index, answer] of uploads.entries()) {
        expect(answer.status).toBe(201);
        const served = await fetchUpload(t, alice.cookie, answer.body.upload.id);
        expect(served.bytes.toString()).toBe(contents[index]);
      }
    });
  });
});
