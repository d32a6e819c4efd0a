// The load generator: holds N connections to one server and runs open-loop load phases against it.
// Sends follow a Poisson schedule fixed in advance of the clock; each message carries its scheduled
// time, and latency is measured from that time to receipt (and to the ack), so a slow server cannot
// hide its backlog by slowing the sender down (no coordinated omission).
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { connect, type AckResult, type BenchConnection, type ServerKind } from './clients.js';
import { messageText, parseMessageText, poissonGapMs, seededRandom, type Workload } from './workload.js';

const CONNECT_CONCURRENCY = 50;
const SETTLE_MAX_MS = 60_000;

export interface Target {
  kind: ServerKind;
  url: string;
  /** Several processes of one server: user i connects to urls[i % urls.length] (default: [url]). */
  urls?: string[];
  /** Session cookie per user (Parley only). */
  cookies?: string[];
  /** The wire id of each room (Parley's conversation ids; the room index otherwise). */
  roomIds: number[];
}

export interface PhaseOptions {
  ratePerSecond: number;
  warmupMs: number;
  measureMs: number;
  /** How long to wait after the last send for acks and deliveries before counting what is missing. */
  drainMs: number;
  seed: number;
  /** Called at the start and end of the measured window, for server-side readings. */
  onWindow?: (edge: 'start' | 'end') => Promise<void>;
}

/** Latency percentiles in milliseconds. */
export interface Latency {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export interface PhaseResult {
  offeredPerSecond: number;
  sent: number;
  acked: number;
  /** Refusals (acks with ok: false) by error code. */
  refused: Record<string, number>;
  /** Sends with no ack by the end of the drain. */
  unanswered: number;
  expectedDeliveries: number;
  delivered: number;
  deliveredPerSecond: number;
  /** delivered / expected, for acked messages of the measured window. */
  reach: number;
  lost: number;
  duplicates: number;
  endToEnd: Latency;
  /**
   * End to end for the deliveries of messages to the big group alone (the workload's last room, up
   * to BIG_GROUP_SIZE members; null when none was measured). With 1,000 members it takes about a
   * tenth of all deliveries at 10,000 connections, so it shows whether a p99 is the big group's
   * fan-out or everyone's wait.
   */
  endToEndBigGroup: Latency | null;
  ack: Latency;
  /** The generator's own CPU over the window, as a fraction of one core. */
  generatorCpu: number;
  /**
   * How late the generator wrote each measured send after its scheduled time (its own pauses: a gc,
   * a burst of receipts). The latencies above include it, for every server alike; a late send also
   * reaches the server in a burst with the others due meanwhile.
   */
  sendLateness: Latency;
  unexpectedCloses: number;
}

interface SentMessage {
  scheduledMs: number;
  measured: boolean;
  room: number;
  recipients: number;
  acked: boolean;
  answered: boolean;
  received: number;
}

function histogram(): hdr.Histogram {
  // Microseconds, 1 µs to 10 minutes, 3 significant digits.
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

function latencyOf(histogram: hdr.Histogram): Latency {
  const ms = (percentile: number) => histogram.getValueAtPercentile(percentile) / 1_000;
  return {
    count: histogram.totalCount,
    p50: ms(50),
    p99: ms(99),
    p999: ms(99.9),
    max: histogram.maxValue / 1_000,
  };
}

export class LoadGenerator {
  private connections: (BenchConnection | null)[] = [];
  private phase = 0;
  private messages: SentMessage[] = [];
  private seen: Set<number>[] = [];
  private duplicates = 0;
  private deliveredInWindow = 0;
  private endToEnd = histogram();
  private endToEndBigGroup = histogram();
  private unexpectedCloses = 0;
  /** Connection failures by message, from connectAll. */
  readonly connectErrors: Record<string, number> = {};

  constructor(
    private readonly target: Target,
    private readonly workload: Workload,
  ) {}

  get connected(): number {
    return this.connections.filter(Boolean).length;
  }

  /** Opens one connection per user, CONNECT_CONCURRENCY at a time; failures are counted, not thrown. */
  async connectAll(): Promise<void> {
    const count = this.workload.connections;
    this.connections = new Array<BenchConnection | null>(count).fill(null);
    this.seen = Array.from({ length: count }, () => new Set<number>());
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const user = next++;
        try {
          this.connections[user] = await connect(this.target.kind, {
            url: this.target.urls?.[user % this.target.urls.length] ?? this.target.url,
            cookie: this.target.cookies?.[user],
            rooms: this.workload.roomsOf[user]!.map((room) => this.target.roomIds[room]!),
            onMessage: (text) => this.receive(user, text),
            onUnexpectedClose: () => {
              this.unexpectedCloses += 1;
              this.connections[user] = null;
            },
          });
        } catch (error) {
          const key = (error as Error).message.slice(0, 80);
          this.connectErrors[key] = (this.connectErrors[key] ?? 0) + 1;
        }
      }
    };
    await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, worker));
  }

  closeAll(): void {
    for (const connection of this.connections) connection?.close();
    this.connections = [];
  }

  private receive(user: number, text: string): void {
    const now = performance.now();
    const parsed = parseMessageText(text);
    if (!parsed || parsed.phase !== this.phase) return;
    const message = this.messages[parsed.id];
    if (!message) return;
    const seen = this.seen[user]!;
    if (seen.has(parsed.id)) {
      this.duplicates += 1;
      return;
    }
    seen.add(parsed.id);
    message.received += 1;
    if (message.measured) {
      this.deliveredInWindow += 1;
      const micros = Math.max(1, Math.round((now - parsed.scheduledMs) * 1_000));
      this.endToEnd.recordValue(micros);
      if (message.room === this.workload.rooms.length - 1) this.endToEndBigGroup.recordValue(micros);
    }
  }

  /**
   * Waits (up to maxMs) until every send so far has been answered, so an overloaded server's backlog
   * does not spill into the next phase or the next server's turn on the same core. Returns how many
   * were still unanswered.
   */
  async settle(maxMs = SETTLE_MAX_MS): Promise<number> {
    const deadline = performance.now() + maxMs;
    const open = () => this.messages.filter((message) => !message.answered).length;
    while (open() > 0 && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    return open();
  }

  /** One open-loop phase: settle, warm-up, measured window, drain. */
  async runPhase(options: PhaseOptions): Promise<PhaseResult> {
    await this.settle();
    this.phase += 1;
    this.messages = [];
    for (const seen of this.seen) seen.clear();
    this.duplicates = 0;
    this.deliveredInWindow = 0;
    this.endToEnd = histogram();
    this.endToEndBigGroup = histogram();
    const closesBefore = this.unexpectedCloses;
    const ackLatency = histogram();
    const sendLateness = histogram();
    const refused: Record<string, number> = {};
    const random = seededRandom(options.seed);
    const rooms = this.workload.rooms;

    const start = performance.now() + 20;
    const windowStart = start + options.warmupMs;
    const end = windowStart + options.measureMs;
    let nextSend = start;
    let cpuAtWindowStart: NodeJS.CpuUsage | null = null;
    let generatorCpu = 0;
    let windowOpened = false;

    const sendOne = (scheduledMs: number) => {
      const roomIndex = Math.floor(random() * rooms.length);
      const members = rooms[roomIndex]!.members;
      const sender = members[Math.floor(random() * members.length)]!;
      const connection = this.connections[sender];
      const id = this.messages.length;
      const measured = scheduledMs >= windowStart;
      if (measured)
        sendLateness.recordValue(Math.max(1, Math.round((performance.now() - scheduledMs) * 1_000)));
      const recipients = members.filter((member) => member !== sender && this.connections[member]).length;
      const message: SentMessage = {
        scheduledMs,
        measured,
        room: roomIndex,
        recipients,
        acked: false,
        answered: false,
        received: 0,
      };
      this.messages.push(message);
      if (!connection) {
        message.answered = true;
        refused['bench/not_connected'] = (refused['bench/not_connected'] ?? 0) + 1;
        return;
      }
      connection.send(
        this.target.roomIds[roomIndex]!,
        messageText(this.phase, id, scheduledMs),
        (result: AckResult) => {
          message.answered = true;
          if (measured)
            ackLatency.recordValue(Math.max(1, Math.round((performance.now() - scheduledMs) * 1_000)));
          if (result.ok) message.acked = true;
          else if (measured) refused[result.code] = (refused[result.code] ?? 0) + 1;
        },
      );
    };

    await new Promise<void>((resolve, reject) => {
      const tick = () => {
        try {
          const now = performance.now();
          if (!windowOpened && now >= windowStart) {
            windowOpened = true;
            cpuAtWindowStart = process.cpuUsage();
            void options.onWindow?.('start');
          }
          while (nextSend <= now && nextSend < end) {
            sendOne(nextSend);
            nextSend += poissonGapMs(options.ratePerSecond, random);
          }
          if (nextSend >= end && now >= end) {
            const used = process.cpuUsage(cpuAtWindowStart ?? undefined);
            generatorCpu = (used.user + used.system) / 1_000 / options.measureMs;
            resolve();
            return;
          }
          setTimeout(tick, Math.max(0, Math.min(nextSend, end) - now - 0.5));
        } catch (error) {
          reject(error as Error);
        }
      };
      setTimeout(tick, 20);
    });
    await options.onWindow?.('end');

    const measured = this.messages.filter((message) => message.measured);
    const complete = () =>
      measured.every(
        (message) => message.answered && (!message.acked || message.received >= message.recipients),
      );
    const drainDeadline = performance.now() + options.drainMs;
    while (!complete() && performance.now() < drainDeadline)
      await new Promise((resolve) => setTimeout(resolve, 50));

    let expected = 0;
    let delivered = 0;
    let acked = 0;
    let unanswered = 0;
    for (const message of measured) {
      if (!message.answered) unanswered += 1;
      if (!message.acked) continue;
      acked += 1;
      expected += message.recipients;
      delivered += Math.min(message.received, message.recipients);
    }
    const seconds = options.measureMs / 1_000;
    return {
      offeredPerSecond: measured.length / seconds,
      sent: measured.length,
      acked,
      refused,
      unanswered,
      expectedDeliveries: expected,
      delivered,
      deliveredPerSecond: this.deliveredInWindow / seconds,
      reach: expected === 0 ? 1 : delivered / expected,
      lost: expected - delivered,
      duplicates: this.duplicates,
      endToEnd: latencyOf(this.endToEnd),
      endToEndBigGroup: this.endToEndBigGroup.totalCount > 0 ? latencyOf(this.endToEndBigGroup) : null,
      ack: latencyOf(ackLatency),
      generatorCpu,
      sendLateness: latencyOf(sendLateness),
      unexpectedCloses: this.unexpectedCloses - closesBefore,
    };
  }
}
