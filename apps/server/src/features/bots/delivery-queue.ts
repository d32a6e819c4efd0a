import type { FastifyBaseLogger } from 'fastify';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { PrismaClient } from '../../generated/prisma/client.js';

/**
 * When and by which process a webhook delivery is attempted. The deliveries table holds what a
 * delivery is (payload, status, attempts: features/bots/webhook-deliverer.ts); a queue only says
 * "attempt delivery X at time T", durably, to exactly one worker at a time. Two drivers behind this
 * one interface, so the features use the same code path with either:
 * - BullMQ on Redis when REDIS_URL is set (delayed jobs, one job id per attempt);
 * - the database otherwise: due rows are claimed with a lease (`lockedUntil`), so a process that
 *   dies mid-attempt frees its deliveries when the lease runs out.
 */
export interface DeliveryQueue {
  /** Asks for an attempt of `deliveryId`, `attempt` (0 for the first), after `delayMs`. Idempotent. */
  schedule(deliveryId: string, attempt: number, delayMs: number): Promise<void>;
  /** Starts handing due deliveries to `attempt`, at most `concurrency` at once. */
  start(attempt: (deliveryId: string) => Promise<void>): void;
  /** Stops taking deliveries and waits for running attempts. */
  close(): Promise<void>;
}

/** How long a claimed delivery is held before another process may take it (ms): past any attempt's timeout. */
const leaseMs = (timeoutMs: number) => timeoutMs * 2 + 5_000;
const CONCURRENCY = 4;

export function createDatabaseDeliveryQueue(
  prisma: PrismaClient,
  { pollMs, timeoutMs, log }: { pollMs: number; timeoutMs: number; log: FastifyBaseLogger },
): DeliveryQueue {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let polling: Promise<void> | null = null;
  let again = false;
  const running = new Set<Promise<void>>();
  let handler: ((deliveryId: string) => Promise<void>) | null = null;

  /** Claims due deliveries (a conditional UPDATE per row: only one process wins each). */
  async function claimDue(limit: number): Promise<string[]> {
    const now = new Date();
    const due = await prisma.botWebhookDelivery.findMany({
      where: {
        status: 'pending',
        nextAttemptAt: { lte: now },
        OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }],
      },
      select: { id: true, lockedUntil: true },
      orderBy: { nextAttemptAt: 'asc' },
      take: limit,
    });
    const claimed: string[] = [];
    for (const row of due) {
      const { count } = await prisma.botWebhookDelivery.updateMany({
        where: { id: row.id, status: 'pending', lockedUntil: row.lockedUntil },
        data: { lockedUntil: new Date(now.getTime() + leaseMs(timeoutMs)) },
      });
      if (count === 1) claimed.push(row.id);
    }
    return claimed;
  }

  function poll(): void {
    if (stopped || !handler) return;
    if (polling) {
      again = true;
      return;
    }
    const run = handler;
    polling = (async () => {
      try {
        const free = CONCURRENCY - running.size;
        if (free <= 0) return;
        for (const id of await claimDue(free)) {
          const task = run(id)
            .catch((error: unknown) => log.error({ err: error, deliveryId: id }, 'webhook attempt failed'))
            .finally(() => {
              running.delete(task);
              poll();
            });
          running.add(task);
        }
      } catch (error) {
        log.warn({ err: error }, 'webhook queue poll failed; retrying');
      }
    })().finally(() => {
      polling = null;
      if (again) {
        again = false;
        poll();
      }
    });
  }

  return {
    async schedule(_deliveryId, _attempt, delayMs) {
      // The row's nextAttemptAt is the schedule (written by the deliverer); this only wakes the poller.
      const wake = setTimeout(poll, delayMs);
      wake.unref();
    },
    start(attempt) {
      handler = attempt;
      timer = setInterval(poll, pollMs);
      timer.unref();
      poll();
    },
    async close() {
      stopped = true;
      clearInterval(timer);
      await polling;
      await Promise.allSettled([...running]);
    },
  };
}

export function createBullDeliveryQueue({
  url,
  keyPrefix,
  log,
}: {
  url: string;
  keyPrefix: string;
  log: FastifyBaseLogger;
}): DeliveryQueue {
  const name = 'webhook-deliveries';
  // BullMQ's own key prefix, under Parley's: tests and sites sharing a Redis stay apart.
  const prefix = `${keyPrefix}bull`;
  const queueConnection = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
  const queue = new Queue<{ deliveryId: string }>(name, { connection: queueConnection, prefix });
  queue.on('error', (error) => log.warn({ err: error }, 'webhook queue error'));
  let worker: Worker<{ deliveryId: string }> | null = null;
  let workerConnection: Redis | null = null;

  return {
    async schedule(deliveryId, attempt, delayMs) {
      await queue.add(
        'deliver',
        { deliveryId },
        // One job id per attempt: adding the same attempt twice is a no-op.
        { jobId: `${deliveryId}-${attempt}`, delay: delayMs, removeOnComplete: true, removeOnFail: true },
      );
    },
    start(attempt) {
      workerConnection = new Redis(url, { maxRetriesPerRequest: null });
      worker = new Worker<{ deliveryId: string }>(name, (job) => attempt(job.data.deliveryId), {
        connection: workerConnection,
        prefix,
        concurrency: CONCURRENCY,
      });
      worker.on('error', (error) => log.warn({ err: error }, 'webhook worker error'));
    },
    async close() {
      await worker?.close();
      await queue.close();
      workerConnection?.disconnect();
      queueConnection.disconnect();
    },
  };
}
