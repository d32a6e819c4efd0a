// The connection bench: N idle connections to bare Socket.IO (P1) and to Parley, one server after the
// other, measuring what holding them costs (memory per connection, time to connect) and what Parley
// says to its clients while people come and go (presence events per connect and per disconnect).
// No messages are sent: this is the connect storm and the idle fleet of issue 7, sections 1 and 4.
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { PONG, decodeFrame, encodeConnect } from './framing.js';
import { startParley } from './parley.js';
import { ServerProcess, type ServerStats } from './server-process.js';
import { buildWorkload, type Workload } from './workload.js';

const P1_ENTRY = fileURLToPath(new URL('./servers/p1-socketio.ts', import.meta.url));
const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

export interface ConnectionsConfig {
  connections: number;
  /** Connections opened at once by the generator. */
  concurrency: number;
  /** Source addresses 127.0.0.1 … 127.0.0.n, each with its own ~28,000 ephemeral ports. */
  sourceAddresses: number;
  /**
   * After the last connect (and after the disconnects), wait until no event has arrived for this
   * long (at most a minute), so a slow server's late announcements are counted too.
   */
  settleMs: number;
  /** Share of the connections closed in the disconnect phase. */
  disconnectShare: number;
  servers: Array<'p1' | 'parley'>;
  /**
   * Where to write each server's heap snapshots (`<dir>/<server>.heapsnapshot` with its fleet held,
   * `<dir>/<server>-half.heapsnapshot` with the first half), or null.
   */
  heapSnapshotDir: string | null;
  /**
   * Where to write each server's sampled allocation profiles: of its idle fleet
   * (`<dir>/<server>.heapprofile`, over `settleMs` × 4 after the settled reading) and of the first 3 s
   * of the second half's connects (`<dir>/<server>-connects.heapprofile`), or null.
   */
  allocationProfileDir: string | null;
  cpus: string | null;
  databaseServerUrl: string;
  redisUrl: string;
  log(line: string): void;
}

/** What the clients received, by event name: frames and (for array payloads) entries. */
export type EventCounts = Record<string, { frames: number; entries: number }>;

export interface ConnectionsResult {
  server: 'p1' | 'parley';
  target: number;
  held: number;
  connectErrors: Record<string, number>;
  connectSeconds: number;
  /**
   * Bytes per held connection: (reading with them held − settled reading before) / held. `idle` is
   * read as the fleet goes quiet; `settled` after gc and a quiet wait (ServerProcess.settledStats).
   */
  rssIdle: number;
  rssSettled: number;
  heapIdle: number;
  heapSettled: number;
  /** Settled V8 heap committed (used or not) and memory outside it (Buffers…), bytes per connection. */
  heapCommittedSettled: number;
  externalSettled: number;
  /**
   * Settled committed bytes per connection of each V8 heap space (from `v8.getHeapSpaceStatistics`):
   * which part of the heap a gap in RSS sits in (a young generation grown by a burst is `new_space`).
   */
  spacesCommittedSettled: Record<string, number>;
  /**
   * Bytes per connection of the second half of the fleet: (settled reading with all held − settled
   * reading with the first half held) / connections added. The cost of one more connection.
   */
  rssMarginal: number;
  heapMarginal: number;
  /**
   * What the connects cost the server, over both halves of the fleet: CPU seconds (user + system),
   * garbage collections (count and summed pause, ms) and bytes allocated on the V8 heap.
   */
  connectCpuSeconds: number;
  connectGc: { count: number; totalMs: number };
  connectAllocatedBytes: number;
  /**
   * Bytes allocated on the V8 heap per millisecond while the fleet sat idle (between the idle and the
   * settled readings). Under about 1,000, V8 shrinks a grown young generation and its memory reducer
   * compacts the old one; above, it keeps what the storm grew.
   */
  idleAllocationBytesPerMs: number;
  /** The same before the first connect (what the server allocates with nobody connected). */
  emptyAllocationBytesPerMs: number;
  /** The settled readings themselves (bytes): before the first connect, with half the fleet, with all. */
  settled: Record<'before' | 'halfway' | 'after', SettledReading>;
  /** Events the clients received from the first connect until the fleet settled. */
  duringConnect: EventCounts;
  disconnected: number;
  /** Events the remaining clients received from the first disconnect until they settled. */
  duringDisconnect: EventCounts;
}

/** A settled reading's absolute memory, bytes. */
export interface SettledReading {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  newSpaceCommitted: number;
  oldSpaceCommitted: number;
}

const reading = (stats: ServerStats): SettledReading => ({
  rss: stats.rss,
  heapUsed: stats.heapUsed,
  heapTotal: stats.heapTotal,
  external: stats.external,
  newSpaceCommitted: stats.spaces.new_space?.committed ?? 0,
  oldSpaceCommitted: stats.spaces.old_space?.committed ?? 0,
});

interface IdleClient {
  close(): void;
}

let lastEventAt = 0;

/** Resolves once no client has received anything for `quietMs` (or after `maxMs`). */
async function settle(quietMs: number, maxMs = 60_000): Promise<void> {
  const started = performance.now();
  lastEventAt = performance.now();
  while (performance.now() - lastEventAt < quietMs && performance.now() - started < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One raw Socket.IO client that answers pings and counts what it is sent. */
function openClient(
  url: string,
  options: { cookie?: string; auth?: unknown; localAddress: string; counts: () => EventCounts },
): Promise<IdleClient> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + '/socket.io/?EIO=4&transport=websocket', {
    perMessageDeflate: false,
    localAddress: options.localAddress,
    headers: options.cookie ? { cookie: options.cookie } : {},
  });
  const client = { close: () => ws.terminate() };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('not connected within 60 s'));
    }, 60_000);
    ws.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.on('message', (data) => {
      const frame = decodeFrame(String(data));
      if (frame.kind === 'open') ws.send(encodeConnect(options.auth));
      else if (frame.kind === 'ping') ws.send(PONG);
      else if (frame.kind === 'connect') {
        clearTimeout(timer);
        resolve(client);
      } else if (frame.kind === 'connect_error') {
        clearTimeout(timer);
        const error = frame.data as { message?: string; data?: { code?: string } } | undefined;
        reject(new Error(`connect_error ${error?.data?.code ?? error?.message ?? 'unknown'}`));
      } else if (frame.kind === 'event') {
        lastEventAt = performance.now();
        const counts = options.counts();
        const entry = (counts[frame.name] ??= { frames: 0, entries: 0 });
        entry.frames += 1;
        const [payload] = frame.args;
        entry.entries += Array.isArray(payload) ? payload.length : 1;
      }
    });
  });
}

async function measure(
  kind: 'p1' | 'parley',
  server: ServerProcess,
  url: string,
  workload: Workload,
  cookies: string[] | null,
  roomIds: number[],
  config: ConnectionsConfig,
): Promise<ConnectionsResult> {
  let counts: EventCounts = {};
  const duringConnect = counts;
  const clients: Array<IdleClient | null> = new Array<IdleClient | null>(workload.connections).fill(null);
  const connectErrors: Record<string, number> = {};
  const empty = await server.stats();
  const before = await server.settledStats(config.settleMs * 2);
  const connectCost = { cpuSeconds: 0, gcCount: 0, gcMs: 0, allocatedBytes: 0 };
  const connectRange = async (from: number, to: number) => {
    const start = await server.stats();
    let next = from;
    const worker = async () => {
      while (next < to) {
        const user = next++;
        try {
          clients[user] = await openClient(url, {
            cookie: cookies?.[user],
            auth: kind === 'p1' ? { rooms: workload.roomsOf[user]!.map((room) => roomIds[room]) } : undefined,
            localAddress: `127.0.0.${1 + (user % config.sourceAddresses)}`,
            counts: () => counts,
          });
        } catch (error) {
          const key = (error as Error).message.slice(0, 80);
          connectErrors[key] = (connectErrors[key] ?? 0) + 1;
        }
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: config.concurrency }, worker));
    const elapsedMs = performance.now() - started;
    const end = await server.stats();
    connectCost.cpuSeconds +=
      (end.cpuMicros.user + end.cpuMicros.system - start.cpuMicros.user - start.cpuMicros.system) / 1e6;
    connectCost.gcCount += end.gc.count - start.gc.count;
    connectCost.gcMs += end.gc.totalMs - start.gc.totalMs;
    connectCost.allocatedBytes += end.allocatedBytes - start.allocatedBytes;
    return elapsedMs;
  };
  // Half the fleet, a settled reading, then the other half: the second half's delta is the cost of
  // one more connection, free of what a burst leaves behind once (a grown young generation).
  const half = Math.floor(workload.connections / 2);
  let connectMs = await connectRange(0, half);
  await settle(config.settleMs);
  const halfway = await server.settledStats(config.settleMs * 2);
  const heldHalfway = clients.filter(Boolean).length;
  // With the snapshot of the whole fleet below, a diff of the two is what the second half holds.
  if (config.heapSnapshotDir)
    await server.heapSnapshot(`${config.heapSnapshotDir}/${kind}-half.heapsnapshot`);
  // What a handshake allocates: the first seconds of the second half's connects, sampled.
  const connectProfile = config.allocationProfileDir
    ? server.allocationProfile(`${config.allocationProfileDir}/${kind}-connects.heapprofile`, 3_000)
    : null;
  connectMs += await connectRange(half, workload.connections);
  await connectProfile;
  const connectSeconds = connectMs / 1_000;
  const held = clients.filter(Boolean).length;
  config.log(`${kind}: ${held}/${workload.connections} connected in ${connectSeconds.toFixed(1)} s`);
  await settle(config.settleMs);
  const idle = await server.stats();
  const afterGc = await server.settledStats(config.settleMs * 2);
  if (config.heapSnapshotDir) await server.heapSnapshot(`${config.heapSnapshotDir}/${kind}.heapsnapshot`);
  if (config.allocationProfileDir) {
    await server.allocationProfile(`${config.allocationProfileDir}/${kind}.heapprofile`, config.settleMs * 4);
  }

  counts = {};
  const duringDisconnect = counts;
  const leaving = Math.floor(workload.connections * config.disconnectShare);
  let disconnected = 0;
  // Every k-th user leaves, so the leavers are spread over all rooms.
  const step = leaving > 0 ? Math.max(1, Math.floor(workload.connections / leaving)) : 0;
  for (let user = 0; step > 0 && user < workload.connections && disconnected < leaving; user += step) {
    clients[user]?.close();
    clients[user] = null;
    disconnected += 1;
  }
  await settle(config.settleMs);
  for (const client of clients) client?.close();

  return {
    server: kind,
    target: workload.connections,
    held,
    connectErrors,
    connectSeconds,
    rssIdle: (idle.rss - before.rss) / held,
    rssSettled: (afterGc.rss - before.rss) / held,
    heapIdle: (idle.heapUsed - before.heapUsed) / held,
    heapSettled: (afterGc.heapUsed - before.heapUsed) / held,
    heapCommittedSettled: (afterGc.heapTotal - before.heapTotal) / held,
    externalSettled: (afterGc.external - before.external) / held,
    spacesCommittedSettled: Object.fromEntries(
      Object.entries(afterGc.spaces).map(([name, space]) => [
        name,
        (space.committed - (before.spaces[name]?.committed ?? 0)) / held,
      ]),
    ),
    rssMarginal: (afterGc.rss - halfway.rss) / Math.max(1, held - heldHalfway),
    heapMarginal: (afterGc.heapUsed - halfway.heapUsed) / Math.max(1, held - heldHalfway),
    connectCpuSeconds: connectCost.cpuSeconds,
    connectGc: { count: connectCost.gcCount, totalMs: connectCost.gcMs },
    connectAllocatedBytes: connectCost.allocatedBytes,
    idleAllocationBytesPerMs:
      (afterGc.allocatedBytes - idle.allocatedBytes) / Math.max(1, afterGc.uptimeMs - idle.uptimeMs),
    settled: { before: reading(before), halfway: reading(halfway), after: reading(afterGc) },
    emptyAllocationBytesPerMs:
      (before.allocatedBytes - empty.allocatedBytes) / Math.max(1, before.uptimeMs - empty.uptimeMs),
    duringConnect,
    disconnected,
    duringDisconnect,
  };
}

/** Runs each server in turn (each in its own process, alone on its core when pinned). */
export async function runConnectionsBench(config: ConnectionsConfig): Promise<ConnectionsResult[]> {
  const workload = buildWorkload(config.connections);
  const results: ConnectionsResult[] = [];
  for (const kind of config.servers) {
    if (kind === 'p1') {
      const { server, port } = await ServerProcess.start({
        label: 'p1',
        nodeArgs: ['--import', 'tsx'],
        entry: P1_ENTRY,
        cwd: BENCH_DIR,
        cpus: config.cpus,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', PORT: '0' },
      });
      try {
        const roomIds = workload.rooms.map((_, index) => index);
        const url = `http://127.0.0.1:${port}`;
        results.push(await measure('p1', server, url, workload, null, roomIds, config));
      } finally {
        await server.stop();
      }
    } else {
      const parley = await startParley({
        workload,
        cpus: config.cpus,
        fromSource: false,
        databaseServerUrl: config.databaseServerUrl,
        redisUrl: config.redisUrl,
        log: config.log,
      });
      try {
        results.push(
          await measure(
            'parley',
            parley.server,
            parley.url,
            workload,
            parley.cookies,
            parley.roomIds,
            config,
          ),
        );
      } finally {
        await parley.stop();
      }
    }
  }
  return results;
}
