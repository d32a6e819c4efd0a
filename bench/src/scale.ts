// `pnpm bench:scale`: what a second process costs and brings. The same open-loop load (generator.ts)
// against one server and against two processes of it behind one Redis, connections spread evenly
// over the processes' ports, so half of every room's members sit on the other process and each
// broadcast crosses Redis:
//
// - bare Socket.IO: one process (P1), two with @socket.io/redis-adapter (Redis pub/sub, what Parley
//   uses), two with @socket.io/redis-streams-adapter (one Redis stream);
// - Parley: one process without Redis, one with Redis, two with Redis.
//
// Prints a Markdown table (for docs/benchmarks.md) and writes the raw results to bench/.results/.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, cpus as machineCpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { ServerKind } from './clients.js';
import { LoadGenerator, type PhaseResult, type Target } from './generator.js';
import { startParley, type ParleyUnderTest } from './parley.js';
import { ServerProcess, type ServerStats } from './server-process.js';
import { buildWorkload, type Workload } from './workload.js';

const SERVERS_DIR = fileURLToPath(new URL('./servers/', import.meta.url));
const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('../.results/', import.meta.url));

type TargetName =
  'sio×1' | 'sio×2 pub/sub' | 'sio×2 streams' | 'parley×1' | 'parley×1 redis' | 'parley×2 redis';
const ALL_TARGETS: TargetName[] = [
  'sio×1',
  'sio×2 pub/sub',
  'sio×2 streams',
  'parley×1',
  'parley×1 redis',
  'parley×2 redis',
];

interface RunningTarget {
  name: TargetName;
  processes: ServerProcess[];
  target: Target;
  stop(): Promise<void>;
}

/** One measured phase of one target: the load result and the CPU of all its processes together. */
export interface ScaleRecord {
  target: TargetName;
  round: number;
  rate: number;
  connectionsHeld: number;
  load: PhaseResult;
  /** Server CPU, all processes together, as a fraction of one core. */
  serverCpu: number;
}

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '1000' },
    rates: { type: 'string', default: '100,400,1000' },
    rounds: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '2' },
    duration: { type: 'string', default: '5' },
    drain: { type: 'string', default: '5' },
    targets: { type: 'string', default: ALL_TARGETS.join(',') },
    'from-source': { type: 'boolean', default: false },
    /** Print the table of an earlier run's JSON and exit. */
    render: { type: 'string' },
    /** Where the raw records go (default bench/.results/scale-<time>.json). */
    json: { type: 'string' },
  },
});
if (values.render) {
  const earlier = JSON.parse(readFileSync(values.render, 'utf8')) as { records: ScaleRecord[] };
  console.log(table(earlier.records));
  process.exit(0);
}
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const databaseServerUrl = process.env.BENCH_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306';
const rates = values.rates.split(',').map(Number);
const rounds = Number(values.rounds);
const targets = values.targets.split(',').map((name) => {
  if (!ALL_TARGETS.includes(name as TargetName)) throw new Error(`unknown target ${name}`);
  return name as TargetName;
});
const log = (line: string) => console.log(line);

async function startSocketIo(name: TargetName, workload: Workload): Promise<RunningTarget> {
  const roomIds = workload.rooms.map((_, index) => index);
  const adapter = name === 'sio×2 pub/sub' ? 'redis' : name === 'sio×2 streams' ? 'streams' : null;
  const key = `parley-bench-scale:${randomBytes(4).toString('hex')}`;
  const processes: ServerProcess[] = [];
  const urls: string[] = [];
  for (let index = 0; index < (adapter ? 2 : 1); index += 1) {
    const { server, port } = await ServerProcess.start({
      label: `${name}#${index + 1}`,
      nodeArgs: ['--import', 'tsx'],
      entry: `${SERVERS_DIR}${adapter ? 'p1-socketio-scaled.ts' : 'p1-socketio.ts'}`,
      cwd: BENCH_DIR,
      cpus: null,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        PORT: '0',
        BENCH_ADAPTER: adapter ?? '',
        BENCH_ADAPTER_KEY: key,
        BENCH_REDIS_URL: redisUrl,
      },
    });
    processes.push(server);
    urls.push(`http://127.0.0.1:${port}`);
  }
  return {
    name,
    processes,
    target: { kind: 'p1', url: urls[0]!, urls, roomIds },
    async stop() {
      await Promise.all(processes.map((server) => server.stop()));
      if (adapter === 'streams') {
        const redis = new Redis(redisUrl);
        await redis.del(key).catch(() => undefined);
        redis.disconnect();
      }
    },
  };
}

async function startParleyTarget(name: TargetName, workload: Workload): Promise<RunningTarget> {
  const parley: ParleyUnderTest = await startParley({
    workload,
    cpus: null,
    fromSource: values['from-source'],
    databaseServerUrl,
    redisUrl: name === 'parley×1' ? '' : redisUrl,
    processes: name === 'parley×2 redis' ? 2 : 1,
    log,
  });
  const kind: ServerKind = 'parley';
  return {
    name,
    processes: parley.servers,
    target: { kind, url: parley.url, urls: parley.urls, cookies: parley.cookies, roomIds: parley.roomIds },
    stop: () => parley.stop(),
  };
}

const cpuSeconds = (stats: ServerStats[]) =>
  stats.reduce((sum, one) => sum + (one.cpuMicros.user + one.cpuMicros.system) / 1e6, 0);

async function measure(running: RunningTarget, generator: LoadGenerator, rate: number, seed: number) {
  let start: { at: number; cpu: number } | null = null;
  let end: { at: number; cpu: number } | null = null;
  const load = await generator.runPhase({
    ratePerSecond: rate,
    warmupMs: Number(values.warmup) * 1_000,
    measureMs: Number(values.duration) * 1_000,
    drainMs: Number(values.drain) * 1_000,
    seed,
    onWindow: async (edge) => {
      const reading = {
        at: performance.now(),
        cpu: cpuSeconds(await Promise.all(running.processes.map((server) => server.stats()))),
      };
      if (edge === 'start') start = reading;
      else end = reading;
    },
  });
  const [from, to] = [start as { at: number; cpu: number } | null, end as { at: number; cpu: number } | null];
  const serverCpu = from && to ? (to.cpu - from.cpu) / ((to.at - from.at) / 1_000) : NaN;
  return { load, serverCpu };
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A Markdown table of medians over rounds, one row per target and rate. */
function table(records: ScaleRecord[]): string {
  const targets = [...new Set(records.map((record) => record.target))];
  const rates = [...new Set(records.map((record) => record.rate))];
  const lines = [
    '| target | offered msg/s | acked | refused / unanswered | reach | lost / dup | e2e p50 ms | p99 ms | p99.9 ms | ack p50 ms | server CPU (all processes) | generator CPU |',
    '| ------ | ------------- | ----- | -------------------- | ----- | ---------- | ---------- | ------ | -------- | ---------- | -------------------------- | ------------- |',
  ];
  for (const name of targets) {
    for (const rate of rates) {
      const runs = records.filter((record) => record.target === name && record.rate === rate);
      if (runs.length === 0) continue;
      const m = (pick: (record: ScaleRecord) => number) => median(runs.map(pick));
      lines.push(
        `| ${name} | ${Math.round(m((r) => r.load.offeredPerSecond))} | ` +
          `${(m((r) => r.load.acked / Math.max(1, r.load.sent)) * 100).toFixed(1)}% | ` +
          `${m((r) => Object.values(r.load.refused).reduce((sum, count) => sum + count, 0))} / ${m((r) => r.load.unanswered)} | ` +
          `${(m((r) => r.load.reach) * 100).toFixed(2)}% | ${m((r) => r.load.lost)} / ${m((r) => r.load.duplicates)} | ` +
          `${m((r) => r.load.endToEnd.p50).toFixed(1)} | ${m((r) => r.load.endToEnd.p99).toFixed(1)} | ` +
          `${m((r) => r.load.endToEnd.p999).toFixed(1)} | ${m((r) => r.load.ack.p50).toFixed(1)} | ` +
          `${(m((r) => r.serverCpu) * 100).toFixed(0)}% | ${(m((r) => r.load.generatorCpu) * 100).toFixed(0)}% |`,
      );
    }
  }
  return lines.join('\n');
}

const workload = buildWorkload(Number(values.connections));
const records: ScaleRecord[] = [];
const running: RunningTarget[] = [];
const startedAt = new Date().toISOString();
const loadAverage = loadavg();
try {
  for (const name of targets) {
    log(`starting ${name}`);
    running.push(
      name.startsWith('sio') ? await startSocketIo(name, workload) : await startParleyTarget(name, workload),
    );
  }
  for (let round = 1; round <= rounds; round += 1) {
    for (const target of running) {
      const generator = new LoadGenerator(target.target, workload);
      await generator.connectAll();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      for (const [index, rate] of rates.entries()) {
        const { load, serverCpu } = await measure(target, generator, rate, round * 1_000 + index);
        records.push({
          target: target.name,
          round,
          rate,
          connectionsHeld: generator.connected,
          load,
          serverCpu,
        });
        log(
          `round ${round} ${target.name} R=${rate}: held ${generator.connected}, acked ${load.acked}/${load.sent}, ` +
            `reach ${(load.reach * 100).toFixed(2)}%, p50 ${load.endToEnd.p50.toFixed(1)} ` +
            `p99 ${load.endToEnd.p99.toFixed(1)} ms, server cpu ${(serverCpu * 100).toFixed(0)}%, ` +
            `generator cpu ${(load.generatorCpu * 100).toFixed(0)}%`,
        );
      }
      await generator.settle();
      generator.closeAll();
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
} finally {
  for (const target of running) await target.stop().catch(() => undefined);
}

mkdirSync(RESULTS_DIR, { recursive: true });
const jsonPath = values.json ?? `${RESULTS_DIR}scale-${Date.now()}.json`;
const machine = {
  cpus: machineCpus()[0]?.model ?? 'unknown',
  cores: machineCpus().length,
  node: process.version,
};
writeFileSync(
  jsonPath,
  JSON.stringify({ startedAt, machine, loadAverage, argv: process.argv.slice(2), records }, null, 2),
);
log(`results: ${jsonPath}`);
log(
  `\nRun of ${startedAt.slice(0, 10)}: ${machine.cores} × ${machine.cpus}, Node ${machine.node}, ` +
    `load average ${loadAverage.map((value) => value.toFixed(1)).join(' / ')} at the start.\n`,
);
log(table(records));
process.exit(0);
