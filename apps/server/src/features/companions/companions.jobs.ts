import type { FastifyBaseLogger } from 'fastify';
import type { CompanionJobRow, CompanionsRepository } from './companions.repository.js';

export interface JobRunnerDeps {
  repository: Pick<CompanionsRepository, 'due' | 'claim' | 'finish' | 'postpone'>;
  run: (job: CompanionJobRow) => Promise<'done' | Date>;
  /** How often to look for due jobs (COMPANION_JOB_POLL_MS). */
  pollMs: number;
  /** How long a claimed job is this process's: past it, another process may take it over (ms). */
  leaseMs: number;
  log: FastifyBaseLogger;
  clock?: () => Date;
}

/**
 * Runs companion jobs (check-ins, memory summaries) from the `companion_jobs` table: every process
 * polls for due rows and claims each with a conditional UPDATE, so exactly one process runs a job at
 * a time, and a job whose process died runs again elsewhere once its lease is over. Rows outlive
 * restarts, so nothing scheduled is lost. What a job posts is stored once however often it runs
 * (its clientMsgId is named after the job), which makes the at-least-once run exactly-once in effect.
 */
export function createJobRunner(deps: JobRunnerDeps) {
  const clock = deps.clock ?? (() => new Date());
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;

  async function tick(): Promise<void> {
    const now = clock();
    const due = await deps.repository.due(now, 20);
    for (const job of due) {
      if (stopped) return;
      if (!(await deps.repository.claim(job.id, now, new Date(now.getTime() + deps.leaseMs)))) continue;
      try {
        const outcome = await deps.run(job);
        if (outcome === 'done') await deps.repository.finish(job.id, clock());
        else await deps.repository.postpone(job.id, outcome);
      } catch (error) {
        // Left claimed: tried again when the lease is over.
        deps.log.error({ err: error, jobId: job.id, kind: job.kind }, 'companion job failed');
      }
    }
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick()
        .catch((error: unknown) => deps.log.warn({ err: error }, 'companion jobs: poll failed'))
        .finally(() => {
          running = null;
          schedule();
        });
    }, deps.pollMs);
  }

  return {
    start(): void {
      schedule();
    },
    /** Stops polling and waits for the job in hand. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
