/**
 * The voice upload path against ffmpeg alone, in one run: a 3-minute voice note recorded the way
 * Chrome records (WebM/Opus, 32 kbit/s mono, streamed so its header has no duration; speech-like:
 * a tone swept by noise-modulated loudness) through
 *
 * - **Parley**: POST /api/uploads?kind=voice on a real server (fresh database): multipart receive,
 *   type by bytes, ffprobe of the container and codec, one ffmpeg run decoding to 8 kHz PCM for the
 *   duration and the 64 peaks and encoding the AAC-in-MP4 rendition for Safari, SHA-256 of both
 *   files, the blob renames and the row insert; answered 201.
 * - **ffmpeg alone**: the same ffprobe and the same ffmpeg command (built by audio.ts's `probeArgs`
 *   and `decodeArgs`) on the same bytes from a local file, the PCM thrown away: what no upload path
 *   that checks and transcodes can beat.
 *
 * Run: `pnpm --filter @parley/server bench:voice` (prints a Markdown table; ratios are the point).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MAX_VOICE_DURATION_S } from '@parley/shared';
import { decodeArgs, probeArgs, runTool } from '../src/features/uploads/audio.js';
import { startTestServer } from '../test/helpers/server.js';
import { uploadFile } from '../test/helpers/uploads.js';

const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const SECONDS = 180;

const dir = await mkdtemp(join(tmpdir(), 'parley-bench-voice-'));
const notePath = join(dir, 'note.webm');
const { stdout: note } = await run(
  'ffmpeg',
  [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=220:sample_rate=48000:duration=${SECONDS}`,
    '-f',
    'lavfi',
    '-i',
    `anoisesrc=color=pink:sample_rate=48000:duration=${SECONDS}`,
    '-filter_complex',
    '[0][1]amix=inputs=2:weights=3 1,volume=0.5',
    '-ac',
    '1',
    '-c:a',
    'libopus',
    '-b:a',
    '32k',
    '-f',
    'webm',
    'pipe:1',
  ],
  { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
);
await writeFile(notePath, note);

/** The two commands Parley's voice check runs, built by the same functions, the PCM thrown away. */
async function ffmpegAlone(): Promise<void> {
  const probe = await runTool('ffprobe', probeArgs(notePath, 'matroska'), { timeoutMs: 60_000 });
  if (probe.code !== 0) throw new Error(`ffprobe failed: ${probe.stderr}`);
  const decode = await runTool(
    'ffmpeg',
    decodeArgs(notePath, 'matroska', {
      maxDurationMs: MAX_VOICE_DURATION_S * 1000,
      renditionPath: join(dir, 'out.m4a'),
    }),
    { timeoutMs: 600_000, onStdout: () => {} },
  );
  if (decode.code !== 0) throw new Error(`ffmpeg failed: ${decode.stderr}`);
}

const t = await startTestServer({ env: { UPLOAD_MAX_BYTES: String(64 * 1024 * 1024) } });
const user = await t.signUp();
async function parley(): Promise<void> {
  const answer = await uploadFile(t, user.cookie, 'voice', note, 'note.webm', 'audio/webm');
  if (answer.status !== 201)
    throw new Error(`upload refused: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/**
 * Both paths, one after the other in every round (which goes first alternates), after one warm-up
 * each: on a shared machine the load of any moment falls on both alike.
 */
async function measureBoth(): Promise<{ alone: number[]; viaParley: number[] }> {
  await ffmpegAlone();
  await parley();
  const alone: number[] = [];
  const viaParley: number[] = [];
  const timed = async (once: () => Promise<void>, into: number[]) => {
    const start = performance.now();
    await once();
    into.push(performance.now() - start);
    if (process.env.BENCH_VERBOSE)
      process.stderr.write(`${once.name} ${(performance.now() - start).toFixed(0)}\n`);
  };
  for (let round = 0; round < ROUNDS; round += 1) {
    if (round % 2 === 0) {
      await timed(ffmpegAlone, alone);
      await timed(parley, viaParley);
    } else {
      await timed(parley, viaParley);
      await timed(ffmpegAlone, alone);
    }
  }
  return { alone: alone.sort((a, b) => a - b), viaParley: viaParley.sort((a, b) => a - b) };
}

const print = (line: string) => process.stdout.write(`${line}\n`);
const median = (times: number[]) => times[Math.floor(times.length / 2)]!;
try {
  const { alone, viaParley } = await measureBoth();
  const baseline = median(alone);
  const ours = median(viaParley);
  print(`WebM/Opus ${SECONDS} s, ${(note.length / 1024).toFixed(0)} KB, ${ROUNDS} rounds each\n`);
  print('| path | median | fastest | slowest | ratio (medians) | ratio (fastest) |');
  print('| --- | --- | --- | --- | --- | --- |');
  print(
    `| ffmpeg alone | ${baseline.toFixed(0)} ms | ${alone[0]!.toFixed(0)} ms | ${alone.at(-1)!.toFixed(0)} ms | 1.00 | 1.00 |`,
  );
  print(
    `| Parley upload | ${ours.toFixed(0)} ms | ${viaParley[0]!.toFixed(0)} ms | ${viaParley.at(-1)!.toFixed(0)} ms | ${(ours / baseline).toFixed(2)} | ${(viaParley[0]! / alone[0]!).toFixed(2)} |`,
  );
  const stored = await readFile(notePath);
  if (stored.length !== note.length) throw new Error('the note changed');
} finally {
  await t.close();
  await rm(dir, { recursive: true, force: true });
}
