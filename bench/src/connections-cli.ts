// `pnpm bench:connections`: idle connections to bare Socket.IO and to Parley, their memory, the time
// to connect them, and Parley's presence events per connect and per disconnect. See bench/README.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runConnectionsBench, type ConnectionsResult, type EventCounts } from './connections.js';
import { hasTaskset } from './server-process.js';

const RESULTS_DIR = fileURLToPath(new URL('../.results/', import.meta.url));

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '50' },
    'source-addresses': { type: 'string', default: '1' },
    settle: { type: 'string', default: '5' },
    'disconnect-share': { type: 'string', default: '0.1' },
    servers: { type: 'string', default: 'p1,parley' },
    'no-pin': { type: 'boolean', default: false },
    'heap-snapshots': { type: 'string' },
    'allocation-profiles': { type: 'string' },
    json: { type: 'string' },
  },
});

const pin = !values['no-pin'] && hasTaskset();
if (pin) execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });

const results = await runConnectionsBench({
  connections: Number(values.connections),
  concurrency: Number(values.concurrency),
  sourceAddresses: Number(values['source-addresses']),
  settleMs: Number(values.settle) * 1_000,
  disconnectShare: Number(values['disconnect-share']),
  servers: values.servers.split(',') as Array<'p1' | 'parley'>,
  heapSnapshotDir: values['heap-snapshots'] ?? null,
  allocationProfileDir: values['allocation-profiles'] ?? null,
  cpus: pin ? '0' : null,
  databaseServerUrl: process.env.BENCH_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306',
  redisUrl: process.env.BENCH_REDIS_URL ?? '',
  log: (line) => console.log(line),
});

mkdirSync(RESULTS_DIR, { recursive: true });
const jsonPath = values.json ?? `${RESULTS_DIR}connections-${Date.now()}.json`;
writeFileSync(jsonPath, JSON.stringify(results, null, 2));

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const perHead = (counts: EventCounts, name: string, heads: number) => {
  const count = counts[name] ?? { frames: 0, entries: 0 };
  return `${count.frames} (${(count.frames / Math.max(1, heads)).toFixed(2)} per head, ${count.entries} entries)`;
};
const names = (result: ConnectionsResult) =>
  [...new Set([...Object.keys(result.duringConnect), ...Object.keys(result.duringDisconnect)])].sort();

console.log(
  '\n| server | held | connect s | RSS idle | RSS settled | heap idle | heap settled | heap committed settled | external settled | RSS marginal | heap marginal | errors |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(
    `| ${r.server} | ${r.held}/${r.target} | ${r.connectSeconds.toFixed(1)} | ${kib(r.rssIdle)} | ` +
      `${kib(r.rssSettled)} | ${kib(r.heapIdle)} | ${kib(r.heapSettled)} | ${kib(r.heapCommittedSettled)} | ` +
      `${kib(r.externalSettled)} | ${kib(r.rssMarginal)} | ${kib(r.heapMarginal)} | ${JSON.stringify(r.connectErrors)} |`,
  );
}
for (const r of results) {
  const spaces = Object.entries(r.spacesCommittedSettled)
    .filter(([, bytes]) => Math.abs(bytes) >= 102.4)
    .map(([name, bytes]) => `${name} ${kib(bytes)}`);
  console.log(`${r.server} heap committed settled by space, per connection: ${spaces.join(', ') || 'none'}`);
}
for (const r of results) {
  console.log(
    `${r.server} connects: CPU ${r.connectCpuSeconds.toFixed(1)} s, ${r.connectGc.count} gcs ` +
      `(${r.connectGc.totalMs.toFixed(0)} ms), ${(r.connectAllocatedBytes / 2 ** 20).toFixed(0)} MiB allocated; ` +
      `allocated per ms with none connected ${r.emptyAllocationBytesPerMs.toFixed(0)} bytes, ` +
      `with the fleet idle ${r.idleAllocationBytesPerMs.toFixed(0)}`,
  );
}
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
for (const r of results) {
  const { before, halfway, after } = r.settled;
  console.log(
    `${r.server} settled, MiB, before / half the fleet / all of it: RSS ${mib(before.rss)} / ${mib(halfway.rss)} / ${mib(after.rss)}, ` +
      `heap used ${mib(before.heapUsed)} / ${mib(halfway.heapUsed)} / ${mib(after.heapUsed)}, ` +
      `new_space committed ${mib(before.newSpaceCommitted)} / ${mib(halfway.newSpaceCommitted)} / ${mib(after.newSpaceCommitted)}, ` +
      `old_space committed ${mib(before.oldSpaceCommitted)} / ${mib(halfway.oldSpaceCommitted)} / ${mib(after.oldSpaceCommitted)}`,
  );
}
for (const r of results) {
  for (const name of names(r)) {
    console.log(
      `${r.server} ${name}: while connecting ${perHead(r.duringConnect, name, r.held)}; ` +
        `after ${r.disconnected} disconnects ${perHead(r.duringDisconnect, name, r.disconnected)}`,
    );
  }
}
console.log(`results: ${jsonPath}`);
