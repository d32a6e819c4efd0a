import { busy } from './app-error.js';
import { batchChannel, type BatchTrace } from './trace.js';

/**
 * Group commit: requests that arrive while others are being written are gathered and written
 * together, one transaction (or one command) per batch, so a burst costs one round trip per batch
 * instead of several per request. A request that finds nothing being written is written at once (no
 * added latency when the server is quiet); otherwise it waits for up to `waitMs` (or until `maxBatch`
 * have gathered) for others to join it. At most `connections` batches are written at once; while they
 * are, new requests gather into the next batch.
 *
 * Used by the send path (features/messages/send-batcher.ts) and by delivery and read reports
 * (features/conversations/position-batcher.ts).
 */
export interface GroupCommitOptions {
  /** Milliseconds the first request of a batch waits for others to join it. */
  waitMs: number;
  /** Requests per batch at most. */
  maxBatch: number;
  /** Batches written at once (each holds one database connection while it is written). */
  connections: number;
  /**
   * Milliseconds a request may wait for a batch to take it (every connection busy) before it is
   * refused as `server/busy`, like a query waiting for a pooled connection.
   */
  admissionTimeoutMs: number;
  /** The refusal's message when `admissionTimeoutMs` passes. */
  busyMessage: string;
  /** What the batches are ('message-send', 'positions', …): names them in traces (lib/trace.ts). */
  name: string;
}

/** What became of one request of a batch: its answer, or its own refusal. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Writes one batch and answers each request, in the batch's order. A rejection fails every request
 * of the batch with that error (lib/db-failures.ts classifies it; the batch was rolled back whole, so
 * every request is retryable).
 */
export type WriteBatch<In, Out> = (batch: In[]) => Promise<Array<Settled<Out>>>;

export interface GroupCommit<In, Out> {
  /** Writes `request` in a batch and resolves with its answer, or rejects with its refusal. */
  submit(request: In): Promise<Out>;
  /** Writes what is waiting and resolves when no batch is in flight. */
  drain(): Promise<void>;
}

interface Waiting<In, Out> {
  request: In;
  resolve: (value: Out) => void;
  reject: (reason: unknown) => void;
  /** Set only if the request has to wait: one written at once costs no timer. */
  deadline: NodeJS.Timeout | null;
  /** performance.now() at submit, when traced (lib/trace.ts); else 0. */
  submittedAt: number;
}

/**
 * Group commit in lanes: every request has a key (a conversation id), and requests of one key always
 * go to the same lane, a group commit of its own with one connection. Two batches written at once
 * then never hold the same key, so when the write locks rows by key (`SELECT … FOR UPDATE` on the
 * conversations of a batch), one batch never waits on the other's locks: with one shared queue
 * instead, two batches of a busy group both locked its conversation row and the second waited for
 * the first's commit while holding every other lock it had taken (measured: 184 lock waits, 3.5 s
 * in all, in 8 s at 2,000 msg/s, docs/benchmarks.md). A busy key cannot use more than its lane,
 * which is all that locking lets it use anyway.
 *
 * `options.connections` is the number of lanes; `laneKey` must be a non-negative integer.
 */
export function createLanedGroupCommit<In, Out>(
  write: WriteBatch<In, Out>,
  options: GroupCommitOptions,
  laneKey: (request: In) => number,
): GroupCommit<In, Out> {
  const lanes = Array.from({ length: options.connections }, () =>
    createGroupCommit(write, { ...options, connections: 1 }),
  );
  return {
    submit: (request) => lanes[laneKey(request) % lanes.length]!.submit(request),
    async drain() {
      await Promise.all(lanes.map((lane) => lane.drain()));
    },
  };
}

export function createGroupCommit<In, Out>(
  write: WriteBatch<In, Out>,
  { waitMs, maxBatch, connections, admissionTimeoutMs, busyMessage, name }: GroupCommitOptions,
): GroupCommit<In, Out> {
  let pending: Array<Waiting<In, Out>> = [];
  let inFlight = 0;
  /** The oldest waiting request has waited its `waitMs` (or the batch is full): write as soon as a connection is free. */
  let due = false;
  let timer: NodeJS.Timeout | null = null;
  let idle: Array<() => void> = [];

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    while (due && inFlight < connections && pending.length > 0) {
      const batch = pending.slice(0, maxBatch);
      pending = pending.slice(batch.length);
      due = pending.length >= maxBatch;
      for (const entry of batch) if (entry.deadline) clearTimeout(entry.deadline);
      void run(batch);
    }
    if (pending.length > 0 && !due) timer = setTimeout(markDue, waitMs);
    if (pending.length === 0) due = false;
    if (inFlight === 0 && pending.length === 0) {
      for (const resolve of idle) resolve();
      idle = [];
    }
  }

  function markDue(): void {
    due = true;
    flush();
  }

  async function run(batch: Array<Waiting<In, Out>>): Promise<void> {
    inFlight += 1;
    const startedAt = batchChannel.hasSubscribers ? performance.now() : 0;
    try {
      const answers = await write(batch.map((entry) => entry.request));
      if (startedAt > 0 && batch[0]!.submittedAt > 0) {
        const trace: BatchTrace = {
          name,
          size: batch.length,
          waitedMs: startedAt - batch[0]!.submittedAt,
          writeMs: performance.now() - startedAt,
        };
        batchChannel.publish(trace);
      }
      batch.forEach((entry, index) => {
        const answer = answers[index];
        if (!answer) entry.reject(new Error('a batch write left a request unanswered'));
        else if (answer.ok) entry.resolve(answer.value);
        else entry.reject(answer.error);
      });
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      inFlight -= 1;
      flush();
    }
  }

  return {
    submit(request) {
      return new Promise<Out>((resolve, reject) => {
        const entry: Waiting<In, Out> = {
          request,
          resolve,
          reject,
          deadline: null,
          submittedAt: batchChannel.hasSubscribers ? performance.now() : 0,
        };
        pending.push(entry);
        // With nothing being written there is nothing to wait behind: write at once. Batches
        // form while others are being written (or for `waitMs` on a spare connection).
        if (pending.length >= maxBatch || inFlight === 0) due = true;
        if (due) flush();
        else timer ??= setTimeout(markDue, waitMs);
        if (pending.at(-1) === entry) {
          entry.deadline = setTimeout(() => {
            const at = pending.indexOf(entry);
            if (at === -1) return;
            pending.splice(at, 1);
            reject(busy(busyMessage));
          }, admissionTimeoutMs);
        }
      });
    },

    drain() {
      due = true;
      return new Promise<void>((resolve) => {
        idle.push(resolve);
        flush();
      });
    },
  };
}
