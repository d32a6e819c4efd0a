import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, type Attachment } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGroup,
  okData,
  queryDatabase,
  startTestServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';
import {
  BOUNDARY,
  fetchUpload,
  multipartBody,
  PDF_BYTES,
  postUpload,
  uploadFile,
} from '../../helpers/uploads.js';

/** Files under the upload directory's tmp/ (what a half-received upload would leave behind). */
async function temporaryFiles(t: TestServer): Promise<string[]> {
  return readdir(join(t.config.uploads.dir, 'tmp'));
}

async function uploadRows(t: TestServer, uploaderId: number): Promise<number> {
  const [row] = await queryDatabase<{ n: bigint }>(
    t,
    'SELECT COUNT(*) AS n FROM uploads WHERE uploaderId = ?',
    [uploaderId],
  );
  return Number(row!.n);
}

/**
 * Opens a raw TCP connection, writes the request head and `body`, and keeps the connection open
 * without sending the rest (a stalled or lying client). Resolves with what the server answered once
 * it closed the connection ('' when it closed without answering).
 */
function stalledRequest(t: TestServer, head: string, body: Buffer): Promise<string> {
  const url = new URL(t.url);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(head);
    socket.write(body);
  });
}

function uploadHead(t: TestServer, cookie: string, contentLength: number): string {
  return (
    `POST /api/uploads?kind=file HTTP/1.1\r\nHost: ${new URL(t.url).host}\r\nCookie: ${cookie}\r\n` +
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${contentLength}\r\n\r\n`
  );
}

describe('uploads against hostile clients', () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let aliceSocket: ClientSocket;

  beforeAll(async () => {
    // The shortest request deadline the configuration allows: a stalled body is cut after a second.
    t = await startTestServer({ env: { HTTP_REQUEST_TIMEOUT_MS: '1000' } });
    [alice, bob] = [await t.signUp(), await t.signUp()];
    aliceSocket = await t.connectSocket(alice.cookie);
  });
  afterAll(async () => t.close());

  describe('slow and broken bodies', () => {
    it('cuts a body that stalls mid-file at the request deadline and keeps no temporary file or row', async () => {
      const whole = multipartBody([{ name: 'file', fileName: 'slow.bin', body: Buffer.alloc(200_000, 3) }]);
      const rowsBefore = await uploadRows(t, alice.id);
      const answer = await stalledRequest(
        t,
        uploadHead(t, alice.cookie, whole.length),
        whole.subarray(0, 100_000),
      );
      expect(answer === '' || /^HTTP\/1\.1 (408|400)/.test(answer)).toBe(true);
      await expect.poll(() => temporaryFiles(t)).toEqual([]);
      expect(await uploadRows(t, alice.id)).toBe(rowsBefore);
    });

    it('a Content-Length larger than the body is the same stall: cut, nothing kept', async () => {
      const whole = multipartBody([{ name: 'file', fileName: 'liar.txt', body: 'short' }]);
      const answer = await stalledRequest(t, uploadHead(t, alice.cookie, whole.length + 5_000), whole);
      expect(answer === '' || /^HTTP\/1\.1 (408|400)/.test(answer)).toBe(true);
      await expect.poll(() => temporaryFiles(t)).toEqual([]);
    });

    it('a client that aborts mid-file leaves no temporary file and no row', async () => {
      const whole = multipartBody([{ name: 'file', fileName: 'gone.bin', body: Buffer.alloc(150_000, 5) }]);
      const rowsBefore = await uploadRows(t, alice.id);
      const url = new URL(t.url);
      await new Promise<void>((resolve) => {
        const socket = connect(Number(url.port), url.hostname);
        socket.on('error', () => undefined);
        socket.on('close', () => resolve());
        socket.write(uploadHead(t, alice.cookie, whole.length));
        socket.write(whole.subarray(0, 80_000), () => socket.destroy());
      });
      await expect.poll(() => temporaryFiles(t)).toEqual([]);
      expect(await uploadRows(t, alice.id)).toBe(rowsBefore);
    });

    it('a Content-Length shorter than the body cuts the form: refused as cut off', async () => {
      const whole = multipartBody([{ name: 'file', fileName: 'a.txt', body: 'x'.repeat(1_000) }]);
      const answer = await stalledRequest(t, uploadHead(t, alice.cookie, whole.length - 300), whole);
      expect(answer).toMatch(/^HTTP\/1\.1 400/);
      expect(answer).toContain(ErrorCode.Invalid);
      await expect.poll(() => temporaryFiles(t)).toEqual([]);
    });

    it('refuses a file part after 50 other fields, writing nothing', async () => {
      const fields = Array.from({ length: 50 }, (_, index) => ({ name: `f${index}`, body: 'v' }));
      const body = multipartBody([...fields, { name: 'file', fileName: 'late.txt', body: 'late' }]);
      const { status, body: answer } = await postUpload(t, alice.cookie, 'file', body);
      expect({ status, code: answer.error?.code }).toEqual({ status: 413, code: ErrorCode.PayloadTooLarge });
      expect(await temporaryFiles(t)).toEqual([]);
    });

    it.each([
      ['text/plain', 'just text'],
      ['application/x-www-form-urlencoded', 'file=abc'],
      ['application/octet-stream', 'raw bytes'],
      ['application/json', '{"file": "abc"}'],
      ['application/xml', '<file>abc</file>'],
      ['multipart/mixed; boundary=x', '--x\r\n\r\nhi\r\n--x--'],
    ])(
      'refuses a %s body with 415 request/unsupported_media_type, writing nothing',
      async (contentType, body) => {
        const response = await fetch(`${t.url}/api/uploads?kind=file`, {
          method: 'POST',
          headers: { cookie: alice.cookie, 'content-type': contentType },
          body,
        });
        const answer = (await response.json()) as { error: { code: string; message: string } };
        expect({ status: response.status, code: answer.error.code }).toEqual({
          status: 415,
          code: ErrorCode.UnsupportedMediaType,
        });
        expect(answer.error.message).toContain('multipart/form-data');
        expect(await temporaryFiles(t)).toEqual([]);
      },
    );

    it('refuses a multipart/form-data body without a boundary with 400 request/invalid', async () => {
      const response = await fetch(`${t.url}/api/uploads?kind=file`, {
        method: 'POST',
        headers: { cookie: alice.cookie, 'content-type': 'multipart/form-data' },
        body: 'no boundary at all',
      });
      const answer = (await response.json()) as { error: { code: string } };
      expect({ status: response.status, code: answer.error.code }).toEqual({
        status: 400,
        code: ErrorCode.Invalid,
      });
    });
  });

  describe('hostile file names', () => {
    const named = async (fileName: string) => {
      const { status, body } = await uploadFile(t, alice.cookie, 'file', PDF_BYTES, fileName);
      expect(status).toBe(201);
      return body.upload.fileName;
    };

    it('cuts a 10 KB name to 255 characters, keeping the extension', async () => {
      const kept = await named(`${'a'.repeat(10_000)}.pdf`);
      expect([...kept].length).toBe(255);
      expect(kept.endsWith('.pdf')).toBe(true);
    });

    it('keeps only the last segment of ../ and backslash paths', async () => {
      expect(await named('..\\..\\windows\\system32\\evil.pdf')).toBe('evil.pdf');
      expect(await named('../../../')).toBe('file');
    });

    it('drops NUL and the right-to-left override', async () => {
      expect(await named('report\u0000.exe.pdf')).toBe('report.exe.pdf');
      expect(await named('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    });

    it('names a file of only dots "file"', async () => {
      expect(await named('....')).toBe('file');
      expect(await named('.')).toBe('file');
    });
  });

  describe('access', () => {
    let stranger: TestUser;
    const attach = async (owner: TestUser, socket: ClientSocket, conversationId: number) => {
      const upload: Attachment = (await uploadFile(t, owner.cookie, 'file', PDF_BYTES, 'shared.pdf')).body
        .upload;
      okData(
        await socket.emitWithAck('message:send', {
          conversationId,
          clientMsgId: randomUUID(),
          text: '',
          attachmentId: upload.id,
        }),
      );
      return upload;
    };

    beforeAll(async () => {
      stranger = await t.signUp();
    });

    it('a member who left the group can no longer fetch its media', async () => {
      const carol = await t.signUp();
      const group = await createGroup(t, alice, [bob, carol]);
      const upload = await attach(alice, aliceSocket, group.id);
      expect((await fetchUpload(t, carol.cookie, upload.id)).status).toBe(200);
      const left = await t.http('POST', `/api/conversations/${group.id}/leave`, { cookie: carol.cookie });
      expect(left.status).toBeLessThan(300);
      expect((await fetchUpload(t, carol.cookie, upload.id)).status).toBe(403);
    });

    it('a member removed or banned from the group can no longer fetch its media', async () => {
      const [dan, erin] = [await t.signUp(), await t.signUp()];
      const group = await createGroup(t, alice, [dan, erin]);
      const upload = await attach(alice, aliceSocket, group.id);
      const removed = await t.http('DELETE', `/api/conversations/${group.id}/members/${dan.id}`, {
        cookie: alice.cookie,
      });
      expect(removed.status).toBeLessThan(300);
      const banned = await t.http('PUT', `/api/conversations/${group.id}/bans/${erin.id}`, {
        cookie: alice.cookie,
      });
      expect(banned.status).toBeLessThan(300);
      expect((await fetchUpload(t, dan.cookie, upload.id)).status).toBe(403);
      expect((await fetchUpload(t, erin.cookie, upload.id)).status).toBe(403);
      expect((await fetchUpload(t, erin.cookie, upload.id, 'content', { range: 'bytes=0-0' })).status).toBe(
        403,
      );
    });

    it('a deleted message’s attachment is served to no one, not even its uploader', async () => {
      const group = await createGroup(t, alice, [bob]);
      const upload: Attachment = (await uploadFile(t, alice.cookie, 'file', 'to be deleted', 'd.txt')).body
        .upload;
      const stored = okData(
        await aliceSocket.emitWithAck('message:send', {
          conversationId: group.id,
          clientMsgId: randomUUID(),
          text: '',
          attachmentId: upload.id,
        }),
      );
      okData(
        await aliceSocket.emitWithAck('message:delete', { conversationId: group.id, messageId: stored.id }),
      );
      for (const user of [alice, bob]) {
        const answer = await fetchUpload(t, user.cookie, upload.id);
        expect(answer.status).toBe(404);
        expect(answer.bytes.toString()).not.toContain('to be deleted');
      }
    });

    it('a guessed id answers like an unknown one, whoever asks', async () => {
      const guesses = [
        'AAAAAAAAAAAAAAAAAAAAAA',
        '__________________________'.slice(0, 22),
        'abcdefghij-_0123456789',
      ];
      for (const id of guesses) {
        expect((await fetchUpload(t, stranger.cookie, id)).status).toBe(404);
      }
    });
  });

  describe('ranges and conditional requests', () => {
    let file: Attachment;
    const size = PDF_BYTES.length;
    beforeAll(async () => {
      file = (await uploadFile(t, alice.cookie, 'file', PDF_BYTES, 'r.pdf')).body.upload;
    });
    const get = (headers: Record<string, string>) =>
      fetchUpload(t, alice.cookie, file.id, 'content', headers);

    it('bytes=0-0 is the first byte', async () => {
      const answer = await get({ range: 'bytes=0-0' });
      expect(answer.status).toBe(206);
      expect(answer.headers.get('content-range')).toBe(`bytes 0-0/${size}`);
      expect(answer.bytes.equals(PDF_BYTES.subarray(0, 1))).toBe(true);
    });

    it('a suffix longer than the file is the whole file as a range', async () => {
      const answer = await get({ range: `bytes=-${size * 10}` });
      expect(answer.status).toBe(206);
      expect(answer.headers.get('content-range')).toBe(`bytes 0-${size - 1}/${size}`);
      expect(answer.bytes.equals(PDF_BYTES)).toBe(true);
    });

    it('an open-ended range runs to the end, an end past the file is clamped', async () => {
      const open = await get({ range: `bytes=${size - 3}-` });
      expect(open.bytes.equals(PDF_BYTES.subarray(-3))).toBe(true);
      const clamped = await get({ range: `bytes=2-${size * 5}` });
      expect(clamped.headers.get('content-range')).toBe(`bytes 2-${size - 1}/${size}`);
    });

    it('several ranges are answered with the whole body; overlapping ones with their union', async () => {
      const several = await get({ range: 'bytes=0-1,5-6' });
      expect(several.status).toBe(200);
      expect(several.bytes.equals(PDF_BYTES)).toBe(true);
      const overlapping = await get({ range: 'bytes=0-4,3-9' });
      expect(overlapping.status).toBe(206);
      expect(overlapping.headers.get('content-range')).toBe(`bytes 0-9/${size}`);
    });

    it('an unsatisfiable range is 416 with the size; a malformed one is ignored', async () => {
      const beyond = await get({ range: `bytes=${size}-` });
      expect(beyond.status).toBe(416);
      expect(beyond.headers.get('content-range')).toBe(`bytes */${size}`);
      expect(JSON.parse(beyond.bytes.toString()).error.code).toBe(ErrorCode.RangeNotSatisfiable);
      const zeroSuffix = await get({ range: 'bytes=-0' });
      expect(zeroSuffix.status).toBe(416);
      for (const range of ['bytes=5-2', 'items=0-1', 'bytes=abc', 'bytes=']) {
        const answer = await get({ range });
        expect({ range, status: answer.status }).toEqual({ range, status: 200 });
        expect(answer.bytes.equals(PDF_BYTES)).toBe(true);
      }
    });

    it('If-None-Match: the ETag, a list holding it, a weak form or * answer 304; another 200', async () => {
      const etag = (await get({})).headers.get('etag')!;
      for (const value of [etag, `"other", ${etag}`, `W/${etag}`, '*']) {
        expect({ value, status: (await get({ 'if-none-match': value })).status }).toEqual({
          value,
          status: 304,
        });
      }
      expect((await get({ 'if-none-match': '"something-else"' })).status).toBe(200);
    });

    it('HEAD answers the headers of GET without a body, and the same refusals', async () => {
      const head = await fetch(`${t.url}/api/uploads/${file.id}/content`, {
        method: 'HEAD',
        headers: { cookie: alice.cookie, connection: 'close' },
      });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(size));
      expect(head.headers.get('content-type')).toBe('application/pdf');
      expect((await head.arrayBuffer()).byteLength).toBe(0);
      const forbidden = await fetch(`${t.url}/api/uploads/${file.id}/content`, {
        method: 'HEAD',
        headers: { cookie: bob.cookie, connection: 'close' },
      });
      expect(forbidden.status).toBe(403);
    });
  });
});
