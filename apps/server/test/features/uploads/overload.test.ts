import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { ErrorCode, type Attachment } from '@parley/shared';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ackCode,
  createGroup,
  okData,
  startTestServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';
import {
  BOUNDARY,
  fetchUpload,
  multipartBody,
  uploadFile,
  type UploadAnswer,
} from '../../helpers/uploads.js';

/** A noisy photo-like JPEG of about 2 MB (noise does not compress). */
function twoMegabyteJpeg(seed: number): Promise<Buffer> {
  return sharp({
    create: {
      width: 1400,
      height: 1000,
      channels: 3,
      background: { r: seed % 255, g: 90, b: 160 },
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .jpeg({ quality: 97 })
    .toBuffer();
}

/**
 * An upload whose body stops halfway and stays open: it holds its place among the uploads being
 * received until the test ends the connection.
 */
function stalledUpload(t: TestServer, cookie: string): Socket {
  const url = new URL(t.url);
  const body = multipartBody([{ name: 'file', fileName: 'stalled.bin', body: Buffer.alloc(20_000, 1) }]);
  const socket = connect(Number(url.port), url.hostname);
  socket.on('error', () => undefined);
  socket.write(
    `POST /api/uploads?kind=file HTTP/1.1\r\nHost: ${url.host}\r\nCookie: ${cookie}\r\n` +
      `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  socket.write(body.subarray(0, 10_000));
  return socket;
}

function expectBusy(answer: UploadAnswer & { retryAfter: string | null }) {
  expect({ status: answer.status, code: answer.body.error?.code }).toEqual({
    status: 503,
    code: ErrorCode.Busy,
  });
  expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
}

/** uploadFile, with the Retry-After header. */
async function upload(
  t: TestServer,
  cookie: string,
  kind: 'file' | 'image',
  bytes: Buffer | string,
  name: string,
): Promise<UploadAnswer & { retryAfter: string | null }> {
  const response = await fetch(`${t.url}/api/uploads?kind=${kind}`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, cookie },
    body: multipartBody([{ name: 'file', fileName: name, body: bytes }]),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: JSON.parse(text) as UploadAnswer['body'],
    retryAfter: response.headers.get('retry-after'),
  };
}

const temporaryFiles = (t: TestServer) => readdir(join(t.config.uploads.dir, 'tmp'));
/** Generous: a poll here may wait for images being processed on a loaded machine. */
const PATIENT = { timeout: 60_000, interval: 100 };

/** Opens stalled uploads one at a time, each admitted (its temporary file exists) before the next. */
async function holdPlaces(t: TestServer, cookies: string[]): Promise<Socket[]> {
  const base = (await temporaryFiles(t)).length;
  const sockets: Socket[] = [];
  for (const cookie of cookies) {
    sockets.push(stalledUpload(t, cookie));
    await expect.poll(async () => (await temporaryFiles(t)).length, PATIENT).toBe(base + sockets.length);
  }
  return sockets;
}

async function releasePlaces(t: TestServer, sockets: Socket[]): Promise<void> {
  for (const socket of sockets) socket.destroy();
  await expect.poll(() => temporaryFiles(t), PATIENT).toEqual([]);
}

describe('uploads under overload and concurrency', () => {
  let t: TestServer;
  let users: TestUser[];

  beforeAll(async () => {
    t = await startTestServer({
      env: {
        UPLOAD_MAX_IN_FLIGHT: '8',
        UPLOAD_MAX_IN_FLIGHT_PER_USER: '3',
        UPLOAD_PROCESSING_CONCURRENCY: '2',
      },
    });
    users = [];
    for (let index = 0; index < 5; index++) users.push(await t.signUp());
  });
  afterAll(async () => t.close());

  it('a user holding every upload place of theirs gets 503 server/busy with Retry-After; others still upload', async () => {
    const [alice, bob] = users as [TestUser, TestUser];
    const stalled = await holdPlaces(t, [alice.cookie, alice.cookie, alice.cookie]);
    try {
      expectBusy(await upload(t, alice.cookie, 'file', 'one more', 'more.txt'));
      const bobs = await upload(t, bob.cookie, 'file', 'bob is fine', 'bob.txt');
      expect(bobs.status).toBe(201);
    } finally {
      await releasePlaces(t, stalled);
    }
    // Her places came back with the stalled uploads gone.
    expect((await upload(t, alice.cookie, 'file', 'again', 'again.txt')).status).toBe(201);
  });

  it('the process-wide limit refuses with 503 too, and frees its places when connections drop', async () => {
    // 3 + 3 + 2 = 8: every place of the process.
    const [a, b, c] = users.map((user) => user.cookie) as [string, string, string];
    const stalled = await holdPlaces(t, [a, a, a, b, b, b, c, c]);
    try {
      expectBusy(await upload(t, users[4]!.cookie, 'file', 'late', 'late.txt'));
    } finally {
      await releasePlaces(t, stalled);
    }
    expect((await upload(t, users[4]!.cookie, 'file', 'late', 'late.txt')).status).toBe(201);
  });

  it('20 concurrent 2 MB images from several users: each stored or refused as retryable, the server answers others', async () => {
    const images = await Promise.all(Array.from({ length: 20 }, (_, index) => twoMegabyteJpeg(index)));
    expect(images[0]!.length).toBeGreaterThan(1_500_000);
    const bystander = users[4]!;
    const before = (await uploadFile(t, bystander.cookie, 'file', 'small', 'small.txt')).body.upload;
    const flood = images.map((bytes, index) =>
      upload(t, users[index % 4]!.cookie, 'image', bytes, `photo-${index}.jpg`),
    );
    // Someone else's small request is answered while the flood is in progress.
    const small = await fetchUpload(t, bystander.cookie, before.id);
    expect(small.bytes.toString()).toBe('small');
    const answers = await Promise.all(flood);
    for (const answer of answers) {
      if (answer.status === 201) expect(answer.body.upload.width).toBe(1400);
      else expectBusy(answer);
    }
    // Whatever was refused goes through when retried.
    for (const [index, answer] of answers.entries()) {
      if (answer.status === 201) continue;
      await expect
        .poll(
          async () =>
            (await upload(t, users[index % 4]!.cookie, 'image', images[index]!, 'retry.jpg')).status,
          PATIENT,
        )
        .toBe(201);
    }
    const first = answers.findIndex((answer) => answer.status === 201);
    const thumbnail = await fetchUpload(
      t,
      users[first % 4]!.cookie,
      answers[first]!.body.upload.id,
      'thumbnail',
    );
    expect(thumbnail.status).toBe(200);
    await expect.poll(() => temporaryFiles(t), PATIENT).toEqual([]);
  }, 180_000);

  describe('one upload, several sends', () => {
    let owner: TestUser;
    let conversationId: number;
    let sockets: [ClientSocket, ClientSocket];
    const image = async (): Promise<Attachment> =>
      (
        await uploadFile(
          t,
          owner.cookie,
          'image',
          await sharp({ create: { width: 20, height: 20, channels: 3, background: '#123456' } })
            .png()
            .toBuffer(),
          'p.png',
        )
      ).body.upload;
    const send = (socket: ClientSocket, attachmentId: string, clientMsgId = randomUUID()) =>
      socket.emitWithAck('message:send', { conversationId, clientMsgId, text: '', attachmentId });

    beforeAll(async () => {
      owner = users[0]!;
      conversationId = (await createGroup(t, owner, [users[1]!])).id;
      sockets = [await t.connectSocket(owner.cookie), await t.connectSocket(owner.cookie)];
    });

    it('two sockets of the same user attaching one upload at once: one message, the other upload/already_attached', async () => {
      for (let round = 0; round < 5; round++) {
        const upload = await image();
        const answers = await Promise.all([send(sockets[0], upload.id), send(sockets[1], upload.id)]);
        expect(answers.map(ackCode).sort()).toEqual(['ok', ErrorCode.UploadAlreadyAttached].sort());
      }
    });

    it('the same clientMsgId sent from two sockets at once: both answered with the one message', async () => {
      for (let round = 0; round < 5; round++) {
        const upload = await image();
        const clientMsgId = randomUUID();
        const [first, second] = await Promise.all([
          send(sockets[0], upload.id, clientMsgId),
          send(sockets[1], upload.id, clientMsgId),
        ]);
        expect(okData(first).id).toBe(okData(second).id);
        expect(okData(second).attachment?.id).toBe(upload.id);
      }
    });

    it('re-sending a stored clientMsgId with its attachment is the duplicate ack, never upload/already_attached', async () => {
      const upload = await image();
      const clientMsgId = randomUUID();
      const stored = okData(await send(sockets[0], upload.id, clientMsgId));
      const again = okData(await send(sockets[1], upload.id, clientMsgId));
      expect(again.id).toBe(stored.id);
      expect(again.attachment).toEqual(stored.attachment);
    });
  });
});
