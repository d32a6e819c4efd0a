import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';

/** The message the primary sends a worker to make it shut down gracefully (see server.ts). */
export const SHUTDOWN_MESSAGE = { parley: 'shutdown' } as const;

export function isShutdownMessage(message: unknown): boolean {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { parley?: unknown }).parley === SHUTDOWN_MESSAGE.parley
  );
}

export interface SupervisorOptions {
  /** Workers to keep running. */
  processes: number;
  log: Logger;
  /**
   * Milliseconds the workers get to close gracefully after SIGTERM/SIGINT before they are killed;
   * a little longer than a worker's own limit (server.ts), so that one normally wins.
   */
  stopTimeoutMs?: number;
}

/** A worker that dies sooner than this after starting counts as crash-looping (restarts back off). */
const QUICK_DEATH_MS = 10_000;
const RESTART_DELAY_MAX_MS = 30_000;

/**
 * The primary process of `node dist/server.js` with more than one process: it forks `processes`
 * workers that all listen on the same port through Node's cluster module (the primary accepts each
 * TCP connection and hands it to a worker in turn; from then on the worker owns it, so a WebSocket
 * stays on one worker for its whole life). The workers share nothing in memory: broadcasts, presence,
 * rate limits and the session cache go through Redis, messages through the database, exactly as
 * between processes on different machines.
 *
 * A worker that dies is replaced at once; one that keeps dying within 10 s of starting is replaced
 * after a doubling delay (up to 30 s), so a bad deploy does not spin. Its clients reconnect to the
 * others meanwhile and catch up.
 *
 * SIGTERM/SIGINT: every listening worker is asked (over IPC, so a signal a terminal also sent to the
 * workers does not count twice) to close gracefully, and one still starting gets SIGTERM; the promise
 * resolves once all have exited.
 */
export function superviseWorkers({
  processes,
  log,
  stopTimeoutMs = 15_000,
}: SupervisorOptions): Promise<void> {
  const startedAt = new Map<Worker, number>();
  /** Workers that have started listening, and so have their shutdown handler (server.ts). */
  const listening = new Set<Worker>();
  let quickDeaths = 0;
  let stopping = false;
  let stopped: () => void = () => undefined;
  const allExited = new Promise<void>((resolve) => {
    stopped = resolve;
  });

  const fork = () => {
    const worker = cluster.fork();
    startedAt.set(worker, Date.now());
    worker.once('listening', () => listening.add(worker));
  };

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    listening.delete(worker);
    if (stopping) {
      if (startedAt.size === 0) stopped();
      return;
    }
    quickDeaths = lived < QUICK_DEATH_MS ? quickDeaths + 1 : 0;
    const delayMs = quickDeaths <= 1 ? 0 : Math.min(RESTART_DELAY_MAX_MS, 500 * 2 ** (quickDeaths - 2));
    log.error(
      { workerPid: worker.process.pid, code, signal, livedMs: lived, delayMs },
      'worker died; replacing it',
    );
    setTimeout(() => {
      if (!stopping) fork();
    }, delayMs);
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, workers: startedAt.size }, 'shutting down the workers');
    if (startedAt.size === 0) stopped();
    for (const worker of startedAt.keys()) {
      // A worker still starting (one just forked to replace another) serves no one and would not hear
      // the message yet: it is only handled once the worker listens, so it would be lost and the
      // worker killed after stopTimeoutMs. SIGTERM ends it at once (its default action, before then).
      if (listening.has(worker) && worker.isConnected()) worker.send(SHUTDOWN_MESSAGE);
      else worker.process.kill('SIGTERM');
    }
    setTimeout(() => {
      for (const worker of startedAt.keys()) {
        log.error({ workerPid: worker.process.pid }, 'worker did not close in time; killing it');
        worker.process.kill('SIGKILL');
      }
    }, stopTimeoutMs).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  log.info({ processes }, 'starting workers');
  for (let index = 0; index < processes; index += 1) fork();
  return allExited;
}
