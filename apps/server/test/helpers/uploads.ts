import { request as httpRequest } from 'node:http';
import { deflateSync, crc32 } from 'node:zlib';
import type { ErrorResponse, UploadKind, UploadResponse } from '@parley/shared';
import sharp from 'sharp';
import type { TestServer } from './server.js';

/** One part of a hand-made multipart/form-data body (RFC 7578), header bytes exactly as given. */
export interface FormPart {
  name: string;
  /** Present for a file part: written as is into `filename="…"`, so tests can send hostile names. */
  fileName?: string;
  contentType?: string;
  body: Buffer | string;
}

export const BOUNDARY = '----parley-test-boundary-7d1f';

/** A multipart body built by hand, so tests control every byte (names, part counts, truncation). */
export function multipartBody(parts: FormPart[], { close = true } = {}): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition =
      part.fileName === undefined
        ? `form-data; name="${part.name}"`
        : `form-data; name="${part.name}"; filename="${part.fileName}"`;
    const headers = [`Content-Disposition: ${disposition}`];
    if (part.contentType) headers.push(`Content-Type: ${part.contentType}`);
    // UTF-8, as browsers send names (RFC 7578 §4.2).
    chunks.push(Buffer.from(`--${BOUNDARY}\r\n${headers.join('\r\n')}\r\n\r\n`, 'utf8'));
    chunks.push(Buffer.isBuffer(part.body) ? part.body : Buffer.from(part.body));
    chunks.push(Buffer.from('\r\n'));
  }
  if (close) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

export interface UploadAnswer {
  status: number;
  body: UploadResponse & ErrorResponse;
}

/** POSTs a raw multipart body to /api/uploads?kind=… as `cookie`. */
export async function postUpload(
  t: TestServer,
  cookie: string | null,
  kind: UploadKind,
  body: Buffer,
): Promise<UploadAnswer> {
  const response = await fetch(`${t.url}/api/uploads?kind=${kind}`, {
    method: 'POST',
    headers: {
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      ...(cookie ? { cookie } : {}),
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as UploadAnswer['body'] };
}

/** Uploads one file part named `file`. */
export function uploadFile(
  t: TestServer,
  cookie: string | null,
  kind: UploadKind,
  bytes: Buffer | string,
  fileName = 'file.bin',
  contentType = 'application/octet-stream',
): Promise<UploadAnswer> {
  return postUpload(t, cookie, kind, multipartBody([{ name: 'file', fileName, contentType, body: bytes }]));
}

/**
 * Sends a request whose body stops short of its Content-Length and then ends the connection: the
 * server sees a multipart body cut off mid-file. Resolves with the status, or 0 when the server
 * closed without answering.
 */
export function postTruncated(
  t: TestServer,
  cookie: string,
  kind: UploadKind,
  body: Buffer,
): Promise<number> {
  const url = new URL(`${t.url}/api/uploads?kind=${kind}`);
  return new Promise((resolve) => {
    const request = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: {
          cookie,
          'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
          'content-length': String(body.length * 2),
        },
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', () => resolve(0));
    request.write(body, () => request.socket?.end());
  });
}

/**
 * GETs a variant of an upload; the body as bytes. On a connection of its own (`connection: close`):
 * Node's HTTP server did not count a kept-alive connection whose last response was a file stream as
 * idle when Fastify closed, so the test server's close waited for the keep-alive timeout.
 */
export async function fetchUpload(
  t: TestServer,
  cookie: string | null,
  id: string,
  variant = 'content',
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const response = await fetch(`${t.url}/api/uploads/${id}/${variant}`, {
    headers: { ...headers, ...(cookie ? { cookie } : {}), connection: 'close' },
  });
  return {
    status: response.status,
    headers: response.headers,
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

/** A small photo-like JPEG whose EXIF says: rotate 90° clockwise (orientation 6), with GPS and a camera model. */
export function jpegWithExif(width = 64, height = 32): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 40 } } })
    .withExif({
      IFD0: { Make: 'ParleyCam', Model: 'Secret Model 7' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '51/1 30/1 0/1',
        GPSLongitudeRef: 'W',
        GPSLongitude: '0/1 7/1 0/1',
      },
    })
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer();
}

export function smallImage(
  format: 'png' | 'webp' | 'gif' | 'jpeg',
  width = 48,
  height = 24,
): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 20, g: 120, b: 220 } } })
    .toFormat(format)
    .toBuffer();
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData) >>> 0);
  return Buffer.concat([length, typeAndData, crc]);
}

/**
 * A decompression bomb: a valid PNG of a few hundred bytes whose header declares `width`×`height`
 * pixels (its one compressed row of zeros would expand to gigabytes if decoding went on).
 */
export function pngBomb(width = 60_000, height = 60_000): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(0, 9); // greyscale
  const row = Buffer.alloc(1 + width); // filter byte + one row of black
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(row, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A tiny PDF with the magic bytes and structure file-type recognises. */
export const PDF_BYTES = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);
