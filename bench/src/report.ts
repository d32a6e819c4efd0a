// Renders a bench result into docs/benchmarks.md (between markers, so the rest of the page stays)
// and docs/benchmarks-latency.svg. Medians over rounds; ratios Parley/P1 and P1/P0.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import type { ServerKind } from './clients.js';
import { SERVER_KINDS, SUSTAINABLE, type BenchResult, type BenchServer, type RunRecord } from './bench.js';
import { latencyChart, type Series } from './chart.js';

const DOC = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
const CHART = fileURLToPath(new URL('../../docs/benchmarks-latency.svg', import.meta.url));
const START = '<!-- bench:start (written by `pnpm bench`; edit bench/src/report.ts instead) -->';
const END = '<!-- bench:end -->';

const NAMES: Record<ServerKind, string> = { p0: 'P0 (ws)', p1: 'P1 (Socket.IO)', parley: 'Parley' };

export function median(values: number[]): number {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const percent = (value: number, digits = 0) =>
  Number.isFinite(value) ? `${(value * 100).toFixed(digits)}%` : 'n/a';
const kib = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KiB` : 'n/a');
const ratio = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a';

function runsOf(result: BenchResult, server: BenchServer, rate: number): RunRecord[] {
  return result.runs.filter((run) => run.server === server && run.rate === rate);
}

function medianOf(runs: RunRecord[], pick: (run: RunRecord) => number | null): number {
  return median(runs.map(pick).filter((value): value is number => value !== null));
}

/** The highest rate of the capacity search that kept p99 ≤ 200 ms, reach ≥ 99.9% and acks ≥ 99.9%. */
export function capacityOf(result: BenchResult, server: ServerKind): number {
  const sustained = result.capacity.filter((step) => step.server === server && step.sustainable);
  return sustained.length ? Math.max(...sustained.map((step) => step.rate)) : Number.NaN;
}

/**
 * Issue 7's latency target: at half of bare Socket.IO's highest sustainable rate, Parley's p99 at
 * most 1.5× P1's. Read from the capacity search, whose rates form one ladder for every server: the
 * highest rate P1 sustained at or below half its capacity, and each server's p99 there (P1's
 * sustained attempt; Parley's sustained attempt, or each failed one when it held none). Text for the
 * report's table, or `n/a` when the search did not reach such a rate for both.
 */
export function halfRateComparison(result: BenchResult): string {
  const p1Capacity = capacityOf(result, 'p1');
  if (!Number.isFinite(p1Capacity)) return 'n/a';
  const p1Steps = result.capacity.filter(
    (step) => step.server === 'p1' && step.sustainable && step.rate <= p1Capacity / 2,
  );
  if (p1Steps.length === 0) return 'n/a';
  const p1Step = p1Steps.reduce((best, step) => (step.rate > best.rate ? step : best));
  const parleySteps = result.capacity.filter((step) => step.server === 'parley' && step.rate === p1Step.rate);
  if (parleySteps.length === 0) return `n/a (Parley did not reach ${p1Step.rate} msg/s)`;
  const p1P99 = p1Step.load.endToEnd.p99;
  const held = parleySteps.find((step) => step.sustainable);
  if (held) {
    return (
      `${ratio(held.load.endToEnd.p99, p1P99)} at ${p1Step.rate} msg/s ` +
      `(p99 ${fixed(held.load.endToEnd.p99)} against ${fixed(p1P99)} ms)`
    );
  }
  const attempts = parleySteps.map((step) => fixed(step.load.endToEnd.p99)).join(' and ');
  return `Parley did not sustain ${p1Step.rate} msg/s (p99 ${attempts} ms; P1 ${fixed(p1P99)} ms)`;
}

/** The capacity as text: "< lowest rate tried" when no rate held. */
function capacityText(result: BenchResult, server: ServerKind): string {
  const capacity = capacityOf(result, server);
  if (Number.isFinite(capacity)) return capacity.toFixed(0);
  const tried = result.capacity.filter((step) => step.server === server).map((step) => step.rate);
  return tried.length ? `< ${Math.min(...tried)}` : 'n/a';
}

function refusalSummary(runs: RunRecord[]): string {
  const total: Record<string, number> = {};
  for (const run of runs)
    for (const [code, count] of Object.entries(run.load.refused)) total[code] = (total[code] ?? 0) + count;
  const entries = Object.entries(total);
  return entries.length ? entries.map(([code, count]) => `${code} ${count}`).join(', ') : '0';
}

export function renderSection(result: BenchResult, argv: string[]): string {
  const { config, machine } = result;
  const rates = config.rates;
  const lines: string[] = [];
  lines.push('## Three servers, one load generator');
  lines.push('');
  lines.push(
    `Run of ${result.startedAt.slice(0, 10)}: \`pnpm bench${argv.length ? ` ${argv.join(' ')}` : ''}\` ` +
      `(bench/, see bench/README.md). Machine: ${machine.cores} × ${machine.cpus}, Node ${machine.node}, ` +
      `load average ${machine.loadAverage.map((value) => value.toFixed(1)).join(' / ')} at the start.`,
  );
  lines.push(
    config.pin
      ? `Servers pinned to CPU ${config.pin.servers} (\`taskset\`), the generator to CPU ${config.pin.generator}; MariaDB unpinned.`
      : 'Nothing pinned (taskset unavailable or --no-pin).',
  );
  const settings = Object.entries(result.parleySettings ?? {});
  if (settings.length > 0)
    lines.push(
      `Parley settings changed for this run: ${settings.map(([name, value]) => `\`${name}=${value}\``).join(', ')}.`,
    );
  lines.push(
    `${config.connections} connections in ${Math.ceil(config.connections / 10)} groups of 10 plus one group of ` +
      `${Math.min(1000, config.connections)}; rooms picked uniformly, the sender uniformly among its members; ` +
      `${config.rounds} interleaved rounds (P0, P1, Parley) per rate; ${config.warmupMs / 1000} s warm-up, ` +
      `${config.measureMs / 1000} s measured, up to ${config.drainMs / 1000} s drain. Medians over rounds.`,
  );
  lines.push('');
  lines.push('### Latency and delivery');
  lines.push('');
  lines.push(
    '| server | offered msg/s | acked | refused | delivered frames/s | reach | lost / dup | e2e p50 | p99 | p99.9 | max | ack p50 | ack p99 |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const rate of rates) {
    for (const server of SERVER_KINDS) {
      const runs = runsOf(result, server, rate);
      if (!runs.length) continue;
      const lost = runs.reduce((sum, run) => sum + run.load.lost, 0);
      const duplicates = runs.reduce((sum, run) => sum + run.load.duplicates, 0);
      lines.push(
        `| ${NAMES[server]} | ${fixed(
          medianOf(runs, (run) => run.load.offeredPerSecond),
          0,
        )} | ` +
          `${percent(
            medianOf(runs, (run) => (run.load.sent ? run.load.acked / run.load.sent : 1)),
            1,
          )} | ` +
          `${refusalSummary(runs)} | ${fixed(
            medianOf(runs, (run) => run.load.deliveredPerSecond),
            0,
          )} | ` +
          `${percent(
            medianOf(runs, (run) => run.load.reach),
            2,
          )} | ${lost} / ${duplicates} | ` +
          `${fixed(medianOf(runs, (run) => run.load.endToEnd.p50))} | ${fixed(medianOf(runs, (run) => run.load.endToEnd.p99))} | ` +
          `${fixed(medianOf(runs, (run) => run.load.endToEnd.p999))} | ${fixed(medianOf(runs, (run) => run.load.endToEnd.max))} | ` +
          `${fixed(medianOf(runs, (run) => run.load.ack.p50))} | ${fixed(medianOf(runs, (run) => run.load.ack.p99))} |`,
      );
    }
  }
  lines.push('');
  lines.push(
    'Latencies in ms, end to end from each message’s scheduled send time to its receipt by each member (HdrHistogram).',
  );
  lines.push('');
  lines.push('### Cost');
  lines.push('');
  lines.push(
    '| server | offered msg/s | connections held | server CPU | database CPU | event-loop p99 | persisted msg/s | DB requests / msg | generator CPU |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const rate of rates) {
    for (const server of SERVER_KINDS) {
      const runs = runsOf(result, server, rate);
      if (!runs.length) continue;
      const generatorCpu = medianOf(runs, (run) => run.load.generatorCpu);
      lines.push(
        `| ${NAMES[server]} | ${rate} | ${medianOf(runs, (run) => run.connectionsHeld)} / ${config.connections} | ` +
          `${percent(medianOf(runs, (run) => run.window.cpu))} | ${percent(medianOf(runs, (run) => run.window.databaseCpu))} | ` +
          `${fixed(medianOf(runs, (run) => run.window.loopDelayP99Ms))} ms | ${fixed(
            medianOf(runs, (run) => run.window.persistedPerSecond),
            0,
          )} | ` +
          `${fixed(medianOf(runs, (run) => run.window.databaseWritesPerMessage))} | ${percent(generatorCpu)}${generatorCpu > 0.9 ? ' ⚠ generator-bound' : ''} |`,
      );
    }
  }
  lines.push('');
  lines.push(
    'CPU as a share of one core over the measured window. Database CPU is the whole MariaDB process, which other',
  );
  lines.push(
    'work on the machine shares. "DB requests / msg" counts writes to Parley’s database connections per stored message.',
  );
  lines.push('');
  lines.push('### Memory per connection');
  lines.push('');
  lines.push(
    '| server | RSS idle | RSS settled | RSS under load | heap idle | heap settled | heap under load |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- |');
  const memoryMedians = new Map<ServerKind, number>();
  const heapMedians = new Map<ServerKind, number>();
  for (const server of SERVER_KINDS) {
    const records = result.memory.filter((record) => record.server === server);
    if (!records.length) continue;
    const pick = (select: (record: (typeof records)[number]) => number | null) =>
      median(records.map(select).filter((value): value is number => value !== null));
    memoryMedians.set(
      server,
      pick((record) => record.rssSettled),
    );
    heapMedians.set(
      server,
      pick((record) => record.heapSettled),
    );
    lines.push(
      `| ${NAMES[server]} | ${kib(pick((r) => r.rssIdle))} | ${kib(pick((r) => r.rssSettled))} | ${kib(pick((r) => r.rssUnderLoad))} | ` +
        `${kib(pick((r) => r.heapIdle))} | ${kib(pick((r) => r.heapSettled))} | ${kib(pick((r) => r.heapUnderLoad))} |`,
    );
  }
  lines.push('');
  lines.push(
    'Each: (reading with the connections held − settled reading before any connection) / connections held.',
  );
  lines.push(
    '"Settled": after a full gc, a quiet wait and another gc (V8 and glibc give freed memory back some seconds',
  );
  lines.push(
    'after a burst). RSS still moves with what the allocators keep, so heap settled is the steadier figure.',
  );
  lines.push('');
  lines.push('### Ratios and capacity');
  lines.push('');
  lines.push(
    '| offered msg/s | p99 Parley / P1 | p99 P1 / P0 | delivered/s Parley / P1 | delivered/s P1 / P0 |',
  );
  lines.push('| --- | --- | --- | --- | --- |');
  for (const rate of rates) {
    const p99 = (server: ServerKind) =>
      medianOf(runsOf(result, server, rate), (run) => run.load.endToEnd.p99);
    const delivered = (server: ServerKind) =>
      medianOf(runsOf(result, server, rate), (run) => run.load.deliveredPerSecond);
    lines.push(
      `| ${rate} | ${ratio(p99('parley'), p99('p1'))} | ${ratio(p99('p1'), p99('p0'))} | ` +
        `${ratio(delivered('parley'), delivered('p1'))} | ${ratio(delivered('p1'), delivered('p0'))} |`,
    );
  }
  lines.push('');
  if (result.capacity.length) {
    const capacity = (server: ServerKind) => capacityOf(result, server);
    lines.push(
      `Capacity search (rate × ${config.capacity?.factor} from ${config.capacity?.startRate} msg/s until p99 > ${SUSTAINABLE.p99Ms} ms, ` +
        `reach < ${SUSTAINABLE.reach * 100}% or acks < ${SUSTAINABLE.reach * 100}% twice in a row at one rate; ✗ marks a failed attempt):`,
    );
    lines.push('');
    lines.push('| server | highest sustainable msg/s | steps (rate: p99 ms, reach, generator CPU) |');
    lines.push('| --- | --- | --- |');
    for (const server of SERVER_KINDS) {
      const steps = result.capacity
        .filter((step) => step.server === server)
        .map(
          (step) =>
            `${step.rate}: ${fixed(step.load.endToEnd.p99)}, ${percent(step.load.reach, 1)}, ${percent(step.load.generatorCpu)}` +
            (step.sustainable ? '' : ' ✗'),
        )
        .join('; ');
      lines.push(`| ${NAMES[server]} | ${capacityText(result, server)} | ${steps} |`);
    }
    lines.push('');
    lines.push(
      `Ratios of highest sustainable rate: Parley / P1 ${ratio(capacity('parley'), capacity('p1'))}, ` +
        `P1 / P0 ${ratio(capacity('p1'), capacity('p0'))}.`,
    );
    lines.push('');
  }
  lines.push('![p99 and p50 end-to-end latency against offered rate](benchmarks-latency.svg)');
  lines.push('');
  lines.push('### Against the targets of issue 7');
  lines.push('');
  const parleyCapacity = capacityOf(result, 'parley');
  const p1Capacity = capacityOf(result, 'p1');
  const rssRatio = (memoryMedians.get('parley') ?? Number.NaN) / (memoryMedians.get('p1') ?? Number.NaN);
  const heapRatio = (heapMedians.get('parley') ?? Number.NaN) / (heapMedians.get('p1') ?? Number.NaN);
  lines.push('| target | this run |');
  lines.push('| --- | --- |');
  lines.push(
    `| Parley ≥ 2,000 msg/s at 1,000 connections with p99 < 200 ms | ${capacityText(result, 'parley')} msg/s at ${config.connections} connections |`,
  );
  lines.push(
    `| Parley / bare Socket.IO ≥ 0.8 (highest sustainable rate) | ${ratio(parleyCapacity, p1Capacity)} |`,
  );
  lines.push(
    `| p99 at half of bare Socket.IO’s highest rate ≤ 1.5× its p99 | ${halfRateComparison(result)} |`,
  );
  lines.push(
    `| RSS per idle connection ≤ 1.25× Socket.IO’s | ${Number.isFinite(rssRatio) ? `${rssRatio.toFixed(2)}×` : 'n/a'} settled ` +
      `(heap settled: ${Number.isFinite(heapRatio) ? `${heapRatio.toFixed(2)}×` : 'n/a'}) |`,
  );
  return lines.join('\n');
}

function chartSeries(result: BenchResult): Series[] {
  return SERVER_KINDS.map((server) => {
    const byRate = new Map<number, { p50: number[]; p99: number[] }>();
    const add = (rate: number, p50: number, p99: number) => {
      const entry = byRate.get(rate) ?? { p50: [], p99: [] };
      entry.p50.push(p50);
      entry.p99.push(p99);
      byRate.set(rate, entry);
    };
    for (const run of result.runs.filter((run) => run.server === server))
      add(run.rate, run.load.endToEnd.p50, run.load.endToEnd.p99);
    for (const step of result.capacity.filter((step) => step.server === server && !byRate.has(step.rate))) {
      add(step.rate, step.load.endToEnd.p50, step.load.endToEnd.p99);
    }
    const points = [...byRate.entries()]
      .sort(([a], [b]) => a - b)
      .map(([rate, values]) => ({ rate, p50: median(values.p50), p99: median(values.p99) }));
    return { name: NAMES[server], points };
  });
}

/**
 * Rewrites the generated section of docs/benchmarks.md (formatted with the repository's Prettier
 * settings, so `pnpm format:check` stays green) and the chart; returns the document's path.
 */
export async function writeReport(result: BenchResult, argv: string[]): Promise<string> {
  const section = `${START}\n\n${renderSection(result, argv)}\n\n${END}`;
  const document = readFileSync(DOC, 'utf8');
  const from = document.indexOf(START);
  const to = document.indexOf(END);
  const updated =
    from >= 0 && to > from
      ? `${document.slice(0, from)}${section}${document.slice(to + END.length)}`
      : `${document.trimEnd()}\n\n${section}\n`;
  writeFileSync(DOC, await format(updated, { ...(await resolveConfig(DOC)), filepath: DOC }));
  writeFileSync(CHART, latencyChart(chartSeries(result), SUSTAINABLE.p99Ms));
  return DOC;
}

/**
 * An A/B of two Parley builds run in the same rounds (`--baseline`): for each rate, the medians over
 * rounds of this checkout's Parley against the baseline's, and their ratio (this / baseline). Printed,
 * not written to docs: a build comparison belongs in the commit or section that made the change.
 */
export function baselineComparison(result: BenchResult): string {
  const rows: Array<[string, (run: RunRecord) => number | null, (value: number) => string]> = [
    ['acked', (run) => run.load.acked / Math.max(1, run.load.sent), (v) => percent(v, 1)],
    ['e2e p50 ms', (run) => run.load.endToEnd.p50, (v) => fixed(v)],
    ['e2e p99 ms', (run) => run.load.endToEnd.p99, (v) => fixed(v)],
    ['ack p99 ms', (run) => run.load.ack.p99, (v) => fixed(v)],
    ['server CPU', (run) => run.window.cpu, (v) => percent(v)],
    [
      'CPU ms / msg',
      (run) => (run.window.cpu * 1_000) / Math.max(1, run.load.offeredPerSecond),
      (v) => fixed(v, 3),
    ],
    ['writes / msg', (run) => run.window.writeSyscallsPerMessage, (v) => fixed(v, 1)],
    ['loop max ms', (run) => run.window.loopDelayMaxMs, (v) => fixed(v, 0)],
    ['gc ms', (run) => run.window.gc.totalMs, (v) => fixed(v, 0)],
    ['commits', (run) => run.window.database?.commits ?? null, (v) => fixed(v, 0)],
    ['row-lock waits', (run) => run.window.database?.rowLockWaits ?? null, (v) => fixed(v, 0)],
  ];
  const lines = [
    '| rate | measure | baseline | this checkout | this / baseline |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const rate of result.config.rates) {
    for (const [name, pick, show] of rows) {
      const before = medianOf(runsOf(result, 'baseline', rate), pick);
      const after = medianOf(runsOf(result, 'parley', rate), pick);
      lines.push(`| ${rate} | ${name} | ${show(before)} | ${show(after)} | ${ratio(after, before)} |`);
    }
  }
  return lines.join('\n');
}
