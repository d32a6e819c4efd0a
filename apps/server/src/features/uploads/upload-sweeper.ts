import type { FastifyBaseLogger } from 'fastify';
import type { UploadsService } from './uploads.service.js';

export interface UploadSweeperOptions {
  /** Milliseconds an upload may wait to be attached to a message. */
  ttlMs: number;
  /** Milliseconds between sweeps. */
  intervalMs: number;
}

/**
 * Runs the unattached-upload sweep every `intervalMs` in every process; the sweep itself is safe to
 * run in several at once (uploads.repository.ts). A failed sweep is logged and tried again next time.
 */
export function startUploadSweeper(
  uploads: Pick<UploadsService, 'sweep'>,
  { ttlMs, intervalMs }: UploadSweeperOptions,
  log: FastifyBaseLogger,
): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = uploads
      .sweep(ttlMs)
      .then((removed) => {
        if (removed > 0) log.info({ removed }, 'unattached uploads removed');
      })
      .catch((error: unknown) =>
        log.warn({ err: error }, 'upload sweep failed; retrying at the next interval'),
      )
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
