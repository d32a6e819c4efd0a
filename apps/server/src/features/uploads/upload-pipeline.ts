import type { UploadKind } from '@parley/shared';

/** A file as it arrived, written to the local disk; nothing about it is trusted yet. */
export interface ReceivedFile {
  /** Local path of the bytes as received. */
  path: string;
  byteSize: number;
  /** The uploader's name for it, already cleaned (file-names.ts). */
  fileName: string;
  /** The type told by the bytes (file-type's magic numbers), or undefined when they tell none. */
  detected: { ext: string; mime: string } | undefined;
}

/** A local file a processor wrote (or the received one), to be stored under its content hash. */
export interface ProducedFile {
  path: string;
  /** The MIME type it is served with. */
  mime: string;
}

/**
 * What a processor made of a received file: the content to store and serve, any derived files, and
 * the columns of the upload row. Every MIME type here is the server's choice, never the client's.
 */
export interface ProcessedUpload {
  content: ProducedFile;
  thumbnail?: ProducedFile;
  /** Voice: a rendition every browser plays, when the recording is not one. */
  playable?: ProducedFile;
  width?: number;
  height?: number;
  placeholder?: string;
  durationMs?: number;
  waveform?: number[];
}

export interface ProcessorTools {
  /** A fresh local path for a file the processor writes; the service stores or discards it. */
  temporaryPath(): Promise<string>;
}

/**
 * One step per kind: checks the received bytes and makes what is stored. Throws AppError with a
 * stable `upload/*` code for anything it refuses. Kinds with no processor are refused as
 * `upload/unsupported_type`, so a kind is switched on by adding its processor (voice: audio.ts).
 */
export type UploadProcessor = (file: ReceivedFile, tools: ProcessorTools) => Promise<ProcessedUpload>;

export type UploadProcessors = Partial<Record<UploadKind, UploadProcessor>>;
