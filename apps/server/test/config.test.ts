import { mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../src/config.js';

describe('configuration', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'parley-config-'));

  // .env.example once stopped at HTTP_REQUEST_TIMEOUT_MS while it said it listed every variable.
  it('lists every variable in .env.example and in the README', () => {
    const root = new URL('../../../', import.meta.url);
    const example = readFileSync(new URL('.env.example', root), 'utf8');
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    expect(CONFIG_VARIABLES).toContain('DATABASE_URL');
    expect(CONFIG_VARIABLES.filter((name) => !new RegExp(`^# ${name}=`, 'm').test(example))).toEqual([]);
    expect(CONFIG_VARIABLES.filter((name) => !readme.includes(`| \`${name}\``))).toEqual([]);
  });

  it('applies documented defaults', () => {
    const config = loadConfig({}, dir());
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      databaseUrl: 'mysql://root@127.0.0.1:3306/parley',
      redis: null,
      httpRequestTimeoutMs: 30_000,
      database: { poolSize: 10, poolTimeoutMs: 3_000, lockWaitTimeoutSeconds: 5 },
      sendQueue: { concurrency: 256, maxQueued: 1_000, perUserMax: 150, maxWaitMs: 5_000 },
      sendBatch: { waitMs: 1, maxBatch: 128, connections: 2 },
      gcHeapGrowingPercent: 100,
    });
    expect(config.allowedOrigins).toContain('http://localhost:3000');
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['DATABASE_URL', { DATABASE_URL: 'postgres://localhost/parley' }],
    ['REDIS_URL', { REDIS_URL: 'localhost:6379' }],
    ['DATABASE_POOL_SIZE', { DATABASE_POOL_SIZE: '0' }],
    ['DATABASE_POOL_TIMEOUT_MS', { DATABASE_POOL_TIMEOUT_MS: 'soon' }],
    ['DATABASE_LOCK_WAIT_TIMEOUT_S', { DATABASE_LOCK_WAIT_TIMEOUT_S: '0' }],
    ['SEND_QUEUE_MAX', { SEND_QUEUE_MAX: '-1' }],
    ['SEND_CONCURRENCY', { SEND_CONCURRENCY: 'many' }],
    ['BATCH_WAIT_MS', { BATCH_WAIT_MS: '-1' }],
    ['BATCH_WAIT_MS', { BATCH_WAIT_MS: 'soon' }],
    ['BATCH_MAX', { BATCH_MAX: '0' }],
    ['BATCH_MAX', { BATCH_MAX: '2.5' }],
    ['BATCH_CONNECTIONS', { BATCH_CONNECTIONS: '0' }],
    ['GC_HEAP_GROWING_PERCENT', { GC_HEAP_GROWING_PERCENT: '-5' }],
    ['GC_HEAP_GROWING_PERCENT', { GC_HEAP_GROWING_PERCENT: 'double' }],
    ['SESSION_SECRET', { SESSION_SECRET: 'too short' }],
    ['SESSION_SECRET', { NODE_ENV: 'production' }],
    ['ALLOWED_ORIGINS', { ALLOWED_ORIGINS: 'https://chat.example.com/path' }],
    ['NODE_ENV', { NODE_ENV: 'staging' }],
    ['HTTP_REQUEST_TIMEOUT_MS', { HTTP_REQUEST_TIMEOUT_MS: '500' }],
    ['HTTP_REQUEST_TIMEOUT_MS', { HTTP_REQUEST_TIMEOUT_MS: 'soon' }],
    ['PARLEY_PROCESSES', { PARLEY_PROCESSES: '0' }],
    ['PARLEY_PROCESSES', { PARLEY_PROCESSES: '2' }],
    ['WEB_CONCURRENCY', { WEB_CONCURRENCY: 'all' }],
  ])('stops with a message naming %s when it is bad', (name, env) => {
    expect(() => loadConfig(env, dir())).toThrow(ConfigError);
    expect(() => loadConfig(env, dir())).toThrow(name);
  });

  it('runs one process without Redis and one per core with it, unless told', () => {
    expect(loadConfig({}, dir()).processes).toBe(1);
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/0' }, dir()).processes).toBe(
      availableParallelism(),
    );
    const redis = { REDIS_URL: 'redis://127.0.0.1:6379/0' };
    expect(loadConfig({ ...redis, PARLEY_PROCESSES: '3' }, dir()).processes).toBe(3);
    expect(loadConfig({ ...redis, WEB_CONCURRENCY: '4' }, dir()).processes).toBe(4);
    expect(loadConfig({ ...redis, PARLEY_PROCESSES: '1', WEB_CONCURRENCY: '4' }, dir()).processes).toBe(1);
  });

  it('generates a development session secret once and keeps it', () => {
    const cwd = dir();
    const first = loadConfig({}, cwd).sessionSecret;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(loadConfig({}, cwd).sessionSecret).toBe(first);
    expect(readFileSync(join(cwd, '.parley/session-secret'), 'utf8').trim()).toBe(first);
  });
});
