import { busy } from '../../lib/app-error.js';

export interface UploadGateOptions {
  /** Uploads one process receives or processes at once (UPLOAD_MAX_IN_FLIGHT). */
  maxInFlight: number;
  /** Of those, how many one user may have (UPLOAD_MAX_IN_FLIGHT_PER_USER). */
  maxInFlightPerUser: number;
  /** Processing steps (sharp decodes, later ffmpeg) run at once (UPLOAD_PROCESSING_CONCURRENCY). */
  processingConcurrency: number;
}

/**
 * Bounds what uploads cost one process, so a flood is answered rather than exhausting memory or the
 * temporary directory. `admit` takes a place before the body is read, or refuses at once with 503
 * `server/busy` and Retry-After (retryable: the client's outbox tries again), so at most
 * `maxInFlight` × UPLOAD_MAX_BYTES (times the few files a processor writes) sit in `tmp/`, and no one
 * user holds every place. `process` runs a processor when one of `processingConcurrency` slots is free,
 * in arrival order, so decoded pixels in memory are bounded by that many images of UPLOAD_MAX_PIXELS;
 * its queue is bounded by the admitted uploads.
 */
export function createUploadGate({
  maxInFlight,
  maxInFlightPerUser,
  processingConcurrency,
}: UploadGateOptions) {
  let inFlight = 0;
  const perUser = new Map<number, number>();
  let processing = 0;
  const waiting: Array<() => void> = [];

  return {
    /** Takes an upload place for `userId`; returns its release (safe to call twice). */
    admit(userId: number): () => void {
      const mine = perUser.get(userId) ?? 0;
      if (mine >= maxInFlightPerUser) {
        throw busy('You have too many uploads in progress; try again when one has finished');
      }
      if (inFlight >= maxInFlight) throw busy('The server is receiving too many uploads; try again shortly');
      inFlight += 1;
      perUser.set(userId, mine + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inFlight -= 1;
        const left = (perUser.get(userId) ?? 1) - 1;
        if (left === 0) perUser.delete(userId);
        else perUser.set(userId, left);
      };
    },

    /** Runs `work` once a processing slot is free (first come, first served). */
    async process<T>(work: () => Promise<T>): Promise<T> {
      if (processing < processingConcurrency) processing += 1;
      // The slot is handed over by the finishing step, so `processing` stays counted meanwhile.
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await work();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else processing -= 1;
      }
    },
  };
}

export type UploadGate = ReturnType<typeof createUploadGate>;
