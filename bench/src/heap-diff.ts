// What one more idle connection holds on the V8 heap, by constructor: the difference between the two
// snapshots `bench:connections --heap-snapshots <dir>` writes per server (half the fleet held, all of
// it), divided by the connections added, for one server or side by side for several.
//   tsx src/heap-diff.ts <dir> <connections added> <server> [<server> …] [--top <n>]
// e.g. `tsx src/heap-diff.ts /tmp/snaps 500 p1 parley` after a 1,000-connection run.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Count and self size (bytes) by "type:name"; strings and code are each one group. */
function groups(file: string): Map<string, { count: number; bytes: number }> {
  const { snapshot, nodes, strings } = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snapshot.meta.node_fields;
  const [types] = snapshot.meta.node_types;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((field) => fields.indexOf(field));
  const result = new Map<string, { count: number; bytes: number }>();
  for (let index = 0; index < nodes.length; index += fields.length) {
    const type = types[nodes[index + typeAt!]!]!;
    const name = type.includes('string') || type === 'code' ? '' : strings[nodes[index + nameAt!]!]!;
    const key = `${type}:${name.slice(0, 60)}`;
    const group = result.get(key) ?? { count: 0, bytes: 0 };
    group.count += 1;
    group.bytes += nodes[index + sizeAt!]!;
    result.set(key, group);
  }
  return result;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' } },
});
const [dir, added, ...servers] = positionals;
if (!dir || !added || servers.length === 0) {
  throw new Error('usage: heap-diff <dir> <connections added> <server> [<server> …] [--top n]');
}
const perConnection = servers.map((server) => {
  const half = groups(`${dir}/${server}-half.heapsnapshot`);
  const full = groups(`${dir}/${server}.heapsnapshot`);
  const diff = new Map<string, { count: number; bytes: number }>();
  for (const key of new Set([...half.keys(), ...full.keys()])) {
    const before = half.get(key) ?? { count: 0, bytes: 0 };
    const after = full.get(key) ?? { count: 0, bytes: 0 };
    diff.set(key, {
      count: (after.count - before.count) / Number(added),
      bytes: (after.bytes - before.bytes) / Number(added),
    });
  }
  return diff;
});

const print = (line: string) => process.stdout.write(`${line}\n`);
const totals = perConnection.map((diff) => [...diff.values()].reduce((sum, group) => sum + group.bytes, 0));
print(
  `bytes per connection: ${servers.map((server, index) => `${server} ${totals[index]!.toFixed(0)}`).join(', ')}`,
);
print(
  `${servers.map((server) => `${server} count`.padStart(14) + `${server} bytes`.padStart(14)).join('')}  type:name`,
);
const keys = [...new Set(perConnection.flatMap((diff) => [...diff.keys()]))];
// Largest first by the spread between servers (one server: by size), so what differs comes first.
const weight = (key: string) => {
  const sizes = perConnection.map((diff) => diff.get(key)?.bytes ?? 0);
  return sizes.length > 1 ? Math.max(...sizes) - Math.min(...sizes) : Math.abs(sizes[0]!);
};
for (const key of keys.sort((a, b) => weight(b) - weight(a)).slice(0, Number(values.top))) {
  const cells = perConnection.map((diff) => {
    const group = diff.get(key) ?? { count: 0, bytes: 0 };
    return group.count.toFixed(2).padStart(14) + group.bytes.toFixed(0).padStart(14);
  });
  print(`${cells.join('')}  ${key}`);
}
