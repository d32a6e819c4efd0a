import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ScaleRecord } from '../src/scale.js';

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

// Keeps `pnpm bench:scale` working: two processes behind one Redis deliver every acked message to
// every other member exactly once, wherever the member is connected. Never asserts a timing.
describe('pnpm bench:scale', () => {
  it('spreads connections over two processes, and every acked message reaches every other member once', async () => {
    const json = join(mkdtempSync(join(tmpdir(), 'parley-bench-scale-')), 'scale.json');
    await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=@parley/source',
        'src/scale.ts',
        '--targets',
        'sio×2 pub/sub,parley×2 redis',
        '--connections',
        '20',
        '--rates',
        '20',
        '--warmup',
        '0.5',
        '--duration',
        '1.5',
        '--drain',
        '3',
        '--from-source',
        '--json',
        json,
      ],
      { cwd: BENCH_DIR, maxBuffer: 10_000_000 },
    );
    const { records } = JSON.parse(readFileSync(json, 'utf8')) as { records: ScaleRecord[] };

    expect(records.map((record) => record.target)).toEqual(['sio×2 pub/sub', 'parley×2 redis']);
    for (const { target, load, connectionsHeld } of records) {
      const label = `${target}: ${JSON.stringify(load.refused)}`;
      expect(connectionsHeld, label).toBe(20);
      expect(load.sent, label).toBeGreaterThan(0);
      expect(load.acked, label).toBe(load.sent);
      expect(load.expectedDeliveries, label).toBeGreaterThan(0);
      expect(load.reach, label).toBe(1);
      expect(load.lost, label).toBe(0);
      expect(load.duplicates, label).toBe(0);
    }
  });
});
