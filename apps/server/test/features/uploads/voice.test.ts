// Voice messages through POST /api/uploads?kind=voice, with recordings made by ffmpeg at test time.
import { type AudioStatus, ErrorCode, VOICE_WAVEFORM_PEAKS } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waveformPeaks } from '../../../src/features/uploads/audio.js';
import { probeDurationMs, sineAudio } from '../../helpers/audio.js';
import { startTestServer, type TestServer, type TestUser } from '../../helpers/server.js';
import { fetchUpload, uploadFile } from '../../helpers/uploads.js';

/** Decoded durations differ from the tone's by an encoder's priming and padding: a frame or two. */
const TOLERANCE_MS = 80;

type Refusal = { status: number; body: { error?: { code: string; message: string } } };

async function expectRefused(answer: Promise<Refusal>, status: number, code: string): Promise<string> {
  const { status: got, body } = await answer;
  expect({ status: got, code: body.error?.code }).toEqual({ status, code });
  expect(body.error?.message.length).toBeGreaterThan(5);
  return body.error!.message;
}

describe('voice uploads', () => {
  let t: TestServer;
  let alice: TestUser;

  beforeAll(async () => {
    t = await startTestServer({ env: { MAX_VOICE_DURATION_S: '5' } });
    alice = await t.signUp();
  });
  afterAll(async () => t.close());

  it('accepts WebM/Opus as recorded by Chrome (no duration in its header), measures it and makes an AAC rendition', async () => {
    const webm = await sineAudio('webmOpus', 3, { streamed: true, fadeIn: true });
    const { status, body } = await uploadFile(t, alice.cookie, 'voice', webm, 'note.webm', 'audio/webm');
    expect(status).toBe(201);
    const upload = body.upload;
    expect(upload).toMatchObject({ kind: 'voice', mime: 'audio/webm', playableMime: 'audio/mp4' });
    expect(Math.abs(upload.durationMs! - 3000)).toBeLessThan(TOLERANCE_MS);
    expect(upload.waveform).toHaveLength(VOICE_WAVEFORM_PEAKS);
    expect(Math.max(...upload.waveform!)).toBe(1);
    // The tone fades in: the waveform rises from near silence to full.
    expect(upload.waveform![0]).toBeLessThan(0.1);
    expect(upload.waveform!.at(-1)).toBeGreaterThan(0.9);

    const content = await fetchUpload(t, alice.cookie, upload.id);
    expect(content.headers.get('content-type')).toBe('audio/webm');
    expect(content.bytes.equals(webm)).toBe(true);

    const playable = await fetchUpload(t, alice.cookie, upload.id, 'playable');
    expect(playable.status).toBe(200);
    expect(playable.headers.get('content-type')).toBe('audio/mp4');
    const rendition = await probeDurationMs(playable.bytes);
    expect(rendition).toMatchObject({ codec: 'aac' });
    expect(rendition.format).toContain('mp4');
    expect(Math.abs(rendition.durationMs - 3000)).toBeLessThan(TOLERANCE_MS);

    // Seeking: the rendition answers byte ranges.
    const range = await fetchUpload(t, alice.cookie, upload.id, 'playable', { range: 'bytes=100-199' });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 100-199/${playable.bytes.length}`);
    expect(range.bytes.equals(playable.bytes.subarray(100, 200))).toBe(true);
  });

  it('keeps MP4/AAC as recorded by Safari, with no rendition', async () => {
    const m4a = await sineAudio('mp4Aac', 2);
    const { status, body } = await uploadFile(t, alice.cookie, 'voice', m4a, 'note.m4a', 'audio/mp4');
    expect(status).toBe(201);
    expect(body.upload).toMatchObject({ mime: 'audio/mp4', playableMime: null });
    expect(Math.abs(body.upload.durationMs! - 2000)).toBeLessThan(TOLERANCE_MS);
    expect(body.upload.waveform).toHaveLength(VOICE_WAVEFORM_PEAKS);
    expect((await fetchUpload(t, alice.cookie, body.upload.id, 'playable')).status).toBe(404);
  });

  it('accepts Ogg/Opus (with a rendition) and MP3 (without)', async () => {
    const ogg = await uploadFile(t, alice.cookie, 'voice', await sineAudio('oggOpus', 1), 'a.ogg');
    expect(ogg.body.upload).toMatchObject({ mime: 'audio/ogg', playableMime: 'audio/mp4' });
    const mp3 = await uploadFile(t, alice.cookie, 'voice', await sineAudio('mp3', 1), 'a.mp3');
    expect(mp3.body.upload).toMatchObject({ mime: 'audio/mpeg', playableMime: null });
    expect(Math.abs(mp3.body.upload.durationMs! - 1000)).toBeLessThan(TOLERANCE_MS);
  });

  it('refuses a recording longer than MAX_VOICE_DURATION_S, from its header or by decoding it', async () => {
    const withHeader = await sineAudio('mp4Aac', 8);
    expect(
      await expectRefused(
        uploadFile(t, alice.cookie, 'voice', withHeader, 'long.m4a'),
        413,
        ErrorCode.UploadTooLong,
      ),
    ).toContain('5 seconds');
    // Streamed WebM has no duration in its header: the decode finds it too long.
    const streamed = await sineAudio('webmOpus', 8, { streamed: true });
    await expectRefused(
      uploadFile(t, alice.cookie, 'voice', streamed, 'long.webm'),
      413,
      ErrorCode.UploadTooLong,
    );
  });

  it('refuses a text file named .webm, and an image, as unsupported', async () => {
    await expectRefused(
      uploadFile(
        t,
        alice.cookie,
        'voice',
        'hello, this is not audio at all\n'.repeat(20),
        'note.webm',
        'audio/webm',
      ),
      415,
      ErrorCode.UploadUnsupportedType,
    );
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');
    await expectRefused(
      uploadFile(t, alice.cookie, 'voice', pdf, 'note.webm'),
      415,
      ErrorCode.UploadUnsupportedType,
    );
  });

  it('refuses truncated recordings as unreadable, saying why without the server’s paths', async () => {
    const m4a = await sineAudio('mp4Aac', 2);
    const messages: string[] = [];
    // MP4 keeps its index (moov) at the end: cut in half, it cannot be read.
    messages.push(
      await expectRefused(
        uploadFile(t, alice.cookie, 'voice', m4a.subarray(0, Math.floor(m4a.length / 2)), 'cut.m4a'),
        422,
        ErrorCode.UploadUnreadable,
      ),
    );
    // A WebM cut right after its header holds no audio at all.
    const webm = await sineAudio('webmOpus', 2, { streamed: true });
    messages.push(
      await expectRefused(
        uploadFile(t, alice.cookie, 'voice', webm.subarray(0, 300), 'cut.webm'),
        422,
        ErrorCode.UploadUnreadable,
      ),
    );
    // The first names the failing file, as ffmpeg does, by what it is, not where it lies.
    expect(messages[0]).toMatch(/^The recording cannot be decoded \(the recording: /);
    for (const message of messages) {
      expect(message).not.toContain(t.config.uploads.dir);
      expect(message).not.toMatch(/file:|\/tmp\//);
    }
  });

  it('says in /readyz and the admin console that voice works', async () => {
    const ready = await t.http<{ checks: Record<string, string>; degraded?: string[] }>('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toMatchObject({ ffmpeg: 'up', ffprobe: 'up' });
    expect(ready.body.degraded).toBeUndefined();
    const status = await t.http<AudioStatus>('GET', '/api/admin/audio', { cookie: alice.cookie });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ voiceUploads: true, maxVoiceDurationS: 5 });
    expect(status.body.ffmpeg.version).toMatch(/^ffmpeg version /);
    expect(status.body.renditions.every((rendition) => rendition.available)).toBe(true);
  });
});

describe('voice uploads without ffmpeg', () => {
  let t: TestServer;
  let admin: TestUser;

  beforeAll(async () => {
    t = await startTestServer({
      env: { FFMPEG_PATH: '/nonexistent/ffmpeg', FFPROBE_PATH: '/nonexistent/ffprobe' },
    });
    admin = await t.signUp();
  });
  afterAll(async () => t.close());

  it('refuses voice with a clear code, says why in /readyz and the console, and keeps serving', async () => {
    const webm = await sineAudio('webmOpus', 1);
    const message = await expectRefused(
      uploadFile(t, admin.cookie, 'voice', webm, 'note.webm'),
      503,
      ErrorCode.UploadVoiceUnavailable,
    );
    expect(message).toContain('/nonexistent/ffmpeg');

    const ready = await t.http<{ status: string; checks: Record<string, string>; degraded: string[] }>(
      'GET',
      '/readyz',
    );
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ready',
      checks: { database: 'up', ffmpeg: 'down', ffprobe: 'down' },
    });
    expect(ready.body.degraded).toContain('voice uploads');
    expect(ready.body.degraded).toContain('audio/mp4 (AAC) rendition of audio/webm (Opus)');

    const status = await t.http<AudioStatus>('GET', '/api/admin/audio', { cookie: admin.cookie });
    expect(status.body).toMatchObject({
      voiceUploads: false,
      ffmpeg: { available: false, path: '/nonexistent/ffmpeg', error: '/nonexistent/ffmpeg: not found' },
    });
    expect(status.body.renditions.some((rendition) => rendition.available)).toBe(false);

    // Everything else still works.
    const file = await uploadFile(t, admin.cookie, 'file', 'still here', 'after.txt');
    expect(file.status).toBe(201);
  });
});

describe('waveformPeaks', () => {
  it('takes the loudest block of each slice, scaled so the loudest is 1', () => {
    const blocks = Array.from({ length: 128 }, (_, i) => (i < 64 ? 1000 : 4000));
    const peaks = waveformPeaks(blocks, 4);
    expect(peaks).toEqual([0.25, 0.25, 1, 1]);
  });

  it('gives zeros for silence and fewer peaks for very short audio', () => {
    expect(waveformPeaks([0, 0, 0], 64)).toEqual([0, 0, 0]);
    expect(waveformPeaks([], 64)).toEqual([]);
  });
});
