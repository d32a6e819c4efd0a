// Summarises a V8 CPU profile (`BENCH_PARLEY_CPU_PROF=<dir> pnpm bench …`, see README.md): where
// Parley's main thread spent its time, by package, by function (self time), by frame (inclusive time)
// and by activity on the send path. Only samples of a window counted back from the profile's end:
//   tsx src/profile-summary.ts <file.cpuprofile> [--last <s>] [--until <s>] [--top <n>] [--timeline]
//     [--stalls <n>]
// `--timeline` prints busy milliseconds per second first, to find the phase to look at. `--stalls <n>`
// ends with the window's n longest stretches without an idle sample (the event loop never waited for
// I/O: what arrived meanwhile waited) and the frames each spent its time in.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { frameLabel, packageOf, type CallFrame } from './profile-frames.js';

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Activities, tried in order against every frame of a sample's stack; the first that matches wins. */
const ACTIVITIES: Array<[string, RegExp]> = [
  ['idle', /^\(idle\)/],
  ['garbage collector', /^\(garbage collector\)/],
  ['broadcast of message:new', /^broadcast .*messages\.socket/],
  ['rate limits', /rate-limiter-flexible|rate-limits\.js/],
  ['zod validation', /\/zod\//],
  ['send queue', /send-queue\.js/],
  [
    'batch stores (Parley code and the driver under it)',
    /group-commit\.js|batch-store\.js|position-batcher\.js/,
  ],
  ['mariadb driver (elsewhere)', /\/mariadb\//],
  ['Prisma', /prisma/i],
  ['Socket.IO, Engine.IO, ws (receiving, acks)', /socket\.io|engine\.io|\/ws\//],
  ['other Parley code', /apps\/server\/dist/],
];

const print = (line: string) => process.stdout.write(`${line}\n`);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    last: { type: 'string' },
    until: { type: 'string' },
    top: { type: 'string', default: '25' },
    timeline: { type: 'boolean', default: false },
    stalls: { type: 'string' },
  },
});
const file = positionals[0];
if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [--last s] [--until s] [--top n]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const top = Number(values.top);

const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

const label = frameLabel;
const stackOf = (id: number) => {
  const stack: ProfileNode[] = [];
  for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) stack.push(nodes.get(at)!);
  return stack;
};

// Sample i lasted until sample i + 1; times in microseconds from the profile's start.
const end = profile.endTime - profile.startTime;
const from = values.last ? end - Number(values.last) * 1e6 : 0;
const to = values.until ? end - Number(values.until) * 1e6 : end;
const self = new Map<number, number>();
const busyPerSecond = new Map<number, number>();
/** A stretch of consecutive busy samples: when it began (µs from the start), how long, its time by node. */
interface Stall {
  start: number;
  duration: number;
  self: Map<number, number>;
}
const stalls: Stall[] = [];
let stall: Stall | null = null;
let at = 0;
profile.samples.forEach((id, index) => {
  at += profile.timeDeltas[index] ?? 0;
  const duration = profile.timeDeltas[index + 1] ?? 0;
  if (nodes.get(id)!.callFrame.functionName !== '(idle)') {
    const second = Math.floor((end - at) / 1e6);
    busyPerSecond.set(second, (busyPerSecond.get(second) ?? 0) + duration);
  }
  if (at < from || at > to) return;
  self.set(id, (self.get(id) ?? 0) + duration);
  if (nodes.get(id)!.callFrame.functionName === '(idle)') {
    if (stall) stalls.push(stall);
    stall = null;
    return;
  }
  stall ??= { start: at, duration: 0, self: new Map() };
  stall.duration += duration;
  stall.self.set(id, (stall.self.get(id) ?? 0) + duration);
});
if (stall) stalls.push(stall);

const add = (map: Map<string, number>, key: string, time: number) => map.set(key, (map.get(key) ?? 0) + time);
const byPackage = new Map<string, number>();
const byFunction = new Map<string, number>();
const inclusive = new Map<string, number>();
const byActivity = new Map<string, number>();
let total = 0;
for (const [id, time] of self) {
  total += time;
  const stack = stackOf(id);
  add(byPackage, packageOf(stack[0]!), time);
  add(byFunction, label(stack[0]!), time);
  for (const frame of new Set(stack.map(label))) add(inclusive, frame, time);
  const frames = stack.map((node) => `${label(node)} ${node.callFrame.url}`);
  const activity = ACTIVITIES.find(([, pattern]) => frames.some((frame) => pattern.test(frame)));
  add(byActivity, activity?.[0] ?? 'other (Node internals, timers, microtasks)', time);
}
const busy = total - (byActivity.get('idle') ?? 0);

if (values.timeline) {
  print('busy ms per second, counted back from the end:');
  print(
    [...busyPerSecond]
      .sort(([a], [b]) => a - b)
      .map(([second, time]) => `${second}:${Math.round(time / 1e3)}`)
      .join(' '),
  );
}
print(`window ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(2)} s`);
const show = (title: string, map: Map<string, number>, count: number, of: number) => {
  print(`\n## ${title}`);
  for (const [key, time] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    print(`${((100 * time) / of).toFixed(1).padStart(5)}%  ${key}`);
  }
};
byActivity.delete('idle');
show('activity (share of busy time)', byActivity, ACTIVITIES.length + 1, busy);
show('self time by package (share of the window)', byPackage, top, total);
show('self time by function (share of the window)', byFunction, top, total);
show('inclusive time by frame (share of the window)', inclusive, top * 2, total);

if (values.stalls) {
  for (const longest of stalls.sort((a, b) => b.duration - a.duration).slice(0, Number(values.stalls))) {
    const frames = new Map<string, number>();
    for (const [id, time] of longest.self) {
      for (const frame of new Set(stackOf(id).map(label))) add(frames, frame, time);
    }
    frames.delete('(root) :0');
    print(
      `\n## stall of ${(longest.duration / 1e3).toFixed(1)} ms, ` +
        `${((end - longest.start) / 1e6).toFixed(1)} s before the end (inclusive ms by frame)`,
    );
    for (const [frame, time] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      print(`${(time / 1e3).toFixed(1).padStart(7)}  ${frame}`);
    }
  }
}
