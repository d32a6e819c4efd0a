import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mariadb from 'mariadb';
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../src/bench.js';
import { keysUnder } from '../src/redis-keys.js';

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
// The servers the other suites' tests use when the bench is not told otherwise (TEST_*: CI's job
// container reaches them by name, .github/workflows/ci.yml), handed to both runs below.
const DATABASE_SERVER_URL =
  process.env.BENCH_DATABASE_SERVER_URL ??
  process.env.TEST_DATABASE_SERVER_URL ??
  'mysql://root@127.0.0.1:3306';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/**
 * A tag for one run's databases and Redis prefixes (`BENCH_NAME_TAG`, parley.ts), so that what this
 * run left is found among other runs on the same servers; and the prefix all of them start with.
 */
function runNames(): { tag: string; prefix: string } {
  const tag = `smoke_${randomBytes(4).toString('hex')}_`;
  return { tag, prefix: `parley_bench_${tag}` };
}

// Keeps the harness working; asserts completeness and correctness of what was delivered, never a timing.
describe('pnpm bench --smoke', () => {
  // With Redis (rate limits, sessions, the webhook queue): Parley's keys are there while it runs.
  it('runs all three servers and every acked message reaches every other member exactly once', async () => {
    const json = join(mkdtempSync(join(tmpdir(), 'parley-bench-')), 'smoke.json');
    const { tag, prefix } = runNames();
    await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--conditions=@parley/source', 'src/cli.ts', '--smoke', '--json', json],
      {
        cwd: BENCH_DIR,
        maxBuffer: 10_000_000,
        env: {
          ...process.env,
          BENCH_NAME_TAG: tag,
          BENCH_DATABASE_SERVER_URL: DATABASE_SERVER_URL,
          BENCH_REDIS_URL: REDIS_URL,
        },
      },
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
    await expectNothingLeftUnder(prefix);
  });

  it('compares two builds of Parley in the same rounds with --baseline', async () => {
    const json = join(mkdtempSync(join(tmpdir(), 'parley-bench-')), 'baseline.json');
    const { tag, prefix } = runNames();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        ...['--import', 'tsx', '--conditions=@parley/source', 'src/cli.ts', '--smoke'],
        ...['--baseline', REPO_ROOT, '--json', json],
      ],
      {
        cwd: BENCH_DIR,
        maxBuffer: 10_000_000,
        env: { ...process.env, BENCH_NAME_TAG: tag, BENCH_DATABASE_SERVER_URL: DATABASE_SERVER_URL },
      },
    );
    const result = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;

    expect(result.runs.map((run) => run.server)).toEqual(['baseline', 'parley']);
    expectEveryMessageDelivered(result);
    expect(stdout).toContain('| rate | measure | baseline | this checkout | this / baseline |');
    expect(stdout).toMatch(/\| 40 \| acked \| 100\.0% \| 100\.0% \| 1\.00× \|/);
    await expectNothingLeftUnder(prefix);
  });
});

/** Once the bench has exited: no database named with `prefix`, and no Redis key under it. */
async function expectNothingLeftUnder(prefix: string): Promise<void> {
  expect(await keysUnder(REDIS_URL, prefix)).toEqual([]);
  const serverUrl = new URL(DATABASE_SERVER_URL);
  const connection = await mariadb.createConnection({
    host: serverUrl.hostname,
    port: Number(serverUrl.port || 3306),
    user: decodeURIComponent(serverUrl.username) || 'root',
    password: decodeURIComponent(serverUrl.password) || undefined,
  });
  try {
    const rows = (await connection.query(
      'SELECT schema_name AS name FROM information_schema.schemata WHERE LEFT(schema_name, ?) = ?',
      [prefix.length, prefix],
    )) as { name: string }[];
    expect(rows.map((row) => row.name)).toEqual([]);
  } finally {
    await connection.end();
  }
}

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
