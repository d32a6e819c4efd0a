import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../helpers/database.js';
import { ServerProcess } from '../../helpers/server-process.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

describe('health', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ redis: true });
  });
  afterAll(async () => t.close());

  it('reports the process up and its dependencies ready', async () => {
    expect((await t.http('GET', '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await t.http('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ready',
      checks: { database: 'up', redis: 'up', ffmpeg: 'up', ffprobe: 'up' },
    });
  });

  it('answers unknown API routes with a JSON 404', async () => {
    const response = await t.http<{ error: { code: string } }>('GET', '/api/nope');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('request/not_found');
  });
});

describe('readiness without its database', () => {
  it('says unavailable with 503 when the database cannot be reached', async () => {
    const t = await startTestServer();
    try {
      // Point a second instance at a port where no database listens.
      const { buildServer } = await import('../../../src/app.js');
      const broken = await buildServer({
        config: { ...t.config, databaseUrl: 'mysql://root@127.0.0.1:1/parley' },
      });
      try {
        const response = await broken.inject({ method: 'GET', url: '/readyz' });
        expect(response.statusCode).toBe(503);
        expect(response.json()).toMatchObject({ status: 'unavailable', checks: { database: 'down' } });
      } finally {
        await broken.close();
      }
    } finally {
      await t.close();
    }
  });
});

describe('probes in the log', () => {
  // A balancer probing every few seconds per process made two info lines a probe, most of the log.
  it('does not log health and readiness probes at info, but does log other requests', async () => {
    const database = await createTestDatabase();
    const server = await ServerProcess.start({ databaseUrl: database.url, env: { LOG_LEVEL: 'info' } });
    try {
      for (const url of ['/healthz', '/readyz']) expect((await server.http('GET', url)).status).toBe(200);
      expect((await server.http('GET', '/api/auth/me')).status).toBe(401);
      // The process writes its log in order: once the last request's line is read, the probes' would be.
      await expect.poll(() => server.logs()).toContain('"url":"/api/auth/me"');
      const logs = server.logs();
      expect(logs).not.toContain('"url":"/healthz"');
      expect(logs).not.toContain('"url":"/readyz"');
    } finally {
      await server.stop();
      await database.drop();
    }
  });
});
