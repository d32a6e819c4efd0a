import type { FastifyBaseLogger } from 'fastify';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { PrismaClient } from '../../generated/prisma/client.js';

/**
 * When and by which process a webhook delivery is attempted. The deliveries table holds what a
 * delivery is (payload, status, attempts: features/bots/webhook-deliverer.ts) and is the truth; a
 * queue only says "attempt delivery X at time T". Two drivers behind this one interface, so the
 * features use the same code path with either:
 * - BullMQ on Redis when REDIS_URL is set (delayed jobs, one job id per delivery and attempt);
 * - the database otherwise: a poller hands due rows to the deliverer.
 * Either way the deliverer claims a row before attempting it (a conditional UPDATE on its attempt
 * count with a lease, `claimDelivery`), so a delivery handed out twice, by two processes or a
 * duplicate job, is attempted once, and a process that dies mid-attempt frees it when the lease
 * runs out. Both drivers also relay: on start and every `pollMs`, due `pending` rows nobody holds
 * are handed out again (the database driver's poll; BullMQ re-adds their jobs under the same job
 * id, which Redis deduplicates), so a row stored just before a crash, or while Redis was down,
 * is still delivered.
 */
export interface DeliveryQueue {
  /**
   * Asks for attempt number `attempt` (0 for the first; the row's `attempts` before it) of
   * `deliveryId` after `delayMs`. Idempotent: scheduling the same attempt twice queues it once.
   */
  schedule(deliveryId: string, attempt: number, delayMs: number): Promise<void>;
  /** Starts handing due deliveries to `attempt`, at most CONCURRENCY at once per process, and relaying. */
  start(attempt: (deliveryId: string) => Promise<void>): void;
  /** Stops taking deliveries and waits for running attempts. */
  close(): Promise<void>;
}

/** How long a claimed delivery is held before another process may take it (ms): past any attempt's timeout. */
export const leaseMs = (timeoutMs: number) => timeoutMs * 2 + 5_000;
const CONCURRENCY = 4;
/** Due rows one relay pass looks at; the rest wait for the next pass. */
const RELAY_BATCH = 100;

/** Due deliveries no process holds (no lease, or an expired one), oldest due first. */
async function dueDeliveries(
  prisma: PrismaClient,
  now: Date,
  limit: number,
): Promise<Array<{ id: string; attempts: number }>> {
  return prisma.botWebhookDelivery.findMany({
    where: {
      status: 'pending',
      nextAttemptAt: { lte: now },
      OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }],
    },
    select: { id: true, attempts: true },
    orderBy: { nextAttemptAt: 'asc' },
    take: limit,
  });
}

/**
 * Claims one attempt of a delivery for this process: a conditional UPDATE that only succeeds while
 * the row is still pending, due, unheld and at the attempt count read (`attempts`), so of any
 * processes or duplicate jobs racing for the same attempt exactly one wins. The winner holds a lease
 * until `now + leaseMs(timeoutMs)` and has counted the attempt. Returns whether this call won.
 */
export async function claimDelivery(
  prisma: PrismaClient,
  row: { id: string; attempts: number; lockedUntil: Date | null },
  now: Date,
  timeoutMs: number,
): Promise<boolean> {
  const { count } = await prisma.botWebhookDelivery.updateMany({
    where: {
      id: row.id,
      status: 'pending',
      attempts: row.attempts,
      nextAttemptAt: { lte: now },
      OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }],
    },
    data: { attempts: row.attempts + 1, lockedUntil: new Date(now.getTime() + leaseMs(timeoutMs)) },
  });
  return count === 1;
}

export function createDatabaseDeliveryQueue(
  prisma: PrismaClient,
  { pollMs, log }: { pollMs: number; log: FastifyBaseLogger },
): DeliveryQueue {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let polling: Promise<void> | null = null;
  let again = false;
  /** Attempts running in this process, by delivery id. */
  const running = new Map<string, Promise<void>>();
  let handler: ((deliveryId: string) => Promise<void>) | null = null;

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
        // The deliverer claims each row (claimDelivery): of processes polling at once, one attempts it.
        const due = await dueDeliveries(prisma, new Date(), free + running.size);
        for (const { id } of due.filter((row) => !running.has(row.id)).slice(0, free)) {
          const task = run(id)
            .catch((error: unknown) => log.error({ err: error, deliveryId: id }, 'webhook attempt failed'))
            .finally(() => {
              running.delete(id);
              poll();
            });
          running.set(id, task);
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
      await Promise.allSettled([...running.values()]);
    },
  };
}

/**
 * BullMQ's job id for one attempt of one delivery: the delivery id and the attempt number, so the
 * deliverer and every process's relay name the same attempt alike and Redis keeps one job for it.
 */
export const deliveryJobId = (deliveryId: string, attempt: number) => `${deliveryId}-${attempt}`;

export function createBullDeliveryQueue({
  url,
  keyPrefix,
  prisma,
  pollMs,
  log,
}: {
  url: string;
  keyPrefix: string;
  prisma: PrismaClient;
  /** How often (ms) due deliveries without a job are re-added (the relay). */
  pollMs: number;
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
  let timer: NodeJS.Timeout | undefined;
  let relaying: Promise<void> | null = null;

  async function schedule(deliveryId: string, attempt: number, delayMs: number): Promise<void> {
    await queue.add(
      'deliver',
      { deliveryId },
      // Adding a job id that is waiting, delayed or running is a no-op (BullMQ's custom job ids).
      {
        jobId: deliveryJobId(deliveryId, attempt),
        delay: delayMs,
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
  }

  /**
   * Re-adds the jobs of due rows nobody holds: a row stored by a process that died before adding its
   * job, or whose add failed while Redis was down. A row whose job is still queued is added under the
   * same job id, a no-op; a job that ran meanwhile finds the row claimed or settled and does nothing.
   */
  function relay(): void {
    if (relaying) return;
    relaying = (async () => {
      try {
        for (const row of await dueDeliveries(prisma, new Date(), RELAY_BATCH)) {
          await schedule(row.id, row.attempts, 0);
        }
      } catch (error) {
        log.warn({ err: error }, 'webhook relay failed; retrying');
      }
    })().finally(() => {
      relaying = null;
    });
  }

  return {
    schedule,
    start(attempt) {
      workerConnection = new Redis(url, { maxRetriesPerRequest: null });
      worker = new Worker<{ deliveryId: string }>(name, (job) => attempt(job.data.deliveryId), {
        connection: workerConnection,
        prefix,
        concurrency: CONCURRENCY,
      });
      worker.on('error', (error) => log.warn({ err: error }, 'webhook worker error'));
      timer = setInterval(relay, pollMs);
      timer.unref();
      relay();
    },
    async close() {
      clearInterval(timer);
      await relaying;
      await worker?.close();
      await queue.close();
      workerConnection?.disconnect();
      queueConnection.disconnect();
    },
  };
}
