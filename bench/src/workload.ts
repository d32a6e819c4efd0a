// The workload of issue 7: N connections in N/10 groups of 10 plus one group of up to 1,000, an
// open-loop Poisson send schedule, and ~150-byte messages that carry their scheduled send time.

/** One room: the users (0…N-1) in it. */
export interface Room {
  members: number[];
}

export interface Workload {
  connections: number;
  rooms: Room[];
  /** The rooms of each user, by room index. */
  roomsOf: number[][];
}

export const BIG_GROUP_SIZE = 1_000;
export const GROUP_SIZE = 10;
export const MESSAGE_BYTES = 150;

/**
 * User i is in group ⌊i/10⌋ and, for i < 1,000, in the big group: so each user is in 1 or 2 rooms
 * (the issue allows 1 to 3).
 */
export function buildWorkload(connections: number): Workload {
  const rooms: Room[] = [];
  for (let start = 0; start < connections; start += GROUP_SIZE) {
    rooms.push({ members: range(start, Math.min(start + GROUP_SIZE, connections)) });
  }
  rooms.push({ members: range(0, Math.min(BIG_GROUP_SIZE, connections)) });
  const roomsOf: number[][] = Array.from({ length: connections }, () => []);
  rooms.forEach((room, index) => room.members.forEach((user) => roomsOf[user]!.push(index)));
  return { connections, rooms, roomsOf };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** A seeded PRNG (mulberry32), so every server gets the same sequence of rooms, senders and gaps. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Milliseconds to the next send of a Poisson process with `ratePerSecond` arrivals: -ln(U)/R. */
export function poissonGapMs(ratePerSecond: number, random: () => number): number {
  return (-Math.log(1 - random()) / ratePerSecond) * 1_000;
}

/** `bench <phase> <id> <scheduled ms>` padded to MESSAGE_BYTES with visible characters. */
export function messageText(phase: number, id: number, scheduledMs: number): string {
  const head = `bench ${phase} ${id} ${scheduledMs.toFixed(3)} `;
  return head.padEnd(MESSAGE_BYTES, 'x');
}

/** The phase, id and scheduled time a received text carries; null for text that is not the bench's. */
export function parseMessageText(text: string): { phase: number; id: number; scheduledMs: number } | null {
  const [tag, phase, id, scheduled] = text.split(' ', 4);
  if (tag !== 'bench' || phase === undefined || id === undefined || scheduled === undefined) return null;
  return { phase: Number(phase), id: Number(id), scheduledMs: Number(scheduled) };
}
