// Preloaded (node --import) into every server under test, Parley included, so all three are measured
// the same way from outside their code: the bench asks over the IPC channel and this answers with
// CPU time, RSS, heap, event-loop delay, database writes and write system calls. Parley's own code
// is not changed.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { subscribe } from 'node:diagnostics_channel';
import {
  PerformanceObserver,
  createHistogram,
  constants as perfConstants,
  monitorEventLoopDelay,
} from 'node:perf_hooks';
import { GCProfiler, getHeapSpaceStatistics, getHeapStatistics, writeHeapSnapshot } from 'node:v8';

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

// Garbage collections since the last reset: how many, their summed and longest pause (ms) and the
// kind of the longest (a scavenge of the young generation or a mark-compact of the old one), so a
// long event-loop delay can be told apart from long-running JavaScript.
const gcKinds = {
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
let gc = { count: 0, totalMs: 0, maxMs: 0, maxKind: null };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count += 1;
    gc.totalMs += entry.duration;
    if (entry.duration > gc.maxMs) {
      gc.maxMs = entry.duration;
      gc.maxKind = gcKinds[entry.detail?.kind] ?? 'other';
    }
  }
}).observe({ entryTypes: ['gc'] });

// Bytes allocated on the V8 heap since the process started: the growth of the used heap between
// collections (each collection's before/after from v8.GCProfiler), summed. V8 shrinks a young
// generation a burst has grown, and its memory reducer compacts the old one, only while allocation
// stays under about 1,000 bytes/ms (Heap::ShouldResizeNewSpace), so an idle server's rate says
// whether it can give memory back.
let allocatedBytes = 0;
let usedAfterLastGc = getHeapStatistics().used_heap_size;
let gcProfiler = new GCProfiler();
gcProfiler.start();
function heapAllocatedBytes() {
  for (const { beforeGC, afterGC } of gcProfiler.stop().statistics) {
    allocatedBytes += Math.max(0, beforeGC.heapStatistics.usedHeapSize - usedAfterLastGc);
    usedAfterLastGc = afterGC.heapStatistics.usedHeapSize;
  }
  gcProfiler = new GCProfiler();
  gcProfiler.start();
  const used = getHeapStatistics().used_heap_size;
  const sinceLastGc = Math.max(0, used - usedAfterLastGc);
  return allocatedBytes + sinceLastGc;
}

// Parley's trace points (apps/server/src/lib/trace.ts), where it publishes any: where a send's time
// goes inside the server (its wait in the send queue, its handling; each batch's wait and write).
// Histograms of microseconds by name, reset with the event-loop delay; P0 and P1 publish nothing.
let traces = new Map();
function traceRecord(name, value) {
  let histogram = traces.get(name);
  if (!histogram) traces.set(name, (histogram = createHistogram()));
  histogram.record(Math.max(1, Math.round(value)));
}
subscribe('parley:socket-event', ({ event, queuedMs, handledMs }) => {
  traceRecord(`${event} queued`, queuedMs * 1_000);
  traceRecord(`${event} handled`, handledMs * 1_000);
});
subscribe('parley:batch', ({ name, size, waitedMs, writeMs }) => {
  traceRecord(`${name} batch waited`, waitedMs * 1_000);
  traceRecord(`${name} batch write`, writeMs * 1_000);
  traceRecord(`${name} batch size`, size);
});
/** Each trace's count, p50, p99 and max (ms; a batch size as is). */
function traceSummary() {
  return Object.fromEntries(
    [...traces].map(([name, h]) => {
      const unit = name.endsWith(' size') ? 1 : 1_000;
      return [
        name,
        { count: h.count, p50: h.percentile(50) / unit, p99: h.percentile(99) / unit, max: h.max / unit },
      ];
    }),
  );
}

// Each write on a connection to the database port is one request to the database (a query, a
// prepare, a transaction statement); per persisted message it approximates round trips per message.
// Only connections made to that port get the counting `write`, as an own property set when they
// connect: wrapping every socket's `write` (each WebSocket frame too) cost Parley about 0.4% of its
// CPU in a profile at 800 msg/s, charged to Parley alone.
const databasePort = Number(process.env.BENCH_DATABASE_PORT ?? 0);
let databaseWrites = 0;
if (databasePort > 0) {
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function connectCounted(...args) {
    const connecting = connect.apply(this, args);
    // `net.connect` passes its arguments normalised ([options, callback]) as the first one. Set
    // after `connect`, which puts the prototype's `write` back on a socket that has another.
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    const port = typeof first === 'object' && first !== null ? first.port : first;
    if (Number(port) === databasePort) {
      const write = net.Socket.prototype.write;
      this.write = function countedWrite(...writeArgs) {
        databaseWrites += 1;
        return write.apply(this, writeArgs);
      };
    }
    return connecting;
  };
}

/**
 * Write system calls this process has made (`syscw` of /proc/self/io: write, writev, sendmsg …, on
 * every file and socket, all threads), or null where /proc is not there. Per message it says how many
 * times a server enters the kernel to send: each WebSocket frame is one unless frames are coalesced.
 */
function writeSyscalls() {
  try {
    const match = /^syscw:\s*(\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

process.on('message', (request) => {
  if (!request || typeof request !== 'object' || !process.send) return;
  if (request.type === 'gc') {
    globalThis.gc?.();
    globalThis.gc?.();
  }
  if (request.type === 'allocation-profile') {
    // Which functions allocate, sampled for `ms`, written as a .heapprofile for Chrome DevTools.
    const session = startSampling(() =>
      setTimeout(
        () =>
          stopSampling(session, request.path, () =>
            process.send?.({ type: 'allocation-profile', id: request.id, path: request.path }),
          ),
        request.ms,
      ),
    );
    return;
  }
  if (request.type === 'heap-snapshot') {
    // Into a directory made here if need be: a throw in this handler would leave the bench waiting
    // for an answer that never comes.
    mkdirSync(dirname(request.path), { recursive: true });
    process.send({ type: 'heap-snapshot', id: request.id, path: writeHeapSnapshot(request.path) });
    return;
  }
  if (request.type === 'stats' || request.type === 'gc') {
    const memory = process.memoryUsage();
    process.send({
      type: 'stats',
      id: request.id,
      cpuMicros: process.cpuUsage(),
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      external: memory.external,
      // Committed and used bytes of each V8 heap space (new_space, old_space, large_object_space …).
      spaces: Object.fromEntries(
        getHeapSpaceStatistics().map((space) => [
          space.space_name,
          { committed: space.space_size, used: space.space_used_size },
        ]),
      ),
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: loopDelay.max / 1e6,
      gc,
      allocatedBytes: heapAllocatedBytes(),
      uptimeMs: performance.now(),
      databaseWrites,
      writeSyscalls: writeSyscalls(),
      traces: traceSummary(),
    });
    if (request.resetLoopDelay) {
      traces = new Map();
      loopDelay.reset();
      gc = { count: 0, totalMs: 0, maxMs: 0, maxKind: null };
      startAllocationSampling();
    } else stopAllocationSampling();
  }
});

// BENCH_ALLOC_PROF=<dir>: a sampling profile of what each measured window allocated, garbage included
// (V8's sampling heap profiler with the objects later collected by either gc kept in it), written as
// <dir>/<label>-<n>.heapprofile (Chrome DevTools' Memory panel opens it). What a server allocates per
// message is what its young-generation collections cost.
const allocationDir = process.env.BENCH_ALLOC_PROF
  ? join(process.env.BENCH_ALLOC_PROF, process.env.BENCH_LABEL ?? String(process.pid))
  : null;
let allocationSession = null;
let allocationWindows = 0;
function startAllocationSampling() {
  if (allocationDir && !allocationSession) allocationSession = startSampling();
}
function stopAllocationSampling() {
  if (!allocationSession) return;
  mkdirSync(allocationDir, { recursive: true });
  allocationWindows += 1;
  stopSampling(allocationSession, join(allocationDir, `window-${allocationWindows}.heapprofile`));
  allocationSession = null;
}

/**
 * Starts V8's sampling heap profiler (about one sample per 32 KiB allocated, objects collected
 * meanwhile by either gc kept in it, so it shows allocation, not what survives) on a new inspector
 * session; `started` runs once it has.
 */
function startSampling(started) {
  const session = new Session();
  session.connect();
  session.post(
    'HeapProfiler.startSampling',
    {
      samplingInterval: 32_768,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    },
    () => started?.(),
  );
  return session;
}

/** Stops `session`'s sampling and writes the profile to `path` (a .heapprofile); `done` runs after. */
function stopSampling(session, path, done) {
  session.post('HeapProfiler.stopSampling', (error, result) => {
    try {
      if (!error) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, JSON.stringify(result.profile));
      }
    } catch (writeError) {
      // Answered all the same below, so the bench never waits for a profile that cannot come.
      process.stderr.write(`allocation profile not written to ${path}: ${writeError}\n`);
    }
    session.disconnect();
    done?.();
  });
}

// The IPC channel must not keep a server alive on its own, nor stop it when the bench goes away.
process.channel?.unref();
