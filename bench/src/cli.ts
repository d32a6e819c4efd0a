// `pnpm bench` (the full run, which rewrites docs/benchmarks.md) and `pnpm bench --smoke` (a small
// run in seconds, which the test suite uses to keep the harness working). See bench/README.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { runBench, type BenchConfig, type BenchServer } from './bench.js';
import { baselineComparison, writeReport } from './report.js';
import { hasTaskset } from './server-process.js';

const RESULTS_DIR = fileURLToPath(new URL('../.results/', import.meta.url));

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    connections: { type: 'string' },
    rates: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    duration: { type: 'string' },
    drain: { type: 'string' },
    capacity: { type: 'boolean' },
    'capacity-start': { type: 'string' },
    'capacity-factor': { type: 'string' },
    'no-capacity': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    'no-report': { type: 'boolean', default: false },
    json: { type: 'string' },
    servers: { type: 'string' },
    baseline: { type: 'string' },
  },
});

const seconds = (value: string | undefined, fallback: number) => (value ? Number(value) * 1_000 : fallback);
const smoke = values.smoke;
const pin = !smoke && !values['no-pin'] && hasTaskset();

const config: BenchConfig = {
  connections: Number(values.connections ?? (smoke ? 40 : 1_000)),
  rates: (values.rates ?? (smoke ? '40' : '250,500,1000,2000')).split(',').map(Number),
  rounds: Number(values.rounds ?? (smoke ? 1 : 3)),
  warmupMs: seconds(values.warmup, smoke ? 500 : 2_000),
  measureMs: seconds(values.duration, smoke ? 1_500 : 5_000),
  drainMs: seconds(values.drain, smoke ? 5_000 : 5_000),
  memorySettleMs: smoke ? 200 : 5_000,
  capacity:
    values['no-capacity'] || (smoke && !values.capacity)
      ? null
      : {
          startRate: Number(values['capacity-start'] ?? 250),
          factor: Number(values['capacity-factor'] ?? 1.5),
          maxRate: 50_000,
        },
  // Servers share core 0, the generator takes core 1: a generator-bound run is then visible in its CPU.
  pin: pin ? { servers: '0', generator: '1' } : null,
  parleyFromSource: smoke,
  // --baseline <checkout>: an A/B of two builds, Parley from that checkout against this one's, in the
  // same rounds (no P0/P1 unless --servers names them; the docs' report is not written).
  // Relative to where `pnpm bench` was typed (pnpm runs the script in bench/ and says where in INIT_CWD).
  ...(values.baseline ? { baseline: resolve(process.env.INIT_CWD ?? '.', values.baseline) } : {}),
  ...(values.servers || values.baseline
    ? { servers: (values.servers ?? 'baseline,parley').split(',') as BenchServer[] }
    : {}),
  databaseServerUrl: process.env.BENCH_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306',
  redisUrl: process.env.BENCH_REDIS_URL ?? '',
  log: (line) => console.log(line),
};

const known = new Set(['p0', 'p1', 'parley', 'baseline']);
for (const server of config.servers ?? []) {
  if (!known.has(server)) throw new Error(`--servers: unknown server ${server} (p0, p1, parley, baseline)`);
}

if (config.pin)
  execFileSync('taskset', ['-cp', config.pin.generator, String(process.pid)], { stdio: 'ignore' });

const result = await runBench(config);
mkdirSync(RESULTS_DIR, { recursive: true });
const jsonPath = values.json ?? `${RESULTS_DIR}${smoke ? 'smoke' : 'full'}-${Date.now()}.json`;
writeFileSync(jsonPath, JSON.stringify(result, null, 2));
console.log(`results: ${jsonPath}`);
if (config.baseline) console.log(baselineComparison(result));
else if (!smoke && !values['no-report'] && !config.servers)
  console.log(`report: ${await writeReport(result, shownArguments(process.argv.slice(2)))}`);

/** The command line as the report shows it: without where the raw JSON went. */
function shownArguments(argv: string[]): string[] {
  const index = argv.indexOf('--json');
  return index < 0 ? argv : [...argv.slice(0, index), ...argv.slice(index + 2)];
}
