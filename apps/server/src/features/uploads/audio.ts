import { spawn } from 'node:child_process';
import { ErrorCode, VOICE_WAVEFORM_PEAKS, type AudioStatus, type ExternalTool } from '@parley/shared';
import { AppError } from '../../lib/app-error.js';

/**
 * Audio through ffmpeg and ffprobe (Debian's `ffmpeg` package), for voice messages.
 *
 * Both programs are spawned with an argument array, never through a shell, with a timeout (the
 * child is killed past it) and bounded output. The input's demuxer is always forced (`-f`) from the
 * container its magic bytes name, and only the `file` and `pipe` protocols are allowed, so an upload
 * cannot make ffmpeg read a playlist (HLS, concat) that points at other files or URLs.
 */

/** ffprobe answers about one file's header within this (ms). */
const PROBE_TIMEOUT_MS = 10_000;
/** One decode (and rendition) of at most MAX_VOICE_DURATION_S of audio must finish within this (ms). */
const DECODE_TIMEOUT_MS = 120_000;
/** `-version` within this (ms). */
const VERSION_TIMEOUT_MS = 5_000;
/** Bytes of ffprobe's JSON kept at most; a voice file's is a few kilobytes. */
const MAX_PROBE_OUTPUT = 256 * 1024;
/** Characters of stderr kept for error messages (the last ones, where ffmpeg says what failed). */
const MAX_STDERR = 4_096;
/** The decoded PCM the waveform is read from: mono, 16-bit, at this rate (Hz). */
const PEAK_SAMPLE_RATE = 8_000;
/** The waveform is built from the loudest sample of each 10 ms block. */
const BLOCK_SAMPLES = PEAK_SAMPLE_RATE / 100;
/** A recording may pass the limit by this much (ms): a recorder stopped at the limit ends a frame late. */
export const DURATION_GRACE_MS = 1_000;

/**
 * The containers a voice message may come in, by file-type's extension (the magic bytes), each with
 * the ffmpeg demuxer forced for it, the codecs accepted inside, and the MIME type it is served as.
 * What browsers record: Chrome, Edge and Firefox WebM/Opus (Firefox also Ogg/Opus), Safari MP4/AAC.
 * What people attach from a phone: M4A (AAC), MP3, WAV. `everywhere`: codecs in this container that
 * current Chrome, Firefox and Safari all play; any other accepted codec gets an AAC-in-MP4 rendition
 * (Safari plays neither WebM/Opus reliably nor Ogg at all).
 */
const CONTAINERS = {
  webm: { demuxer: 'matroska', mime: 'audio/webm', codecs: ['opus', 'vorbis'], everywhere: [] },
  mkv: { demuxer: 'matroska', mime: 'audio/webm', codecs: ['opus', 'vorbis'], everywhere: [] },
  ogg: { demuxer: 'ogg', mime: 'audio/ogg', codecs: ['opus', 'vorbis'], everywhere: [] },
  opus: { demuxer: 'ogg', mime: 'audio/ogg', codecs: ['opus'], everywhere: [] },
  oga: { demuxer: 'ogg', mime: 'audio/ogg', codecs: ['opus', 'vorbis'], everywhere: [] },
  mp4: { demuxer: 'mov', mime: 'audio/mp4', codecs: ['aac', 'opus', 'mp3'], everywhere: ['aac', 'mp3'] },
  m4a: { demuxer: 'mov', mime: 'audio/mp4', codecs: ['aac', 'opus', 'mp3'], everywhere: ['aac', 'mp3'] },
  mp3: { demuxer: 'mp3', mime: 'audio/mpeg', codecs: ['mp3'], everywhere: ['mp3'] },
  wav: {
    demuxer: 'wav',
    mime: 'audio/wav',
    codecs: ['pcm_s16le', 'pcm_s24le', 'pcm_f32le', 'pcm_u8'],
    everywhere: ['pcm_s16le', 'pcm_s24le', 'pcm_f32le', 'pcm_u8'],
  },
} as const satisfies Record<
  string,
  { demuxer: string; mime: string; codecs: readonly string[]; everywhere: readonly string[] }
>;
type ContainerExtension = keyof typeof CONTAINERS;

/** The renditions Parley makes, as /readyz and the admin console list them. */
export const RENDITIONS = [
  { from: 'audio/webm (Opus)', to: 'audio/mp4 (AAC)', for: 'Safari' },
  { from: 'audio/ogg (Opus, Vorbis)', to: 'audio/mp4 (AAC)', for: 'Safari' },
  { from: 'audio/mp4 (Opus)', to: 'audio/mp4 (AAC)', for: 'Safari' },
] as const;

/** The MIME type of every rendition. */
export const PLAYABLE_MIME = 'audio/mp4';

export interface AudioToolsOptions {
  /** FFMPEG_PATH: a command name looked up on PATH, or a path. */
  ffmpegPath: string;
  /** FFPROBE_PATH. */
  ffprobePath: string;
  /** How long a check of both programs is reused before they are run again (ms). */
  statusTtlMs?: number;
}

/** What ffprobe says of an accepted voice file. */
export interface ProbedAudio {
  /** The MIME type it is served as (CONTAINERS). */
  mime: string;
  /** The ffmpeg demuxer its magic bytes named, forced when it is decoded. */
  demuxer: string;
  /** The audio codec ffprobe names, e.g. "opus". */
  codec: string;
  /** From the container's header; null when it has none (Chrome's MediaRecorder writes none in WebM). */
  durationMs: number | null;
  /** False when some current browser cannot play it: a rendition is needed. */
  playsEverywhere: boolean;
}

/** One decode: how long the audio really is, and its waveform. */
export interface DecodedAudio {
  durationMs: number;
  /** VOICE_WAVEFORM_PEAKS values 0..1 (fewer for audio shorter than that many 10 ms blocks). */
  peaks: number[];
}

/** A program that could not be started at all (ENOENT, EACCES): ffmpeg is not installed there. */
export class ToolMissingError extends Error {
  override name = 'ToolMissingError';
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
}

interface RunOptions {
  timeoutMs: number;
  /** Bytes of stdout kept (the rest is dropped and `overflow` set); ignored when `onStdout` is given. */
  maxStdout?: number;
  /** Stdout handed over chunk by chunk instead of being kept. */
  onStdout?: (chunk: Buffer) => void;
}

/**
 * Runs `command args…` without a shell. Resolves with its exit, output and whether it was killed for
 * taking longer than `timeoutMs`; rejects with ToolMissingError when it cannot be started.
 */
export function runTool(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    const chunks: Buffer[] = [];
    let kept = 0;
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (options.onStdout) return options.onStdout(chunk);
      const room = (options.maxStdout ?? MAX_PROBE_OUTPUT) - kept;
      if (room <= 0) return;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      chunks.push(part);
      kept += part.length;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(-MAX_STDERR);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT' || error.code === 'EACCES') {
        reject(
          new ToolMissingError(`${command}: ${error.code === 'ENOENT' ? 'not found' : 'not executable'}`),
        );
      } else {
        reject(error);
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(chunks), stderr: stderr.trim(), timedOut });
    });
  });
}

/**
 * The last line ffmpeg wrote to stderr, for a message; ffmpeg names the failing part there. It names
 * files by their paths (`file:/…/uploads/tmp/…: Invalid data…`), which are the server's business: each
 * of `paths` (with its `file:` prefix) is put as "the recording". People read these messages
 * (upload/unreadable).
 */
function lastLine(stderr: string, paths: readonly string[] = []): string {
  let line = stderr.split('\n').filter(Boolean).at(-1) ?? 'no detail';
  for (const path of paths)
    line = line.replaceAll(`file:${path}`, 'the recording').replaceAll(path, 'the recording');
  return line;
}

function unreadable(detail: string): AppError {
  return new AppError(ErrorCode.UploadUnreadable, `The recording cannot be decoded (${detail})`);
}

function isContainerExtension(ext: string): ext is ContainerExtension {
  return Object.hasOwn(CONTAINERS, ext);
}

/**
 * The ffprobe arguments that read the header of the file at `path` with the ffmpeg demuxer `demuxer`
 * forced (CONTAINERS), as JSON on stdout (`-show_format -show_streams`). Only the `file` protocol is
 * allowed. Used by the voice check and by bench/voice-path.ts, so the bench times the same command.
 */
export function probeArgs(path: string, demuxer: string): string[] {
  return [
    '-hide_banner',
    '-v',
    'error',
    '-protocol_whitelist',
    'file',
    '-f',
    demuxer,
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    'file:' + path,
  ];
}

/**
 * The ffmpeg arguments of one voice decode of the file at `path` (demuxer `demuxer` forced): the
 * first audio stream as 8 kHz mono signed 16-bit little-endian PCM on stdout, decoding stopped
 * `maxDurationMs` plus DURATION_GRACE_MS plus one second in (so an over-long file is seen as such
 * without decoding all of it), and, when `renditionPath` is given, in the same run an AAC-in-MP4
 * rendition there (mono, 24 kHz, 48 kbit/s, metadata dropped, `faststart`; overwritten if present).
 * Only the `file` and `pipe` protocols are allowed. Used by the voice processor and by
 * bench/voice-path.ts, so the bench times the same command.
 */
export function decodeArgs(
  path: string,
  demuxer: string,
  { maxDurationMs, renditionPath }: { maxDurationMs: number; renditionPath?: string },
): string[] {
  const limitS = (maxDurationMs + DURATION_GRACE_MS) / 1000 + 1;
  const args = [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-protocol_whitelist',
    'file,pipe',
    '-f',
    demuxer,
    '-t',
    limitS.toFixed(3),
    '-i',
    'file:' + path,
    '-map',
    '0:a:0',
    '-ac',
    '1',
    '-ar',
    String(PEAK_SAMPLE_RATE),
    '-f',
    's16le',
    'pipe:1',
  ];
  if (renditionPath) {
    args.push(
      '-map',
      '0:a:0',
      '-map_metadata',
      '-1',
      '-ac',
      '1',
      '-ar',
      '24000',
      '-c:a',
      'aac',
      '-b:a',
      '48k',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      '-y',
      'file:' + renditionPath,
    );
  }
  return args;
}

/**
 * The waveform of decoded audio: `blockPeaks` (the loudest sample of each 10 ms, 0..32768) split in
 * `count` equal slices, each slice's loudest block, divided by the loudest of all (so a quiet
 * recording still fills the height); silence is all zeros. Values rounded to 3 decimals.
 */
export function waveformPeaks(blockPeaks: ArrayLike<number>, count = VOICE_WAVEFORM_PEAKS): number[] {
  const length = blockPeaks.length;
  const slices = Math.min(count, length);
  const peaks: number[] = [];
  for (let slice = 0; slice < slices; slice += 1) {
    const start = Math.floor((slice * length) / slices);
    const end = Math.max(start + 1, Math.floor(((slice + 1) * length) / slices));
    let max = 0;
    for (let i = start; i < end; i += 1) max = Math.max(max, blockPeaks[i]!);
    peaks.push(max);
  }
  const loudest = Math.max(0, ...peaks);
  return peaks.map((peak) => (loudest === 0 ? 0 : Math.round((peak / loudest) * 1000) / 1000));
}

export type AudioTools = ReturnType<typeof createAudioTools>;

/** ffprobe, ffmpeg and their status, for the voice processor, /readyz and the admin console. */
export function createAudioTools({ ffmpegPath, ffprobePath, statusTtlMs = 60_000 }: AudioToolsOptions) {
  let cached: { at: number; status: Promise<ToolsStatus> } | null = null;

  async function version(command: string): Promise<ExternalTool> {
    try {
      const run = await runTool(command, ['-hide_banner', '-version'], {
        timeoutMs: VERSION_TIMEOUT_MS,
        maxStdout: 4_096,
      });
      if (run.timedOut) return { path: command, available: false, version: null, error: 'timed out' };
      const first = run.stdout.toString('utf8').split('\n')[0]?.trim() ?? '';
      if (run.code !== 0 || !/ version /.test(first)) {
        return { path: command, available: false, version: null, error: lastLine(run.stderr || first) };
      }
      return { path: command, available: true, version: first.replace(/ Copyright.*$/, ''), error: null };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { path: command, available: false, version: null, error: message };
    }
  }

  interface ToolsStatus {
    ffmpeg: ExternalTool;
    ffprobe: ExternalTool;
  }

  /** Runs `-version` of both, at most once per `statusTtlMs`. */
  function tools(): Promise<ToolsStatus> {
    const now = Date.now();
    if (!cached || now - cached.at > statusTtlMs) {
      cached = {
        at: now,
        status: Promise.all([version(ffmpegPath), version(ffprobePath)]).then(([ffmpeg, ffprobe]) => ({
          ffmpeg,
          ffprobe,
        })),
      };
    }
    return cached.status;
  }

  return {
    /** Whether voice uploads can be checked, and which renditions can be made (cached). */
    async status(maxVoiceDurationS: number): Promise<AudioStatus> {
      const { ffmpeg, ffprobe } = await tools();
      const voiceUploads = ffmpeg.available && ffprobe.available;
      return {
        ffmpeg,
        ffprobe,
        voiceUploads,
        maxVoiceDurationS,
        renditions: RENDITIONS.map((rendition) => ({ ...rendition, available: voiceUploads })),
      };
    },

    /** Throws `upload/voice_unavailable` naming the program that cannot run. */
    async requireAvailable(): Promise<void> {
      const { ffmpeg, ffprobe } = await tools();
      const missing = [ffmpeg, ffprobe].filter((tool) => !tool.available);
      if (missing.length > 0) {
        throw new AppError(
          ErrorCode.UploadVoiceUnavailable,
          `Voice messages are unavailable on this server: ${missing.map((tool) => `${tool.path} (${tool.error})`).join(', ')}`,
        );
      }
    },

    /**
     * Reads the header of a file whose magic bytes named `ext`: it must hold an audio stream in a
     * codec accepted for that container, and no video other than cover art.
     * Errors: `upload/unsupported_type` (not an accepted container or codec, no audio, video),
     * `upload/unreadable` (ffprobe cannot read it: truncated, corrupt).
     */
    async probe(path: string, ext: string | undefined): Promise<ProbedAudio> {
      if (ext === undefined || !isContainerExtension(ext)) {
        throw new AppError(
          ErrorCode.UploadUnsupportedType,
          `A voice message must be WebM, Ogg, MP4/M4A, MP3 or WAV audio; this file is ${ext ?? 'not a known audio type'}`,
        );
      }
      const container = CONTAINERS[ext];
      const run = await runOrMissing(ffprobePath, probeArgs(path, container.demuxer), {
        timeoutMs: PROBE_TIMEOUT_MS,
        maxStdout: MAX_PROBE_OUTPUT,
      });
      if (run.timedOut) throw unreadable('reading its header took too long');
      if (run.code !== 0) throw unreadable(lastLine(run.stderr, [path]));
      let probed: FfprobeOutput;
      try {
        probed = JSON.parse(run.stdout.toString('utf8')) as FfprobeOutput;
      } catch {
        throw unreadable('no header');
      }
      const streams = probed.streams ?? [];
      const audio = streams.find((stream) => stream.codec_type === 'audio');
      const video = streams.some(
        (stream) => stream.codec_type === 'video' && stream.disposition?.attached_pic !== 1,
      );
      if (!audio || video) {
        throw new AppError(
          ErrorCode.UploadUnsupportedType,
          video ? 'A voice message must be audio only; this file has video' : 'This file holds no audio',
        );
      }
      const codec = audio.codec_name ?? 'unknown';
      if (!(container.codecs as readonly string[]).includes(codec)) {
        throw new AppError(
          ErrorCode.UploadUnsupportedType,
          `A voice message in ${container.mime} must be ${container.codecs.join(' or ')}; this one is ${codec}`,
        );
      }
      const seconds = Number(probed.format?.duration);
      return {
        mime: container.mime,
        demuxer: container.demuxer,
        codec,
        durationMs: Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : null,
        playsEverywhere: (container.everywhere as readonly string[]).includes(codec),
      };
    },

    /**
     * Decodes the first audio stream once: to 8 kHz mono PCM for the duration and the waveform, and,
     * when `renditionPath` is given, to AAC in MP4 (48 kbit/s mono at 24 kHz, plenty for speech and a
     * quarter less encoding than 48 kHz; `faststart` so playback starts
     * before the whole file arrives) in the same run. Decoding stops past `maxDurationMs` plus a second.
     * Errors: `upload/too_long` past `maxDurationMs` (plus DURATION_GRACE_MS), `upload/unreadable`
     * when ffmpeg fails or decodes no audio at all.
     */
    async decode(
      path: string,
      probed: ProbedAudio,
      { maxDurationMs, renditionPath }: { maxDurationMs: number; renditionPath?: string },
    ): Promise<DecodedAudio> {
      const blockPeaks: number[] = [];
      let blockMax = 0;
      let blockFill = 0;
      let odd: Buffer | null = null;
      const onStdout = (chunk: Buffer) => {
        const data: Buffer = odd ? Buffer.concat([odd, chunk]) : chunk;
        const whole = data.length - (data.length % 2);
        odd = whole < data.length ? data.subarray(whole) : null;
        for (let offset = 0; offset < whole; offset += 2) {
          const sample = Math.abs(data.readInt16LE(offset));
          if (sample > blockMax) blockMax = sample;
          blockFill += 1;
          if (blockFill === BLOCK_SAMPLES) {
            blockPeaks.push(blockMax);
            blockMax = 0;
            blockFill = 0;
          }
        }
      };
      const args = decodeArgs(path, probed.demuxer, { maxDurationMs, renditionPath });
      const run = await runOrMissing(ffmpegPath, args, { timeoutMs: DECODE_TIMEOUT_MS, onStdout });
      if (run.timedOut) throw unreadable('decoding took too long');
      if (run.code !== 0)
        throw unreadable(lastLine(run.stderr, renditionPath ? [path, renditionPath] : [path]));
      if (blockFill > 0) blockPeaks.push(blockMax);
      const samples = (blockPeaks.length - (blockFill > 0 ? 1 : 0)) * BLOCK_SAMPLES + blockFill;
      const durationMs = Math.round((samples * 1000) / PEAK_SAMPLE_RATE);
      if (durationMs === 0) throw unreadable('it holds no audio');
      if (durationMs > maxDurationMs + DURATION_GRACE_MS) {
        throw new AppError(
          ErrorCode.UploadTooLong,
          `A voice message may last ${formatSeconds(maxDurationMs)}; this one is longer`,
        );
      }
      return { durationMs, peaks: waveformPeaks(blockPeaks) };
    },
  };

  async function runOrMissing(command: string, args: string[], options: RunOptions): Promise<RunResult> {
    try {
      return await runTool(command, args, options);
    } catch (error) {
      if (error instanceof ToolMissingError) {
        cached = null;
        throw new AppError(
          ErrorCode.UploadVoiceUnavailable,
          `Voice messages are unavailable on this server: ${error.message}`,
        );
      }
      throw error;
    }
  }
}

/** "5 minutes", "90 seconds": how the limit reads in a message. */
export function formatSeconds(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds % 60 === 0 ? `${seconds / 60} minute${seconds === 60 ? '' : 's'}` : `${seconds} seconds`;
}

/** The parts of `ffprobe -print_format json -show_format -show_streams` read here. */
interface FfprobeOutput {
  streams?: Array<{
    codec_type?: string;
    codec_name?: string;
    disposition?: { attached_pic?: number };
  }>;
  format?: { duration?: string };
}
