import { ErrorCode, type ErrorResponse } from '@parley/shared';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import errors from '../../src/plugins/errors.js';
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

// Fastify's body parser refusals, each with its HTTP status and a code that says what is wrong.
describe('request bodies the server does not take', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  const login = (contentType: string, body: string) =>
    t.http<ErrorResponse>('POST', '/api/auth/login', {
      rawBody: body,
      headers: { 'content-type': contentType },
    });
  const answer = ({ status, body }: { status: number; body: ErrorResponse }) => ({
    status,
    code: body.error.code,
  });

  it.each([
    ['text/plain', 'username=alice'],
    ['text/plain; charset=utf-8', '{"username":"alice","password":"x"}'],
    ['application/x-www-form-urlencoded', 'username=alice&password=x'],
    ['application/xml', '<login><username>alice</username></login>'],
    ['application/octet-stream', 'raw bytes'],
    ['no-slash-so-no-media-type', 'x'],
  ])('answers a %s body to a JSON route with 415 request/unsupported_media_type', async (type, body) => {
    const response = await login(type, body);
    expect(answer(response)).toEqual({ status: 415, code: ErrorCode.UnsupportedMediaType });
    expect(response.body.error.message).toContain('application/json');
  });

  it('refuses an unsupported type before reading the body, even one over the size limit', async () => {
    const response = await login('application/x-www-form-urlencoded', `a=${'x'.repeat(2 * 1024 * 1024)}`);
    expect(answer(response)).toEqual({ status: 415, code: ErrorCode.UnsupportedMediaType });
  });

  it('answers a JSON body over the 1 MiB limit with 413 request/too_large', async () => {
    const response = await login(
      'application/json',
      JSON.stringify({ username: 'x'.repeat(2 * 1024 * 1024) }),
    );
    expect(answer(response)).toEqual({ status: 413, code: ErrorCode.PayloadTooLarge });
  });

  it('answers malformed or empty JSON with 400 request/invalid', async () => {
    expect(answer(await login('application/json', '{"username": '))).toEqual({
      status: 400,
      code: ErrorCode.Invalid,
    });
    expect(answer(await login('application/json', ''))).toEqual({ status: 400, code: ErrorCode.Invalid });
  });

  it('still takes JSON with a charset parameter', async () => {
    const response = await login(
      'application/json; charset=utf-8',
      '{"username":"nobody","password":"wrong one"}',
    );
    expect(answer(response)).toEqual({ status: 401, code: ErrorCode.InvalidCredentials });
  });
});

// A client error some other plugin raises keeps what its status says, under Parley's code for it.
describe('client errors of other plugins', () => {
  it.each([
    [413, 413, ErrorCode.PayloadTooLarge],
    [415, 415, ErrorCode.UnsupportedMediaType],
    [406, 400, ErrorCode.Invalid],
  ])('answers a plugin error of status %i with %i %s', async (raised, status, code) => {
    const fastify = Fastify();
    await fastify.register(errors);
    fastify.post('/refused', async () => {
      throw Object.assign(new Error('refused by a plugin'), { code: 'FST_SOME_PLUGIN', statusCode: raised });
    });
    const response = await fastify.inject({ method: 'POST', url: '/refused' });
    await fastify.close();
    expect({ status: response.statusCode, code: response.json<ErrorResponse>().error.code }).toEqual({
      status,
      code,
    });
  });
});
