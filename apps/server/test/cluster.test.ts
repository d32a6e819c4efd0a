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
