// Summarises a sampled allocation profile (`bench:connections --allocation-profiles <dir>`): which
// packages and functions allocated on the V8 heap while the fleet sat idle, by self size (what the
// function itself allocated) and by inclusive size of each stack's outermost Parley frame.
//   tsx src/allocation-summary.ts <file.heapprofile> [--top <n>]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { frameLabel, packageOf, type CallFrame } from './profile-frames.js';

interface AllocationNode {
  callFrame: CallFrame;
  selfSize: number;
  children: AllocationNode[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: allocation-summary <file.heapprofile> [--top n]');
const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: AllocationNode };
const top = Number(values.top);

const label = frameLabel;

const byPackage = new Map<string, number>();
const byFunction = new Map<string, number>();
/** Inclusive size under each stack's first (outermost) Parley frame: which of Parley's jobs allocates. */
const byParleyEntry = new Map<string, number>();
let total = 0;
const add = (map: Map<string, number>, key: string, bytes: number) =>
  map.set(key, (map.get(key) ?? 0) + bytes);

function walk(node: AllocationNode, parleyEntry: string | null): void {
  const entry = parleyEntry ?? (packageOf(node) === 'Parley' ? label(node) : null);
  if (node.selfSize > 0) {
    total += node.selfSize;
    add(byPackage, packageOf(node), node.selfSize);
    add(byFunction, label(node), node.selfSize);
    add(byParleyEntry, entry ?? '(no Parley frame)', node.selfSize);
  }
  for (const child of node.children) walk(child, entry);
}
walk(head, null);

const print = (line: string) => process.stdout.write(`${line}\n`);
const table = (title: string, map: Map<string, number>) => {
  print(`\n${title}`);
  for (const [key, bytes] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    print(
      `${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${(bytes / 2 ** 20).toFixed(1).padStart(7)} MiB  ${key}`,
    );
  }
};
print(`sampled allocations: ${(total / 2 ** 20).toFixed(1)} MiB`);
table('by package (self)', byPackage);
table('by outermost Parley frame (inclusive)', byParleyEntry);
table('by function (self)', byFunction);
