import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { deleteRedisKeys } from './helpers/redis-keys.js';
import { ServerProcess } from './helpers/server-process.js';
import { TEST_REDIS_URL } from './helpers/server.js';

/** Process ids of the workers that said they were listening, oldest first (from the JSON log lines). */
function listeningWorkers(server: ServerProcess): number[] {
  return server
    .logs()
    .split('\n')
    .flatMap((line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; pid?: number };
        return entry.msg?.startsWith('Server listening') && entry.pid ? [entry.pid] : [];
      } catch {
        return [];
      }
    });
}

/** Process ids of `parent`'s children (the workers the primary forked, listening or still starting). */
function childPids(parent: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(parent)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((pid) => pid > 0);
  } catch {
    return []; // ps exits 1 when there is none
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// `node dist/server.js` with PARLEY_PROCESSES=2: a primary and two workers on one port (src/cluster.ts).
describe('several processes on one port', () => {
  let database: TestDatabase;
  let keyPrefix: string;
  let server: ServerProcess;

  beforeAll(async () => {
    database = await createTestDatabase();
    keyPrefix = `parley-test:${database.name}:`;
    server = await ServerProcess.start({
      databaseUrl: database.url,
      redis: { url: TEST_REDIS_URL, keyPrefix },
      env: { PARLEY_PROCESSES: '2', LOG_LEVEL: 'info' },
    });
  });

  afterAll(async () => {
    await server?.kill();
    for (const pid of listeningWorkers(server)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    if (keyPrefix) await deleteRedisKeys(keyPrefix);
    await database?.drop();
  });

  it('serves from two workers, replaces one that dies, and stops them all gracefully on SIGTERM', async () => {
    await expect.poll(() => listeningWorkers(server).length).toBe(2);
    const [victim, survivor] = listeningWorkers(server) as [number, number];
    expect(server.pid).not.toBe(victim);

    // Sessions made through one worker are good on whichever worker takes the next connection.
    const user = await server.signUp();
    for (let i = 0; i < 4; i += 1) {
      expect((await server.http('GET', '/api/auth/me', { cookie: user.cookie })).status).toBe(200);
    }

    process.kill(victim, 'SIGKILL');
    await expect.poll(() => listeningWorkers(server).length).toBe(3);
    const replacement = listeningWorkers(server).at(-1)!;
    expect([victim, survivor]).not.toContain(replacement);
    expect(server.logs()).toContain('worker died; replacing it');
    expect((await server.http('GET', '/healthz')).status).toBe(200);

    expect(await server.stop()).toEqual({ code: 0, signal: null });
    expect([survivor, replacement].filter(isAlive)).toEqual([]);
  });
});

describe('SIGTERM while a worker is starting', () => {
  let database: TestDatabase;
  let keyPrefix: string;
  let server: ServerProcess;
  let pids: number[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    keyPrefix = `parley-test:${database.name}:`;
    server = await ServerProcess.start({
      databaseUrl: database.url,
      redis: { url: TEST_REDIS_URL, keyPrefix },
      env: { PARLEY_PROCESSES: '2', LOG_LEVEL: 'info' },
    });
  });

  afterAll(async () => {
    await server?.kill();
    for (const pid of [...pids, ...listeningWorkers(server)]) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    if (keyPrefix) await deleteRedisKeys(keyPrefix);
    await database?.drop();
  });

  // The primary asked workers to stop over IPC, which a worker only hears once it listens: one forked
  // to replace a dead worker and still starting kept running until it was SIGKILLed 15 s later.
  it('stops the replacement of a dead worker at once instead of killing it after the timeout', async () => {
    await expect.poll(() => listeningWorkers(server).length, { timeout: 20_000 }).toBe(2);
    const primary = server.pid!;
    const first = listeningWorkers(server);
    process.kill(first[0]!, 'SIGKILL');
    // The replacement is forked as soon as the death is seen; stop while it starts.
    await expect
      .poll(() => childPids(primary).filter((pid) => !first.includes(pid)), { timeout: 10_000 })
      .toHaveLength(1);
    pids = childPids(primary);

    expect(await server.stop()).toEqual({ code: 0, signal: null });
    expect(server.logs()).not.toContain('did not close in time');
    expect(pids.filter(isAlive), server.logs()).toEqual([]);
  });
});
