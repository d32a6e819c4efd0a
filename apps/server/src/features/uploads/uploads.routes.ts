import multipart from '@fastify/multipart';
import {
  ErrorCode,
  uploadIdSchema,
  uploadQuerySchema,
  uploadResponseSchema,
  uploadVariantSchema,
  type UploadKind,
} from '@parley/shared';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { combineRanges, parse as parseRange, type Range } from 'range-parser';
import { z } from 'zod';
import { AppError } from '../../lib/app-error.js';
import { requireSignedIn, requireUserId } from '../auth/require-user.js';
import type { BlobStorage } from './blob-storage.js';
import { dispositionHeader } from './file-names.js';
import type { UploadGate } from './upload-gate.js';
import type { ReceivedFile } from './upload-pipeline.js';
import { formatMegabytes, type ServableBlob, type UploadsService } from './uploads.service.js';

export interface UploadLimits {
  /** Bytes one file may have (UPLOAD_MAX_BYTES). */
  maxBytes: number;
}

export interface UploadsRoutesOptions {
  uploads: UploadsService;
  storage: BlobStorage;
  limits: UploadLimits;
  /** Places for uploads in progress (upload-gate.ts): a full gate answers 503 `server/busy`. */
  gate: Pick<UploadGate, 'admit'>;
}

/** Types served inline (shown or played by the page); everything else is a download. */
const INLINE_TYPES = /^(image\/(jpeg|png|webp|gif)|audio\/[a-z0-9.+-]+)$/;

/**
 * Media responses are never documents: no script, no plugin, no frame, even if a browser were made
 * to open one as a page (OWASP File Upload Cheat Sheet; the `sandbox` directive, CSP Level 2).
 */
const MEDIA_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

const NOT_MULTIPART = 'Send the file as multipart/form-data';

/**
 * @fastify/multipart's and busboy's refusals under Parley's codes, with a message a person can act on.
 * Limits reached are 413; a body that ends before its closing boundary is 400.
 */
function multipartError(error: unknown, limits: UploadLimits): unknown {
  if (error instanceof AppError) return error;
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new AppError(
        ErrorCode.PayloadTooLarge,
        `The file is larger than the ${formatMegabytes(limits.maxBytes)} limit`,
      );
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new AppError(ErrorCode.PayloadTooLarge, 'An upload carries one file and nothing else');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new AppError(ErrorCode.Invalid, NOT_MULTIPART);
    case 'FST_MP_PREMATURE_CLOSE':
      return new AppError(ErrorCode.Invalid, 'The upload was cut off before the whole file arrived');
    case 'FST_PROTO_VIOLATION':
      return new AppError(ErrorCode.Invalid, 'A form field has a name that is not allowed');
  }
  const message = error instanceof Error ? error.message : '';
  if (
    /Unexpected end of (form|multipart data)|Part terminated early|Malformed part header|Multipart: Boundary not found/i.test(
      message,
    )
  ) {
    return new AppError(
      ErrorCode.Invalid,
      'The upload was cut off or malformed before the whole file arrived',
    );
  }
  return error;
}

const uploadsRoutes: FastifyPluginAsync<UploadsRoutesOptions> = async (
  fastify,
  { uploads, storage, limits, gate },
) => {
  const multipartOptions = {
    throwFileSizeLimit: true,
    // Browsers send file names as raw UTF-8 (RFC 7578 §4.2); busboy would read them as Latin-1.
    defParamCharset: 'utf8' as const,
    // One part, the file: a caption travels with the message, not the upload.
    limits: {
      fileSize: limits.maxBytes,
      files: 1,
      parts: 1,
      fields: 0,
      fieldNameSize: 100,
      fieldSize: 0,
      headerPairs: 20,
    },
  };
  // Only multipart bodies are parsed here: the app's JSON parser is dropped in this scope, and a body
  // of any other type is refused 415 before a byte of it is read (or the upload gate is entered).
  fastify.removeAllContentTypeParsers();
  // Registered here, so only this plugin's routes parse multipart bodies. (The options are passed
  // through to busboy, whose `defParamCharset` not every workspace package's view of the types knows.)
  await fastify.register(multipart, multipartOptions);
  fastify.addContentTypeParser('*', (_request, _payload, done) => {
    done(new AppError(ErrorCode.UnsupportedMediaType, NOT_MULTIPART), undefined);
  });
  const routes = fastify.withTypeProvider<ZodTypeProvider>();
  // Every route here needs a signed-in caller: 401 before validation (features/auth/require-user.ts).
  routes.addHook('onRequest', requireSignedIn);

  routes.post(
    '/api/uploads',
    {
      schema: { querystring: uploadQuerySchema, response: { 201: uploadResponseSchema } },
    },
    async (request, reply) => {
      const userId = requireUserId(request);
      // A body of another type never gets here; this is a request without one.
      if (!request.isMultipart()) throw new AppError(ErrorCode.Invalid, NOT_MULTIPART);
      // Before a byte of the body is read; held until the upload is stored or refused.
      const release = gate.admit(userId);
      try {
        return await receiveAndAccept(request, reply, userId, request.query.kind);
      } finally {
        release();
      }
    },
  );

  async function receiveAndAccept(
    request: FastifyRequest,
    reply: FastifyReply,
    userId: number,
    kind: UploadKind,
  ): Promise<FastifyReply> {
    let received: ReceivedFile | null = null;
    try {
      for await (const part of request.parts()) {
        if (part.type === 'field') {
          throw new AppError(
            ErrorCode.Invalid,
            `Unexpected form field "${part.fieldname}": send only the file`,
          );
        }
        received = await uploads.receive(part.file, part.filename, {
          truncated: () => part.file.truncated,
          maxBytes: limits.maxBytes,
        });
      }
    } catch (error) {
      if (received) await uploads.discard(received);
      request.log.debug({ err: error }, 'upload refused while receiving');
      throw multipartError(error, limits);
    }
    if (!received) throw new AppError(ErrorCode.UploadEmpty, 'The form has no file');
    const upload = await uploads.accept(userId, kind, received);
    return reply.code(201).send({ upload });
  }

  routes.get(
    '/api/uploads/:id/:variant',
    { schema: { params: z.strictObject({ id: uploadIdSchema, variant: uploadVariantSchema }) } },
    async (request, reply) => {
      const userId = requireUserId(request);
      const blob = await uploads.servable(userId, request.params.id, request.params.variant);
      return serveBlob(storage, blob, request.headers, reply);
    },
  );
};

/**
 * Serves a blob: the server's Content-Type with `nosniff`, a Content-Disposition that only lets
 * images and audio show inline (RFC 6266 names, RFC 5987 for non-ASCII), private immutable caching
 * (the key is the content's hash, so the ETag never changes), and single byte ranges (RFC 9110 §14)
 * so audio and video seek. Several ranges at once are answered with the whole body, as §14.2 allows.
 */
async function serveBlob(
  storage: BlobStorage,
  blob: ServableBlob,
  headers: { range?: string; 'if-none-match'?: string },
  reply: FastifyReply,
): Promise<FastifyReply> {
  const size = await storage.size(blob.key);
  if (size === null) throw new AppError(ErrorCode.UploadNotFound, 'No such file');
  const etag = `"${blob.key}"`;
  const inline = blob.kind !== 'file' && INLINE_TYPES.test(blob.mime);
  void reply
    .header('content-type', blob.mime)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', MEDIA_CSP)
    .header('content-disposition', dispositionHeader(blob.fileName, inline ? 'inline' : 'attachment'))
    // Private: only members may read it, so no shared cache may keep it.
    .header('cache-control', 'private, max-age=31536000, immutable')
    .header('etag', etag)
    .header('accept-ranges', 'bytes');
  if (matchesEtag(headers['if-none-match'], etag)) return reply.code(304).send();
  const range = headers.range ? singleRange(size, headers.range) : 'whole';
  if (range === 'unsatisfiable') {
    void reply.header('content-range', `bytes */${size}`);
    throw new AppError(ErrorCode.RangeNotSatisfiable, `The range is outside the file's ${size} bytes`);
  }
  if (range !== 'whole') {
    return reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
      .header('content-length', String(range.end - range.start + 1))
      .send(storage.read(blob.key, range));
  }
  return reply.header('content-length', String(size)).send(storage.read(blob.key));
}

/**
 * Whether an If-None-Match header names `etag` (RFC 9110 §13.1.2): `*`, or a comma-separated list
 * holding it, compared weakly (a `W/` prefix is ignored), as browsers and caches send it.
 */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}

/**
 * What a Range header asks of `size` bytes: one range, the whole body (no header, a malformed one or
 * a unit other than bytes, which §14.2 says to ignore, or several ranges), or nothing satisfiable.
 */
function singleRange(size: number, header: string): Range | 'whole' | 'unsatisfiable' {
  const parsed = parseRange(size, header);
  if (parsed.type !== 'bytes' || (parsed.code & 1) !== 0) return 'whole';
  if (parsed.ranges.length === 0) return 'unsatisfiable';
  const combined = combineRanges(parsed.ranges);
  return combined.length === 1 ? { start: combined[0]!.start, end: combined[0]!.end } : 'whole';
}

export default uploadsRoutes;
