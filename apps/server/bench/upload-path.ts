/**
 * The upload path against sharp alone, in one run: a 4000×3000 photo-like JPEG (noise, so it
 * compresses like a photo, about 4 MB at quality 90) through
 *
 * - **Parley**: POST /api/uploads?kind=image on a real server (fresh database): multipart receive,
 *   type by bytes, header pixel check, one decode re-encoded to JPEG plus a WebP thumbnail, the
 *   placeholder, SHA-256 of each output, the blob rename and the row insert; answered 201.
 * - **sharp alone**: the same image work in-process on the same bytes (decode, rotate, JPEG at
 *   quality 85 and a 640-pixel WebP thumbnail from one decode): what no upload path can beat.
 *
 * Run: `pnpm --filter @parley/server bench:upload` (prints a Markdown table; ratios are the point).
 */
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { startTestServer } from '../test/helpers/server.js';
import { uploadFile } from '../test/helpers/uploads.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const WIDTH = 4000;
const HEIGHT = 3000;

const noise = randomBytes(WIDTH * HEIGHT * 3);
const photo = await sharp(noise, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
  .blur(1.5)
  .jpeg({ quality: 90 })
  .toBuffer();

async function sharpAlone(): Promise<void> {
  const oriented = sharp(photo, { failOn: 'error' }).rotate();
  await Promise.all([
    oriented.clone().jpeg({ quality: 85 }).toBuffer(),
    oriented.clone().resize(640, 640, { fit: 'inside' }).webp({ quality: 75 }).toBuffer(),
  ]);
}

const t = await startTestServer({ env: { UPLOAD_MAX_BYTES: String(64 * 1024 * 1024) } });
const user = await t.signUp();
async function parley(): Promise<void> {
  const answer = await uploadFile(t, user.cookie, 'image', photo, 'photo.jpg', 'image/jpeg');
  if (answer.status !== 201)
    throw new Error(`upload refused: ${answer.status} ${JSON.stringify(answer.body)}`);
}

async function measure(run: () => Promise<void>): Promise<number[]> {
  await run(); // warm-up
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

const print = (line: string) => process.stdout.write(`${line}\n`);
const median = (times: number[]) => times[Math.floor(times.length / 2)]!;
try {
  // Alternated, so drift on a shared machine falls on both.
  const alone = await measure(sharpAlone);
  const viaParley = await measure(parley);
  const aloneAgain = await measure(sharpAlone);
  const baseline = median([...alone, ...aloneAgain].sort((a, b) => a - b));
  const ours = median(viaParley);
  print(`JPEG ${WIDTH}×${HEIGHT}, ${(photo.length / 1024 / 1024).toFixed(1)} MB, ${ROUNDS} rounds each\n`);
  print('| path | median | fastest | slowest | ratio |');
  print('| --- | --- | --- | --- | --- |');
  print(
    `| sharp alone | ${baseline.toFixed(0)} ms | ${alone[0]!.toFixed(0)} ms | ${alone.at(-1)!.toFixed(0)} ms | 1.00 |`,
  );
  print(
    `| Parley upload | ${ours.toFixed(0)} ms | ${viaParley[0]!.toFixed(0)} ms | ${viaParley.at(-1)!.toFixed(0)} ms | ${(ours / baseline).toFixed(2)} |`,
  );
} finally {
  await t.close();
}
