// One bench run: start P0, P1 and Parley once, then interleave them round by round (P0, P1, Parley,
// P0, ...) through every offered rate, then search each one's highest sustainable rate.
import { cpus as machineCpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerKind } from './clients.js';
import { LoadGenerator, type PhaseResult, type Target } from './generator.js';
import { parleySettingOverrides, startParley, type InnodbCounters, type ParleyUnderTest } from './parley.js';
import {
  ServerProcess,
  findDatabasePid,
  processCpuSeconds,
  type GcReading,
  type ServerStats,
  type TraceReading,
} from './server-process.js';
import { buildWorkload, type Workload } from './workload.js';

const SERVERS_DIR = fileURLToPath(new URL('./servers/', import.meta.url));
const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

export const SERVER_KINDS: ServerKind[] = ['p0', 'p1', 'parley'];
/**
 * What a run's records name: one of the three servers, or `baseline`, Parley built from another
 * checkout (`BenchConfig.baseline`), run in the same rounds for an A/B of two builds.
 */
export type BenchServer = ServerKind | 'baseline';
/** The capacity search's limits, from issue 7. */
export const SUSTAINABLE = { p99Ms: 200, reach: 0.999 };
const CAPACITY_ATTEMPTS = 2;
const MIN_CAPACITY_RATE = 1;

export interface BenchConfig {
  connections: number;
  /** Offered rates for the interleaved rounds, messages per second. */
  rates: number[];
  rounds: number;
  warmupMs: number;
  measureMs: number;
  drainMs: number;
  /** Quiet wait between two full gcs for each memory reading (ServerProcess.settledStats). */
  memorySettleMs: number;
  /** Capacity search: start rate, growth factor per step, and ceiling; null skips the search. */
  capacity: { startRate: number; factor: number; maxRate: number } | null;
  /** CPU lists for taskset, or null to leave scheduling to the kernel. */
  pin: { servers: string; generator: string } | null;
  /** Run Parley from src through tsx instead of apps/server/dist (the smoke test). */
  parleyFromSource: boolean;
  /**
   * Which servers run, in this order within each round (default P0, P1, Parley). `baseline` needs
   * `baseline`, the root of another checkout of Parley with apps/server built.
   */
  servers?: BenchServer[];
  baseline?: string;
  databaseServerUrl: string;
  redisUrl: string;
  log(line: string): void;
}

/** Server-side readings over one measured window. CPU as a fraction of one core. */
export interface ServerWindow {
  cpu: number;
  databaseCpu: number | null;
  rssUnderLoad: number;
  heapUnderLoad: number;
  loopDelayP99Ms: number;
  /** The longest event-loop delay in the window (ms): one long pause (a major gc) that p99 hides. */
  loopDelayMaxMs: number;
  /** Garbage collection in the window: its longest pause may be the longest loop delay, or not. */
  gc: GcReading;
  /**
   * Parley only: MariaDB over the window (InnodbCounters deltas; checkpoint age as at its end), to
   * tell a wait on the database (row locks, page flushing, log waits) from one in Parley.
   */
  database: InnodbCounters | null;
  /** Parley only: messages stored per second, and database writes per stored message. */
  persistedPerSecond: number | null;
  databaseWritesPerMessage: number | null;
  /**
   * Write system calls per offered message, every server: what one message costs in trips into the
   * kernel (its frames to each recipient, its ack, the database's share). Null without /proc.
   */
  writeSyscallsPerMessage: number | null;
  /** Parley only: where a send's time went inside the server (ServerStats.traces). */
  traces: Record<string, TraceReading>;
}

export interface RunRecord {
  server: BenchServer;
  round: number;
  rate: number;
  connectionsTarget: number;
  connectionsHeld: number;
  connectErrors: Record<string, number>;
  load: PhaseResult;
  window: ServerWindow;
}

/** Memory per held connection in bytes, against the server's reading before any connection. */
export interface MemoryRecord {
  server: BenchServer;
  round: number;
  connections: number;
  rssIdle: number;
  rssSettled: number;
  heapIdle: number;
  heapSettled: number;
  rssUnderLoad: number | null;
  heapUnderLoad: number | null;
}

export interface CapacityStep {
  server: BenchServer;
  rate: number;
  /** 1, or 2 when the first attempt at this rate was not sustainable. */
  attempt: number;
  load: PhaseResult;
  /** The server's side of the step: its CPU, the database's, its event loop (as in the rate sweep). */
  window: ServerWindow;
  sustainable: boolean;
}

export interface BenchResult {
  config: Omit<BenchConfig, 'log'>;
  machine: { cpus: string; cores: number; loadAverage: number[]; node: string };
  startedAt: string;
  /** Parley settings changed for this run (`BENCH_PARLEY_SET_<NAME>`, parley.ts), by name. */
  parleySettings: Record<string, string>;
  /** Settings of the `--baseline` build only (`BENCH_BASELINE_SET_<NAME>`), by name. */
  baselineSettings: Record<string, string>;
  runs: RunRecord[];
  memory: MemoryRecord[];
  capacity: CapacityStep[];
  /** The last lines each server wrote (Parley logs at warn level), to explain refusals. */
  serverLogs: Partial<Record<BenchServer, string>>;
}

interface ServerUnderTest {
  kind: BenchServer;
  process: ServerProcess;
  target: Target;
  parley?: ParleyUnderTest;
}

async function startServers(config: BenchConfig, workload: Workload): Promise<ServerUnderTest[]> {
  const servers: ServerUnderTest[] = [];
  try {
    await startEach(config, workload, servers);
  } catch (error) {
    // Those already started are stopped, and Parley's database and Redis keys removed (parley.ts).
    await stopServers(servers);
    throw error;
  }
  return servers;
}

/** Starts each server of the run in turn, adding it to `servers` as soon as it is up. */
async function startEach(config: BenchConfig, workload: Workload, servers: ServerUnderTest[]): Promise<void> {
  const roomIndexes = workload.rooms.map((_, index) => index);
  const peerFiles = { p0: 'p0-ws.ts', p1: 'p1-socketio.ts' } as const;
  for (const kind of config.servers ?? SERVER_KINDS) {
    if (kind === 'p0' || kind === 'p1') {
      const { server, port } = await ServerProcess.start({
        label: kind,
        nodeArgs: ['--import', 'tsx'],
        entry: `${SERVERS_DIR}${peerFiles[kind]}`,
        cwd: BENCH_DIR,
        cpus: config.pin?.servers ?? null,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', PORT: '0' },
      });
      servers.push({
        kind,
        process: server,
        target: { kind, url: `http://127.0.0.1:${port}`, roomIds: roomIndexes },
      });
      continue;
    }
    if (kind === 'baseline' && !config.baseline)
      throw new Error('the baseline server needs --baseline <checkout>');
    const parley = await startParley({
      workload,
      cpus: config.pin?.servers ?? null,
      fromSource: config.parleyFromSource,
      databaseServerUrl: config.databaseServerUrl,
      redisUrl: config.redisUrl,
      log: config.log,
      label: kind,
      ...(kind === 'baseline' ? { serverDir: join(config.baseline!, 'apps/server') } : {}),
    });
    servers.push({
      kind,
      process: parley.server,
      parley,
      target: { kind: 'parley', url: parley.url, cookies: parley.cookies, roomIds: parley.roomIds },
    });
  }
}

async function stopServers(servers: ServerUnderTest[]): Promise<void> {
  for (const server of servers) {
    if (server.parley) await server.parley.stop();
    else await server.process.stop();
  }
}

/** Runs one phase and takes the server's readings at the edges of its measured window. */
async function measuredPhase(
  server: ServerUnderTest,
  generator: LoadGenerator,
  config: BenchConfig,
  rate: number,
  seed: number,
): Promise<{ load: PhaseResult; window: ServerWindow }> {
  const databasePid = server.parley ? findDatabasePid() : null;
  let startStats: ServerStats | null = null;
  let endStats: ServerStats | null = null;
  let startDbCpu: number | null = null;
  let endDbCpu: number | null = null;
  let startMessageId = 0;
  let endMessageId = 0;
  let startInnodb: InnodbCounters | null = null;
  let endInnodb: InnodbCounters | null = null;
  let startedAt = 0;
  let endedAt = 0;
  const load = await generator.runPhase({
    ratePerSecond: rate,
    warmupMs: config.warmupMs,
    measureMs: config.measureMs,
    drainMs: config.drainMs,
    seed,
    onWindow: async (edge) => {
      const stats = await server.process.stats({ resetLoopDelay: edge === 'start' });
      const dbCpu = databasePid === null ? null : processCpuSeconds(databasePid);
      const messageId = server.parley ? await server.parley.newestMessageId() : 0;
      const innodb = server.parley ? await server.parley.innodbCounters() : null;
      if (edge === 'start') {
        startedAt = performance.now();
        [startStats, startDbCpu, startMessageId, startInnodb] = [stats, dbCpu, messageId, innodb];
      } else {
        endedAt = performance.now();
        [endStats, endDbCpu, endMessageId, endInnodb] = [stats, dbCpu, messageId, innodb];
      }
    },
  });
  const start = startStats as ServerStats | null;
  const end = endStats as ServerStats | null;
  if (!start || !end) throw new Error(`${server.kind}: no server readings for the window`);
  const seconds = (endedAt - startedAt) / 1_000;
  const cpuSeconds =
    (end.cpuMicros.user + end.cpuMicros.system - start.cpuMicros.user - start.cpuMicros.system) / 1e6;
  const persisted = endMessageId - startMessageId;
  return {
    load,
    window: {
      cpu: cpuSeconds / seconds,
      databaseCpu: startDbCpu !== null && endDbCpu !== null ? (endDbCpu - startDbCpu) / seconds : null,
      rssUnderLoad: end.rss,
      heapUnderLoad: end.heapUsed,
      loopDelayP99Ms: end.loopDelayP99Ms,
      loopDelayMaxMs: end.loopDelayMaxMs,
      gc: end.gc,
      database: innodbDelta(startInnodb, endInnodb),
      persistedPerSecond: server.parley ? persisted / seconds : null,
      databaseWritesPerMessage:
        server.parley && persisted > 0 ? (end.databaseWrites - start.databaseWrites) / persisted : null,
      writeSyscallsPerMessage:
        start.writeSyscalls !== null && end.writeSyscalls !== null && load.offeredPerSecond > 0
          ? (end.writeSyscalls - start.writeSyscalls) / (seconds * load.offeredPerSecond)
          : null,
      traces: end.traces,
    },
  };
}

function innodbDelta(start: InnodbCounters | null, end: InnodbCounters | null): InnodbCounters | null {
  if (!start || !end) return null;
  return {
    commits: end.commits - start.commits,
    rowLockWaits: end.rowLockWaits - start.rowLockWaits,
    rowLockMs: end.rowLockMs - start.rowLockMs,
    pagesFlushed: end.pagesFlushed - start.pagesFlushed,
    logWaits: end.logWaits - start.logWaits,
    checkpointAgeBytes: end.checkpointAgeBytes,
    searchBacklog: end.searchBacklog,
  };
}

/**
 * "send: queued p99 0.1 max 4, handled p99 38 max 120; batch waited p99 12, write p99 25 max 90,
 * size p50 4 max 31" (ms): where a send's time went inside Parley, to set against the ack and
 * end-to-end p99 the generator saw; '' for servers that publish no traces.
 */
export function describeSendStages(traces: Record<string, TraceReading>): string {
  const queued = traces['message:send queued'];
  const handled = traces['message:send handled'];
  const waited = traces['message-send batch waited'];
  const write = traces['message-send batch write'];
  const size = traces['message-send batch size'];
  if (!queued || !handled) return '';
  const ms = (value: number) => (value < 10 ? value.toFixed(1) : value.toFixed(0));
  return (
    `send: queued p99 ${ms(queued.p99)} max ${ms(queued.max)}, handled p99 ${ms(handled.p99)} max ${ms(handled.max)}` +
    (waited && write && size
      ? `; batch waited p99 ${ms(waited.p99)} max ${ms(waited.max)}, write p99 ${ms(write.p99)} max ${ms(write.max)}, ` +
        `size p50 ${size.p50} max ${size.max}`
      : '')
  );
}

/** "loop max 119 ms, gc 14× 96 ms (max 41 ms major)": the window's longest stall and its gc share. */
export function describePauses(window: Pick<ServerWindow, 'loopDelayMaxMs' | 'gc' | 'database'>): string {
  const { gc, database } = window;
  return (
    `loop max ${window.loopDelayMaxMs.toFixed(0)} ms, gc ${gc.count}× ${gc.totalMs.toFixed(0)} ms` +
    (gc.maxKind ? ` (max ${gc.maxMs.toFixed(0)} ms ${gc.maxKind})` : '') +
    (database
      ? `, db ${database.commits} commits, ${database.rowLockWaits} row-lock waits ${database.rowLockMs} ms, ` +
        `${database.pagesFlushed} pages flushed, ${database.logWaits} log waits, ` +
        `checkpoint age ${(database.checkpointAgeBytes / 1e6).toFixed(0)} MB, ` +
        `search backlog ${database.searchBacklog ?? 0} changes`
      : '')
  );
}

/**
 * One rate of the capacity search. On a shared machine one scheduler stall can push a short
 * window's p99 past the limit, so a rate that fails is tried once more before it counts as failed.
 */
async function capacityStep(
  server: ServerUnderTest,
  generator: LoadGenerator,
  config: BenchConfig,
  rate: number,
  result: BenchResult,
): Promise<boolean> {
  for (let attempt = 1; attempt <= CAPACITY_ATTEMPTS; attempt += 1) {
    const { load, window } = await measuredPhase(
      server,
      generator,
      config,
      rate,
      99_000 + rate * 10 + attempt,
    );
    const sustainable =
      load.endToEnd.p99 <= SUSTAINABLE.p99Ms &&
      load.reach >= SUSTAINABLE.reach &&
      load.acked >= load.sent * SUSTAINABLE.reach;
    result.capacity.push({ server: server.kind, rate, attempt, load, window, sustainable });
    config.log(
      `capacity ${server.kind} R=${rate} (attempt ${attempt}): p99 ${load.endToEnd.p99.toFixed(1)} ms, ` +
        `reach ${(load.reach * 100).toFixed(2)}%, acked ${load.acked}/${load.sent}, ` +
        `server cpu ${(window.cpu * 100).toFixed(0)}%` +
        (window.databaseCpu === null ? '' : `, database cpu ${(window.databaseCpu * 100).toFixed(0)}%`) +
        `, ${describePauses(window)}, ` +
        `generator cpu ${(load.generatorCpu * 100).toFixed(0)}%${sustainable ? '' : ' (not sustainable)'}`,
    );
    if (sustainable) return true;
  }
  return false;
}

/** Runs the whole benchmark; the caller renders the result. */
export async function runBench(config: BenchConfig): Promise<BenchResult> {
  const workload = buildWorkload(config.connections);
  const result: BenchResult = {
    config: { ...config, log: undefined } as Omit<BenchConfig, 'log'>,
    machine: {
      cpus: machineCpus()[0]?.model ?? 'unknown',
      cores: machineCpus().length,
      loadAverage: [],
      node: process.version,
    },
    startedAt: new Date().toISOString(),
    parleySettings: parleySettingOverrides(),
    baselineSettings: parleySettingOverrides(process.env, 'BENCH_BASELINE_SET_'),
    runs: [],
    memory: [],
    capacity: [],
    serverLogs: {},
  };
  const { loadavg } = await import('node:os');
  result.machine.loadAverage = loadavg();
  const servers = await startServers(config, workload);
  try {
    for (let round = 1; round <= config.rounds; round += 1) {
      for (const server of servers) {
        const generator = new LoadGenerator(server.target, workload);
        const before = await server.process.settledStats(config.memorySettleMs);
        await generator.connectAll();
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const idle = await server.process.stats();
        const settled = await server.process.settledStats(config.memorySettleMs);
        const held = generator.connected;
        const memory: MemoryRecord = {
          server: server.kind,
          round,
          connections: held,
          rssIdle: (idle.rss - before.rss) / held,
          rssSettled: (settled.rss - before.rss) / held,
          heapIdle: (idle.heapUsed - before.heapUsed) / held,
          heapSettled: (settled.heapUsed - before.heapUsed) / held,
          rssUnderLoad: null,
          heapUnderLoad: null,
        };
        result.memory.push(memory);
        for (const [index, rate] of config.rates.entries()) {
          const { load, window } = await measuredPhase(
            server,
            generator,
            config,
            rate,
            round * 1_000 + index,
          );
          if (memory.rssUnderLoad === null) {
            memory.rssUnderLoad = (window.rssUnderLoad - before.rss) / held;
            memory.heapUnderLoad = (window.heapUnderLoad - before.heapUsed) / held;
          }
          result.runs.push({
            server: server.kind,
            round,
            rate,
            connectionsTarget: config.connections,
            connectionsHeld: generator.connected,
            connectErrors: generator.connectErrors,
            load,
            window,
          });
          config.log(
            `round ${round} ${server.kind} R=${rate}: held ${generator.connected}/${config.connections}, ` +
              `acked ${load.acked}/${load.sent}, reach ${(load.reach * 100).toFixed(2)}%, ` +
              `p50 ${load.endToEnd.p50.toFixed(1)} p99 ${load.endToEnd.p99.toFixed(1)} ms` +
              (load.endToEndBigGroup
                ? ` (big group's deliveries ${((load.endToEndBigGroup.count / Math.max(1, load.endToEnd.count)) * 100).toFixed(0)}%, their p99 ${load.endToEndBigGroup.p99.toFixed(1)} ms)`
                : '') +
              `, ack p99 ${load.ack.p99.toFixed(1)} ms` +
              `, server cpu ${(window.cpu * 100).toFixed(0)}%` +
              (window.writeSyscallsPerMessage === null
                ? ''
                : `, ${window.writeSyscallsPerMessage.toFixed(1)} writes/msg`) +
              `, ${describePauses(window)}, generator cpu ${(load.generatorCpu * 100).toFixed(0)}%, sends late p99 ${load.sendLateness.p99.toFixed(1)} max ${load.sendLateness.max.toFixed(0)} ms` +
              (describeSendStages(window.traces) ? `; ${describeSendStages(window.traces)}` : ''),
          );
        }
        await generator.settle();
        generator.closeAll();
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    if (config.capacity) {
      for (const server of servers) {
        const generator = new LoadGenerator(server.target, workload);
        await generator.connectAll();
        // Upwards from the start rate while it holds; if the start rate already fails, downwards
        // until one holds (not below MIN_CAPACITY_RATE).
        const { factor, startRate, maxRate } = config.capacity;
        let rate = startRate;
        let direction: 'up' | 'down' | null = null;
        while (rate <= maxRate && rate >= MIN_CAPACITY_RATE) {
          const sustained = await capacityStep(server, generator, config, rate, result);
          direction ??= sustained ? 'up' : 'down';
          if (direction === 'up' && !sustained) break;
          if (direction === 'down' && sustained) break;
          rate = direction === 'up' ? Math.round(rate * factor) : Math.floor(rate / factor);
        }
        await generator.settle();
        generator.closeAll();
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    for (const server of servers) result.serverLogs[server.kind] = server.process.logs();
    await stopServers(servers);
  }
  return result;
}
