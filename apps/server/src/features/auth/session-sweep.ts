/**
 * How often (ms) each process looks for sockets whose check is due: a quarter of recheckMs, at most a
 * second. An idle socket is ended at most this long after its session's expiry.
 */
export function sweepIntervalMs(recheckMs: number): number {
  return Math.min(1_000, Math.max(10, Math.floor(recheckMs / 4)));
}

export interface SweepDeps<T> {
  /** How often (ms) the sweep runs; an item is due in the first sweep at or after its time. */
  intervalMs: number;
  now: () => number;
  /** Called once for each item whose time has come, which has then left the sweep. */
  due(item: T): void;
}

export type Sweep<T> = ReturnType<typeof createSweep<T>>;

/**
 * Items that each wait until a time, handed to `due` by one interval timer: the timer runs only while
 * something waits (unref'd, so it never holds the process open), and a sweep costs the number of
 * items due, not the number waiting. Items wait in slots, one per interval (counted since the epoch),
 * so many items due in one interval leave together.
 */
export function createSweep<T>({ intervalMs, now, due }: SweepDeps<T>) {
  /** Items waiting, by slot: the interval (count since the epoch) each is due in. */
  const slots = new Map<number, Set<T>>();
  const slotOf = new Map<T, number>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  function remove(item: T): void {
    const slot = slotOf.get(item);
    if (slot === undefined) return;
    slotOf.delete(item);
    const waiting = slots.get(slot);
    waiting?.delete(item);
    if (waiting?.size === 0) slots.delete(slot);
  }

  function sweep(): void {
    const current = Math.floor(now() / intervalMs);
    for (const [slot, waiting] of slots) {
      if (slot > current) continue;
      slots.delete(slot);
      for (const item of waiting) {
        slotOf.delete(item);
        due(item);
      }
    }
    if (slots.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  }

  return {
    /**
     * Makes the item due at `at` (ms since the epoch), instead of when it was due before. Ignored once
     * closed.
     */
    add(item: T, at: number): void {
      if (closed) return;
      remove(item);
      const slot = Math.ceil(at / intervalMs);
      let waiting = slots.get(slot);
      if (!waiting) slots.set(slot, (waiting = new Set()));
      waiting.add(item);
      slotOf.set(item, slot);
      if (!timer) {
        timer = setInterval(sweep, intervalMs);
        timer.unref();
      }
    },

    /** Takes the item out of the sweep, if it waits there. */
    remove,

    /** Stops the timer and forgets every item; later `add`s are ignored. */
    close(): void {
      closed = true;
      if (timer) clearInterval(timer);
      timer = null;
      slots.clear();
      slotOf.clear();
    },
  };
}
