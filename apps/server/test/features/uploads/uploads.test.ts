import { ErrorCode, type Attachment, type ErrorResponse } from '@parley/shared';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, type TestUser } from '../../helpers/server.js';
import {
  BOUNDARY,
  fetchUpload,
  jpegWithExif,
  multipartBody,
  PDF_BYTES,
  pngBomb,
  postTruncated,
  postUpload,
  smallImage,
  uploadFile,
} from '../../helpers/uploads.js';

const run = promisify(execFile);

describe('uploads', () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  /** An upload stored before the bad inputs, checked again after them: nothing stored is lost. */
  let keeper: Attachment;
  let keeperBytes: Buffer;

  const expectRefused = async (
    answer: Promise<{ status: number; body: { error?: { code: string; message: string } } }>,
    status: number,
    code: string,
  ) => {
    const { status: got, body } = await answer;
    expect({ status: got, code: body.error?.code }).toEqual({ status, code });
    expect(body.error?.message.length).toBeGreaterThan(5);
    return body.error!.message;
  };

  beforeAll(async () => {
    t = await startTestServer({
      env: { UPLOAD_MAX_BYTES: String(256 * 1024), UPLOAD_MAX_PIXELS: '4000000' },
    });
    [alice, bob] = [await t.signUp(), await t.signUp()];
    const stored = await uploadFile(t, alice.cookie, 'file', PDF_BYTES, 'keeper.pdf');
    expect(stored.status).toBe(201);
    keeper = stored.body.upload;
    keeperBytes = (await fetchUpload(t, alice.cookie, keeper.id)).bytes;
  });

  afterAll(async () => {
    // The server is still up and what was stored before every refusal is intact.
    const again = await fetchUpload(t, alice.cookie, keeper.id);
    expect(again.status).toBe(200);
    expect(again.bytes.equals(keeperBytes)).toBe(true);
    expect(keeperBytes.equals(PDF_BYTES)).toBe(true);
    await t.close();
  });

  describe('images', () => {
    it('re-encodes a JPEG: EXIF and GPS are gone, the orientation is applied to the pixels', async () => {
      const { status, body } = await uploadFile(
        t,
        alice.cookie,
        'image',
        await jpegWithExif(64, 32),
        'photo.jpg',
        'image/jpeg',
      );
      expect(status).toBe(201);
      // Orientation 6 turns the 64×32 landscape into a 32×64 portrait.
      expect(body.upload).toMatchObject({
        kind: 'image',
        mime: 'image/jpeg',
        fileName: 'photo.jpg',
        width: 32,
        height: 64,
      });
      expect(body.upload.placeholder).toMatch(/^data:image\/webp;base64,[A-Za-z0-9+/=]+$/);
      expect(body.upload.placeholder!.length).toBeLessThan(600);

      const content = await fetchUpload(t, alice.cookie, body.upload.id);
      expect(content.status).toBe(200);
      expect(content.headers.get('content-type')).toBe('image/jpeg');
      const stored = await sharp(content.bytes).metadata();
      expect({ width: stored.width, height: stored.height }).toEqual({ width: 32, height: 64 });
      expect(stored.exif).toBeUndefined();
      expect(stored.orientation).toBeUndefined();
      expect(content.bytes.includes(Buffer.from('Secret Model 7'))).toBe(false);
      expect(content.bytes.includes(Buffer.from('ParleyCam'))).toBe(false);
      expect(body.upload.byteSize).toBe(content.bytes.length);

      const thumbnail = await fetchUpload(t, alice.cookie, body.upload.id, 'thumbnail');
      expect(thumbnail.headers.get('content-type')).toBe('image/webp');
      const thumb = await sharp(thumbnail.bytes).metadata();
      expect({ format: thumb.format, width: thumb.width, height: thumb.height }).toEqual({
        format: 'webp',
        width: 32,
        height: 64,
      });
    });

    it('makes a thumbnail no larger than 640 pixels on its longest side', async () => {
      const { body } = await uploadFile(
        t,
        alice.cookie,
        'image',
        await smallImage('png', 1600, 900),
        'wide.png',
      );
      expect(body.upload).toMatchObject({ mime: 'image/png', width: 1600, height: 900 });
      const thumb = await sharp(
        (await fetchUpload(t, alice.cookie, body.upload.id, 'thumbnail')).bytes,
      ).metadata();
      expect({ width: thumb.width, height: thumb.height }).toEqual({ width: 640, height: 360 });
    });

    it.each(['png', 'webp', 'gif'] as const)('accepts %s and keeps its format', async (format) => {
      const { status, body } = await uploadFile(
        t,
        alice.cookie,
        'image',
        await smallImage(format),
        `picture.${format}`,
      );
      expect(status).toBe(201);
      expect(body.upload).toMatchObject({ mime: `image/${format}`, width: 48, height: 24 });
    });

    it('refuses HTML named .png as an image, by its bytes', async () => {
      const html = '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>';
      await expectRefused(
        uploadFile(t, alice.cookie, 'image', html, 'cat.png', 'image/png'),
        415,
        ErrorCode.UploadUnsupportedType,
      );
    });

    it('refuses SVG named .png as an image', async () => {
      const svg =
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>';
      await expectRefused(
        uploadFile(t, alice.cookie, 'image', svg, 'cat.png', 'image/png'),
        415,
        ErrorCode.UploadUnsupportedType,
      );
    });

    it('refuses wrong magic bytes', async () => {
      const png = await smallImage('png');
      const damaged = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x58]), png.subarray(4)]);
      await expectRefused(
        uploadFile(t, alice.cookie, 'image', damaged, 'x.png', 'image/png'),
        415,
        ErrorCode.UploadUnsupportedType,
      );
    });

    it('refuses a truncated image that cannot be decoded', async () => {
      const jpeg = await smallImage('jpeg', 400, 300);
      await expectRefused(
        uploadFile(t, alice.cookie, 'image', jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'half.jpg'),
        422,
        ErrorCode.UploadUnreadable,
      );
    });

    it('refuses a decompression bomb from its header, before decoding it', async () => {
      const bomb = pngBomb(60_000, 60_000);
      expect(bomb.length).toBeLessThan(1_000);
      const message = await expectRefused(
        uploadFile(t, alice.cookie, 'image', bomb, 'bomb.png'),
        413,
        ErrorCode.UploadTooManyPixels,
      );
      expect(message).toContain('60000×60000');
    });

    it('counts every frame of an animation, and says the size of one and how many', async () => {
      // 1000×1000 in 5 frames: 5,000,000 pixels against this server's 4,000,000, each frame well under.
      const { stdout: gif } = await run(
        'ffmpeg',
        ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=red:s=1000x1000:r=5:d=1', '-f', 'gif', 'pipe:1'],
        { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
      );
      const message = await expectRefused(
        uploadFile(t, alice.cookie, 'image', gif, 'flip.gif'),
        413,
        ErrorCode.UploadTooManyPixels,
      );
      expect(message).toContain('1000×1000 pixels in 5 frames');
    });
  });

  describe('files', () => {
    it('stores a PDF as a download with an RFC 6266 Content-Disposition', async () => {
      const { status, body } = await uploadFile(
        t,
        alice.cookie,
        'file',
        PDF_BYTES,
        'Quarterly report.pdf',
        'text/html',
      );
      expect(status).toBe(201);
      expect(body.upload).toMatchObject({
        kind: 'file',
        mime: 'application/pdf',
        byteSize: PDF_BYTES.length,
        width: null,
      });
      const served = await fetchUpload(t, alice.cookie, body.upload.id);
      expect(served.headers.get('content-type')).toBe('application/pdf');
      expect(served.headers.get('content-disposition')).toBe('attachment; filename="Quarterly report.pdf"');
      expect(served.headers.get('x-content-type-options')).toBe('nosniff');
      expect(served.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
      expect(served.bytes.equals(PDF_BYTES)).toBe(true);
    });

    it('serves HTML uploaded as a file as opaque bytes, as a download, never as a page', async () => {
      const html = '<html><script>alert(1)</script></html>';
      const { body } = await uploadFile(t, alice.cookie, 'file', html, 'page.html', 'text/html');
      expect(body.upload.mime).toBe('application/octet-stream');
      const served = await fetchUpload(t, alice.cookie, body.upload.id);
      expect(served.headers.get('content-type')).toBe('application/octet-stream');
      expect(served.headers.get('content-disposition')).toMatch(/^attachment;/);
      expect(served.headers.get('content-security-policy')).toContain('sandbox');
    });

    it('never serves an image uploaded as a file inline', async () => {
      const { body } = await uploadFile(t, alice.cookie, 'file', await smallImage('png'), 'diagram.png');
      const served = await fetchUpload(t, alice.cookie, body.upload.id);
      expect(served.headers.get('content-disposition')).toBe('attachment; filename=diagram.png');
    });

    it('keeps only the last segment of a name with ../ and drops control characters', async () => {
      const name = '../../etc/\u0001pass\u0007wd\u202e.txt';
      const { status, body } = await uploadFile(t, alice.cookie, 'file', 'plain text', name);
      expect(status).toBe(201);
      expect(body.upload.fileName).toBe('passwd.txt');
      const served = await fetchUpload(t, alice.cookie, body.upload.id);
      expect(served.headers.get('content-disposition')).toBe('attachment; filename=passwd.txt');
    });

    it('encodes a non-ASCII name with RFC 5987 and an ASCII fallback', async () => {
      const { body } = await uploadFile(t, alice.cookie, 'file', PDF_BYTES, '报告 2026.pdf');
      expect(body.upload.fileName).toBe('报告 2026.pdf');
      const served = await fetchUpload(t, alice.cookie, body.upload.id);
      expect(served.headers.get('content-disposition')).toBe(
        `attachment; filename="?? 2026.pdf"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%202026.pdf`,
      );
    });

    it('refuses a zero-length file', async () => {
      await expectRefused(
        uploadFile(t, alice.cookie, 'file', Buffer.alloc(0), 'empty.txt'),
        400,
        ErrorCode.UploadEmpty,
      );
    });

    it('refuses a form without a file', async () => {
      await expectRefused(postUpload(t, alice.cookie, 'file', multipartBody([])), 400, ErrorCode.UploadEmpty);
    });

    it('refuses a file over the size limit with 413 and says the limit', async () => {
      const message = await expectRefused(
        uploadFile(t, alice.cookie, 'file', Buffer.alloc(300 * 1024, 7), 'big.bin'),
        413,
        ErrorCode.PayloadTooLarge,
      );
      expect(message).toContain('0.3 MB');
    });

    it('refuses two files in one upload', async () => {
      const body = multipartBody([
        { name: 'file', fileName: 'a.txt', body: 'first' },
        { name: 'file', fileName: 'b.txt', body: 'second' },
      ]);
      const message = await expectRefused(
        postUpload(t, alice.cookie, 'file', body),
        413,
        ErrorCode.PayloadTooLarge,
      );
      expect(message).toContain('one file and nothing else');
    });

    it('refuses too many parts', async () => {
      const body = multipartBody([
        { name: 'a', body: '1' },
        { name: 'b', body: '2' },
        { name: 'c', body: '3' },
        { name: 'file', fileName: 'a.txt', body: 'first' },
      ]);
      await expectRefused(postUpload(t, alice.cookie, 'file', body), 413, ErrorCode.PayloadTooLarge);
    });

    it('refuses a form field besides the file', async () => {
      const body = multipartBody([
        { name: 'file', fileName: 'a.txt', body: 'first' },
        { name: 'caption', body: 'x'.repeat(5_000) },
      ]);
      await expectRefused(postUpload(t, alice.cookie, 'file', body), 413, ErrorCode.PayloadTooLarge);
    });

    it('refuses a multipart body that ends before its closing boundary', async () => {
      const body = multipartBody([{ name: 'file', fileName: 'a.txt', body: 'no end in sight' }], {
        close: false,
      });
      await expectRefused(postUpload(t, alice.cookie, 'file', body), 400, ErrorCode.Invalid);
    });

    it('survives a connection that drops mid-file', async () => {
      const body = multipartBody([{ name: 'file', fileName: 'a.bin', body: Buffer.alloc(64 * 1024, 1) }], {
        close: false,
      });
      const status = await postTruncated(t, alice.cookie, 'file', body);
      expect([0, 400]).toContain(status);
      const after = await uploadFile(t, alice.cookie, 'file', 'still here', 'after.txt');
      expect(after.status).toBe(201);
    });

    it('refuses an unknown kind, and a body that is not multipart', async () => {
      const wrongKind = await fetch(`${t.url}/api/uploads?kind=video`, {
        method: 'POST',
        headers: { cookie: alice.cookie, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
        body: multipartBody([{ name: 'file', fileName: 'clip.mp4', body: 'x' }]),
      });
      expect(wrongKind.status).toBe(400);
      expect(((await wrongKind.json()) as ErrorResponse).error.code).toBe(ErrorCode.Invalid);
      const notMultipart = await fetch(`${t.url}/api/uploads?kind=file`, {
        method: 'POST',
        headers: { cookie: alice.cookie, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(notMultipart.status).toBe(415);
      expect(((await notMultipart.json()) as ErrorResponse).error.code).toBe(ErrorCode.UnsupportedMediaType);
    });
  });

  describe('serving', () => {
    it('needs a session to upload or fetch', async () => {
      await expectRefused(uploadFile(t, null, 'file', 'x', 'x.txt'), 401, ErrorCode.Unauthenticated);
      expect((await fetchUpload(t, null, keeper.id)).status).toBe(401);
    });

    it('answers 404 for an unknown upload and 403 for someone else’s unattached one', async () => {
      expect((await fetchUpload(t, alice.cookie, 'A'.repeat(22))).status).toBe(404);
      expect((await fetchUpload(t, bob.cookie, keeper.id)).status).toBe(403);
      expect((await fetchUpload(t, alice.cookie, keeper.id, 'thumbnail')).status).toBe(404);
      expect((await fetchUpload(t, alice.cookie, 'not-an-upload-id!', 'content')).status).toBe(400);
      expect((await fetchUpload(t, alice.cookie, keeper.id, 'original')).status).toBe(400);
    });

    it('answers a byte range with 206, a range past the end with 416, and a known ETag with 304', async () => {
      const partial = await fetchUpload(t, alice.cookie, keeper.id, 'content', { range: 'bytes=5-9' });
      expect(partial.status).toBe(206);
      expect(partial.headers.get('content-range')).toBe(`bytes 5-9/${PDF_BYTES.length}`);
      expect(partial.bytes.equals(PDF_BYTES.subarray(5, 10))).toBe(true);

      const suffix = await fetchUpload(t, alice.cookie, keeper.id, 'content', { range: 'bytes=-6' });
      expect(suffix.bytes.equals(PDF_BYTES.subarray(-6))).toBe(true);

      const beyond = await fetchUpload(t, alice.cookie, keeper.id, 'content', { range: 'bytes=99999-' });
      expect(beyond.status).toBe(416);
      expect(beyond.headers.get('content-range')).toBe(`bytes */${PDF_BYTES.length}`);

      const whole = await fetchUpload(t, alice.cookie, keeper.id);
      expect(whole.headers.get('accept-ranges')).toBe('bytes');
      const cached = await fetchUpload(t, alice.cookie, keeper.id, 'content', {
        'if-none-match': whole.headers.get('etag')!,
      });
      expect(cached.status).toBe(304);
    });

    it('stores identical content once and serves it to both uploads', async () => {
      const first = await uploadFile(t, alice.cookie, 'file', 'same bytes', 'one.txt');
      const second = await uploadFile(t, bob.cookie, 'file', 'same bytes', 'two.txt');
      expect(first.body.upload.id).not.toBe(second.body.upload.id);
      const [a, b] = [
        await fetchUpload(t, alice.cookie, first.body.upload.id),
        await fetchUpload(t, bob.cookie, second.body.upload.id),
      ];
      expect(a.headers.get('etag')).toBe(b.headers.get('etag'));
      expect(b.headers.get('content-disposition')).toBe('attachment; filename=two.txt');
    });
  });
});
