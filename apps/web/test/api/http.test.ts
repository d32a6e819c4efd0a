import { ErrorCode, sessionResponseSchema } from '@parley/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiRequestError, ClientErrorCode, request } from '@/api/http';
import { alice, apiError, stubFetch } from '../fixtures';

describe('http client', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('sends JSON with the session cookie and returns the validated body', async () => {
    const requests = stubFetch(() => ({ status: 200, body: { user: { ...alice, extra: 'dropped' } } }));
    const data = await request('POST', '/api/auth/login', sessionResponseSchema, {
      body: { username: 'alice' },
    });
    expect(data).toEqual({ user: alice });
    expect(requests[0]).toMatchObject({ credentials: 'same-origin', body: { username: 'alice' } });
  });

  it('turns an error body into an ApiRequestError with code, status and issues', async () => {
    stubFetch(() =>
      apiError(400, ErrorCode.Invalid, 'bad body', [{ path: 'username', message: 'too short' }]),
    );
    const failure = request('POST', '/api/auth/register', sessionResponseSchema, { body: {} });
    await expect(failure).rejects.toMatchObject({
      code: ErrorCode.Invalid,
      status: 400,
      issues: [{ path: 'username', message: 'too short' }],
    });
  });

  it('falls back to a code from the status when the body is not a Parley error', async () => {
    stubFetch(() => ({ status: 429, body: 'slow down' }));
    await expect(request('GET', '/api/auth/me', sessionResponseSchema)).rejects.toMatchObject({
      code: ErrorCode.RateLimited,
    });
  });

  it('reports an unreachable server as a network error', async () => {
    stubFetch(() => {
      throw new TypeError('Failed to fetch');
    });
    await expect(request('GET', '/api/auth/me', sessionResponseSchema)).rejects.toMatchObject({
      code: ClientErrorCode.Network,
      status: 0,
    });
  });

  it('refuses a success body that does not match the contract', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    stubFetch(() => ({ status: 200, body: { user: { id: 'not a number' } } }));
    const failure = request('GET', '/api/auth/me', sessionResponseSchema);
    await expect(failure).rejects.toBeInstanceOf(ApiRequestError);
    await expect(failure).rejects.toMatchObject({ code: ClientErrorCode.BadResponse });
  });

  it('accepts an empty 204', async () => {
    stubFetch(() => ({ status: 204 }));
    await expect(request('POST', '/api/auth/logout', null)).resolves.toBeUndefined();
  });
});
