import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../src/bench.js';

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Keeps the harness working; asserts completeness and correctness of what was delivered, never a timing.
describe('pnpm bench --smoke', () => {
  it('runs all three servers and every acked message reaches every other member exactly once', async () => {
    const json = join(mkdtempSync(join(tmpdir(), 'parley-bench-')), 'smoke.json');
    await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--conditions=@parley/source', 'src/cli.ts', '--smoke', '--json', json],
      { cwd: BENCH_DIR, maxBuffer: 10_000_000 },
    );
    const result = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;

    expect(result.runs.map((run) => run.server)).toEqual(['p0', 'p1', 'parley']);
    expectEveryMessageDelivered(result);
    // The counters the instrument keeps inside each server: every server sends through the kernel,
    // and Parley's stored messages went to the database over the connections it counts.
    for (const run of result.runs) {
      expect(run.window.writeSyscallsPerMessage, run.server).toBeGreaterThan(0);
    }
    const parley = result.runs.find((run) => run.server === 'parley')!;
    expect(parley.window.databaseWritesPerMessage).toBeGreaterThan(0);
  });

  it('compares two builds of Parley in the same rounds with --baseline', async () => {
    const json = join(mkdtempSync(join(tmpdir(), 'parley-bench-')), 'baseline.json');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        ...['--import', 'tsx', '--conditions=@parley/source', 'src/cli.ts', '--smoke'],
        ...['--baseline', REPO_ROOT, '--json', json],
      ],
      { cwd: BENCH_DIR, maxBuffer: 10_000_000 },
    );
    const result = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;

    expect(result.runs.map((run) => run.server)).toEqual(['baseline', 'parley']);
    expectEveryMessageDelivered(result);
    expect(stdout).toContain('| rate | measure | baseline | this checkout | this / baseline |');
    expect(stdout).toMatch(/\| 40 \| acked \| 100\.0% \| 100\.0% \| 1\.00× \|/);
  });
});

/** Every connection held, every send acked, every acked message delivered once to every member. */
function expectEveryMessageDelivered(result: BenchResult): void {
  for (const run of result.runs) {
    const label = `${run.server}: ${JSON.stringify(run.load.refused)}`;
    expect(run.connectionsHeld, label).toBe(run.connectionsTarget);
    expect(run.connectErrors, label).toEqual({});
    expect(run.load.sent, label).toBeGreaterThan(0);
    expect(run.load.acked, label).toBe(run.load.sent);
    expect(run.load.refused, label).toEqual({});
    expect(run.load.unanswered, label).toBe(0);
    expect(run.load.expectedDeliveries, label).toBeGreaterThan(0);
    expect(run.load.reach, label).toBe(1);
    expect(run.load.lost, label).toBe(0);
    expect(run.load.duplicates, label).toBe(0);
    expect(run.load.unexpectedCloses, label).toBe(0);
    expect(run.load.endToEnd.count, label).toBe(run.load.delivered);
  }
}
