import { ErrorCode } from '@parley/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { xhrUploader } from '../src/browser/xhr-uploader.js';
import { readUploadAnswer, uploadUrl, type UploadRequest } from '../src/upload.js';

const attachment = {
  id: 'AAAAAAAAAAAAAAAAAAAAAA',
  kind: 'file',
  mime: 'application/pdf',
  fileName: 'a.pdf',
  byteSize: 3,
  width: null,
  height: null,
  placeholder: null,
  durationMs: null,
  waveform: null,
  playableMime: null,
};

describe('reading the answer to an upload', () => {
  it('takes the attachment of a 201', () => {
    expect(readUploadAnswer(201, JSON.stringify({ upload: attachment }), null)).toEqual({
      ok: true,
      upload: attachment,
    });
  });

  it('keeps the server’s code and message of a refusal', () => {
    const body = JSON.stringify({ error: { code: 'upload/unsupported_type', message: 'not an image' } });
    expect(readUploadAnswer(415, body, null)).toEqual({
      ok: false,
      error: { code: ErrorCode.UploadUnsupportedType, message: 'not an image' },
    });
  });

  it('makes a proxy’s 502 page retryable and a 429 rate limited after its Retry-After', () => {
    expect(readUploadAnswer(502, '<html>Bad gateway</html>', null)).toMatchObject({
      ok: false,
      error: { code: ErrorCode.Unavailable },
    });
    expect(readUploadAnswer(429, '', '3')).toMatchObject({
      ok: false,
      error: { code: ErrorCode.RateLimited, retryAfterMs: 3000 },
    });
  });

  it('does not trust an unknown code, nor a 201 that is not an attachment', () => {
    expect(
      readUploadAnswer(400, JSON.stringify({ error: { code: 'made/up', message: 'x' } }), null),
    ).toMatchObject({
      ok: false,
      error: { code: ErrorCode.Internal },
    });
    expect(readUploadAnswer(201, '{}', null)).toMatchObject({
      ok: false,
      error: { code: ErrorCode.Internal },
    });
  });
});

/** A scripted XMLHttpRequest: records what was asked and lets the test play the network. */
class FakeXhr {
  static last: FakeXhr | null = null;
  method = '';
  url = '';
  headers: Record<string, string> = {};
  withCredentials = false;
  status = 0;
  responseText = '';
  sent: unknown = null;
  aborted = false;
  upload: {
    onprogress: ((event: { lengthComputable: boolean; loaded: number; total: number }) => void) | null;
  } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  ontimeout: (() => void) | null = null;
  onabort: (() => void) | null = null;
  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send(body: unknown) {
    this.sent = body;
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  getResponseHeader() {
    return null;
  }
}

describe('the browser’s XMLHttpRequest uploader', () => {
  afterEach(() => {
    Reflect.deleteProperty(globalThis, 'XMLHttpRequest');
    FakeXhr.last = null;
  });

  const request = (over: Partial<UploadRequest> = {}) => {
    const progress: string[] = [];
    const controller = new AbortController();
    const file = new Blob(['abc'], { type: 'application/pdf' });
    const full: UploadRequest = {
      url: 'https://chat.example',
      auth: { kind: 'browser' },
      kind: 'file',
      file,
      fileName: 'a.pdf',
      signal: controller.signal,
      onProgress: (loaded, total) => progress.push(`${loaded}/${total}`),
      ...over,
    };
    return { full, progress, controller };
  };

  it('posts the file with the page’s cookie, reports progress as the bytes go, and reads the answer', async () => {
    (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = FakeXhr;
    const { full, progress } = request();
    const done = xhrUploader.upload(full);
    const xhr = FakeXhr.last!;
    expect([xhr.method, xhr.url, xhr.withCredentials]).toEqual(['POST', uploadUrl(full.url, 'file'), true]);
    expect((xhr.sent as FormData).get('file')).toBeInstanceOf(Blob);
    xhr.upload.onprogress?.({ lengthComputable: true, loaded: 100, total: 300 });
    xhr.status = 201;
    xhr.responseText = JSON.stringify({ upload: attachment });
    xhr.onload?.();
    expect(await done).toEqual({ ok: true, upload: attachment });
    expect(progress).toEqual(['0/3', '100/300', '3/3']);
  });

  it('sends a bot’s token as a bearer header, and ends as aborted when its signal aborts', async () => {
    (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = FakeXhr;
    const { full, controller } = request({ auth: { kind: 'bearer', token: 'pbt_x' } });
    const done = xhrUploader.upload(full);
    const xhr = FakeXhr.last!;
    expect([xhr.headers.authorization, xhr.withCredentials]).toEqual(['Bearer pbt_x', false]);
    controller.abort();
    expect(await done).toMatchObject({ ok: false, aborted: true });
    expect(xhr.aborted).toBe(true);
  });

  it('answers a lost connection as retryable', async () => {
    (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = FakeXhr;
    const done = xhrUploader.upload(request().full);
    FakeXhr.last!.onerror?.();
    expect(await done).toMatchObject({ ok: false, lost: true, error: { code: ErrorCode.Unavailable } });
  });
});
