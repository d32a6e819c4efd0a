import type { FastifyBaseLogger } from 'fastify';
import type { UploadsService } from './uploads.service.js';

export interface UploadSweeperOptions {
  /** Milliseconds an upload may wait to be attached to a message. */
  ttlMs: number;
  /** Milliseconds between sweeps. */
  intervalMs: number;
  /**
   * Milliseconds between sweeps of orphan blobs and temporary files (they list every stored blob,
   * so they run less often); the first runs at start, after a crash is when they are found.
   */
  orphanIntervalMs: number;
  /** Milliseconds an unreferenced blob or temporary file is left alone (one being written now). */
  orphanGraceMs: number;
}

/**
 * Runs the unattached-upload sweep every `intervalMs`, and the orphan sweeps (blobs no upload refers
 * to, temporary files) at start and every `orphanIntervalMs`, in every process; each is safe to run
 * in several at once (uploads.repository.ts). A failed sweep is logged and tried again next time.
 */
export function startUploadSweeper(
  uploads: Pick<UploadsService, 'sweep' | 'sweepOrphanBlobs' | 'sweepTemporaryFiles'>,
  { ttlMs, intervalMs, orphanIntervalMs, orphanGraceMs }: UploadSweeperOptions,
  log: FastifyBaseLogger,
): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  /** Runs `sweep` unless one is still running; a failure is logged and tried again next time. */
  const run = (sweep: () => Promise<void>) => {
    if (running) return;
    running = sweep()
      .catch((error: unknown) =>
        log.warn({ err: error }, 'upload sweep failed; retrying at the next interval'),
      )
      .finally(() => {
        running = null;
      });
  };
  const sweepUnattached = async () => {
    const removed = await uploads.sweep(ttlMs);
    if (removed > 0) log.info({ removed }, 'unattached uploads removed');
  };
  const sweepOrphans = async () => {
    const blobs = await uploads.sweepOrphanBlobs(orphanGraceMs);
    const temporary = await uploads.sweepTemporaryFiles(orphanGraceMs);
    if (blobs + temporary > 0) log.info({ blobs, temporary }, 'orphan upload files removed');
  };
  const timers = [
    setInterval(() => run(sweepUnattached), intervalMs),
    setInterval(() => run(sweepOrphans), orphanIntervalMs),
  ];
  for (const timer of timers) timer.unref();
  run(sweepOrphans);
  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await running;
    },
  };
}
