import { ErrorCode, type ErrorResponse } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

// What Fastify's router refuses before any route runs gets Parley's error body too.
describe('requests the router refuses', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('answers a path parameter over the length limit with 400 request/invalid, not the path echoed back', async () => {
    const long = '9'.repeat(200);
    for (const [method, path] of [
      ['GET', `/api/conversations/${long}`],
      ['POST', `/api/invites/${'A'.repeat(200)}/join`],
      ['POST', `/api/admin/users/${long}/deactivate`],
    ]) {
      const response = await fetch(`${t.url}${path}`, { method });
      const body = (await response.json()) as ErrorResponse;
      expect(response.status, path).toBe(400);
      expect(body.error.code, path).toBe(ErrorCode.Invalid);
      expect(JSON.stringify(body), path).not.toContain(long.slice(0, 50));
    }
  });

  it('answers a malformed URL with 400 request/invalid', async () => {
    const response = await fetch(`${t.url}/api/conversations/%E0%A4%A`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorResponse).error.code).toBe(ErrorCode.Invalid);
  });
});
