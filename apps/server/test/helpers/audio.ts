import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** An audio format the fixtures are made in: ffmpeg's encoder arguments and the file's extension. */
export const AUDIO_FORMATS = {
  /** What Chrome and Firefox's MediaRecorder make. */
  webmOpus: { ext: 'webm', args: ['-c:a', 'libopus', '-b:a', '32k', '-f', 'webm'] },
  /** What Safari's MediaRecorder makes. */
  mp4Aac: { ext: 'm4a', args: ['-c:a', 'aac', '-b:a', '64k', '-f', 'mp4'] },
  oggOpus: { ext: 'ogg', args: ['-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg'] },
  mp3: { ext: 'mp3', args: ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'] },
} as const;

/**
 * A sine tone of `seconds` made by ffmpeg at test time (no binary fixtures kept in git). `streamed`:
 * written to a pipe, so the WebM header carries no duration, like Chrome's MediaRecorder output.
 * `hz` sets the pitch; a fade makes the waveform rise.
 */
export async function sineAudio(
  format: keyof typeof AUDIO_FORMATS,
  seconds: number,
  { streamed = false, hz = 440, fadeIn = false }: { streamed?: boolean; hz?: number; fadeIn?: boolean } = {},
): Promise<Buffer> {
  const { args } = AUDIO_FORMATS[format];
  const filters = fadeIn ? ['-af', `afade=t=in:d=${seconds}`] : [];
  const input = ['-f', 'lavfi', '-i', `sine=frequency=${hz}:sample_rate=48000:duration=${seconds}`];
  if (streamed) {
    const { stdout } = await run(
      'ffmpeg',
      ['-v', 'error', ...input, ...filters, '-ac', '1', ...args, 'pipe:1'],
      { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  }
  const dir = await mkdtemp(join(tmpdir(), 'parley-audio-'));
  try {
    const path = join(dir, `out.${AUDIO_FORMATS[format].ext}`);
    await run('ffmpeg', ['-v', 'error', ...input, ...filters, '-ac', '1', ...args, '-y', path]);
    return await readFile(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Duration (ms) of audio bytes as ffprobe reads them by decoding, for checking a rendition. */
export async function probeDurationMs(
  bytes: Buffer,
): Promise<{ durationMs: number; format: string; codec: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-audio-'));
  try {
    const path = join(dir, 'in');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, bytes);
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-print_format',
      'json',
      '-show_format',
      '-show_streams',
      path,
    ]);
    const probed = JSON.parse(stdout) as {
      format: { duration: string; format_name: string };
      streams: Array<{ codec_name: string }>;
    };
    return {
      durationMs: Number(probed.format.duration) * 1000,
      format: probed.format.format_name,
      codec: probed.streams[0]!.codec_name,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
