// A server under test in its own process, so its CPU and memory are its own: started (optionally
// pinned to a core with taskset), asked for its numbers over IPC (see servers/instrument.mjs), stopped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const INSTRUMENT = fileURLToPath(new URL('./servers/instrument.mjs', import.meta.url));
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
const interruptCleanups = new Set<() => Promise<void>>();
/** How long Ctrl-C waits for the cleanups (a database drop, a Redis SCAN) before the bench exits anyway. */
const INTERRUPT_CLEANUP_MS = 15_000;
// Ctrl-C or a kill: no server may outlive the bench, and what a run made outside it (its database
// and Redis keys, parley.ts) is removed once the servers are gone. A second Ctrl-C exits at once.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    setTimeout(() => process.exit(130), INTERRUPT_CLEANUP_MS).unref();
    void Promise.allSettled([...interruptCleanups].map((cleanup) => cleanup())).then(() => process.exit(130));
  });
}

/**
 * Runs `cleanup` if the bench is interrupted (SIGINT, SIGTERM) after its servers are killed; the
 * returned function unregisters it, once the run has cleaned up by itself.
 */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  interruptCleanups.add(cleanup);
  return () => interruptCleanups.delete(cleanup);
}

/** What a server process reports about itself. CPU in microseconds since it started; memory in bytes. */
export interface ServerStats {
  cpuMicros: { user: number; system: number };
  rss: number;
  heapUsed: number;
  /** V8's committed heap (bytes), used or not. */
  heapTotal: number;
  /** Memory of objects outside the V8 heap that JavaScript objects hold (Buffers, …), bytes. */
  external: number;
  /** Event-loop delay since the previous stats request that reset it. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /**
   * Garbage collections since the previous reset: count, summed and longest pause (ms), and the kind
   * of the longest (`minor` scavenge, `major` mark-compact, `incremental`, `weakcb`).
   */
  gc: GcReading;
  /**
   * Bytes allocated on the V8 heap since the process started (growth of the used heap between
   * collections, summed); with `uptimeMs`, an allocation rate over any two readings.
   */
  allocatedBytes: number;
  /** Milliseconds since the process started, when this reading was taken. */
  uptimeMs: number;
  /** Writes to the database connection (0 for servers without one). */
  databaseWrites: number;
  /** Write system calls the process has made (`syscw` of /proc/self/io), null without /proc. */
  writeSyscalls: number | null;
  /** Each V8 heap space by name (`new_space`, `old_space`, …): committed and used bytes. */
  spaces: Record<string, { committed: number; used: number }>;
  /**
   * Parley's trace points since the previous reset (apps/server/src/lib/trace.ts), by name:
   * `message:send queued`, `message:send handled`, `message-send batch waited|write|size`, …
   * Empty for P0 and P1.
   */
  traces: Record<string, TraceReading>;
}

/** One trace point over a window: how many, and p50, p99 and max (ms; a batch size as a count). */
export interface TraceReading {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Garbage-collection pauses over a window (PerformanceObserver 'gc' entries in instrument.mjs). */
export interface GcReading {
  count: number;
  totalMs: number;
  maxMs: number;
  maxKind: 'minor' | 'major' | 'incremental' | 'weakcb' | 'other' | null;
}

export interface StartOptions {
  label: string;
  /** Node arguments before the entry script (e.g. a TypeScript loader). */
  nodeArgs: string[];
  entry: string;
  cwd: string;
  env: Record<string, string | undefined>;
  /** A CPU list for taskset (e.g. "0"), or null to leave scheduling to the kernel. */
  cpus: string | null;
}

/** True when taskset (util-linux) is installed. */
export function hasTaskset(): boolean {
  return spawnSync('taskset', ['--version']).status === 0;
}

export class ServerProcess {
  private nextRequest = 1;
  private readonly waiting = new Map<number, (stats: ServerStats) => void>();
  private readonly logLines: string[] = [];

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (message: { type: string; id?: number } & ServerStats) => {
      if (
        (message.type === 'stats' ||
          message.type === 'heap-snapshot' ||
          message.type === 'allocation-profile') &&
        message.id !== undefined
      ) {
        this.waiting.get(message.id)?.(message);
        this.waiting.delete(message.id);
      }
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        this.logLines.push(...chunk.split('\n').filter((line) => line.trim()));
        if (this.logLines.length > 200) this.logLines.splice(0, this.logLines.length - 200);
      });
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  logs(): string {
    return this.logLines.join('\n');
  }

  /** Starts the process; resolves when it says `ready` over IPC, or (Parley) when `ready()` resolves. */
  static async start(
    options: StartOptions,
    ready?: () => Promise<void>,
  ): Promise<{ server: ServerProcess; port: number }> {
    // BENCH_CPU_PROF=<dir>: a V8 CPU profile of every server's whole run (P0, P1, Parley), each in
    // <dir>/<label>/, written when it stops, to set Parley's profile beside bare Socket.IO's.
    const profile = process.env.BENCH_CPU_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${join(process.env.BENCH_CPU_PROF, options.label)}`]
      : [];
    const args = ['--expose-gc', '--import', INSTRUMENT, ...profile, ...options.nodeArgs, options.entry];
    const command = options.cpus ? 'taskset' : process.execPath;
    const argv = options.cpus ? ['-c', options.cpus, process.execPath, ...args] : args;
    const child = spawn(command, argv, {
      cwd: options.cwd,
      env: {
        ...options.env,
        // The instrument's profile of allocations per window (instrument.mjs), labelled by server.
        ...(process.env.BENCH_ALLOC_PROF
          ? { BENCH_ALLOC_PROF: process.env.BENCH_ALLOC_PROF, BENCH_LABEL: options.label }
          : {}),
      } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    const server = new ServerProcess(options.label, child);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) =>
        reject(new Error(`${options.label} exited (${code}) during start:\n${server.logs()}`)),
      ),
    );
    const announced = new Promise<number>((resolve) => {
      child.on('message', (message: { type: string; port?: number }) => {
        if (message.type === 'ready') resolve(message.port ?? 0);
      });
    });
    exited.catch(() => undefined);
    try {
      const port = await Promise.race([ready ? ready().then(() => 0) : announced, exited]);
      return { server, port };
    } catch (error) {
      // Not ready in time: it must not go on writing to what the caller cleans up next.
      await server.stop();
      throw error;
    }
  }

  /** The server's numbers now; `gc` runs a full collection first; `resetLoopDelay` starts a new window. */
  /**
   * A reading after a full gc, a quiet wait of `waitMs` and another gc. V8 gives freed pages back to
   * the system some seconds after a collection (its memory reducer) and glibc keeps freed native
   * memory (argon2's, during logins) until it trims, so a reading taken right after a gc still counts
   * memory a burst allocated and let go; a settled one does not. Take both sides of a delta this way.
   */
  async settledStats(waitMs: number): Promise<ServerStats> {
    await this.stats({ gc: true });
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    return this.stats({ gc: true });
  }

  stats(options: { gc?: boolean; resetLoopDelay?: boolean } = {}): Promise<ServerStats> {
    const id = this.nextRequest++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label} did not report stats`)), 30_000);
      this.waiting.set(id, (stats) => {
        clearTimeout(timer);
        resolve(stats);
      });
      this.child.send({
        type: options.gc ? 'gc' : 'stats',
        id,
        resetLoopDelay: options.resetLoopDelay ?? false,
      });
    });
  }

  /** Writes a V8 heap snapshot of the server to `path` (for Chrome DevTools' Memory tab). */
  heapSnapshot(path: string): Promise<void> {
    const id = this.nextRequest++;
    return new Promise((resolve) => {
      this.waiting.set(id, () => resolve());
      this.child.send({ type: 'heap-snapshot', id, path });
    });
  }

  /**
   * Samples which functions allocate on the V8 heap for `ms` (V8's sampling heap profiler) and
   * writes the profile to `path` (a .heapprofile for Chrome DevTools, or bench/src/allocation-summary.ts).
   */
  allocationProfile(path: string, ms: number): Promise<void> {
    const id = this.nextRequest++;
    return new Promise((resolve) => {
      this.waiting.set(id, () => resolve());
      this.child.send({ type: 'allocation-profile', id, path, ms });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

const CLOCK_TICKS_PER_SECOND = 100;

/** The database server's process id (mariadbd or mysqld on this machine), or null if not visible. */
export function findDatabasePid(): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const name = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (name === 'mariadbd' || name === 'mysqld') return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return null;
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat; null if unreadable. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}
