import { ErrorCode } from '@parley/shared';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiRequestError } from '@/api/http';
import { useSessionStore } from '@/stores/session';
import { alice, apiError, stubFetch, summaryOf } from '../fixtures';

describe('session store', () => {
  beforeEach(() => setActivePinia(createPinia()));
  afterEach(() => vi.unstubAllGlobals());

  it('asks the server who we are once, and remembers a missing session', async () => {
    const requests = stubFetch(() => apiError(401, ErrorCode.Unauthenticated));
    const session = useSessionStore();

    expect(await session.ensureLoaded()).toBeNull();
    expect(await session.ensureLoaded()).toBeNull();

    expect(session.checked).toBe(true);
    expect(session.isAuthenticated).toBe(false);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'GET', url: '/api/auth/me', credentials: 'same-origin' });
  });

  it('restores an existing session from the cookie', async () => {
    stubFetch(() => ({ status: 200, body: { user: alice } }));
    const session = useSessionStore();
    await session.ensureLoaded();
    expect(session.user).toEqual(alice);
  });

  it('logs in with the credentials and keeps the user', async () => {
    const requests = stubFetch(() => ({ status: 200, body: { user: alice } }));
    const session = useSessionStore();

    await session.login({ username: 'alice', password: 'correct horse' });

    expect(session.user).toEqual(alice);
    expect(session.checked).toBe(true);
    expect(requests[0]).toMatchObject({
      method: 'POST',
      url: '/api/auth/login',
      body: { username: 'alice', password: 'correct horse' },
      credentials: 'same-origin',
    });
  });

  it('rejects wrong credentials with the stable code and stays logged out', async () => {
    stubFetch(() => apiError(401, ErrorCode.InvalidCredentials, 'Invalid username or password'));
    const session = useSessionStore();

    const failure = session.login({ username: 'alice', password: 'nope' });

    await expect(failure).rejects.toBeInstanceOf(ApiRequestError);
    await expect(failure).rejects.toMatchObject({ code: ErrorCode.InvalidCredentials, status: 401 });
    expect(session.user).toBeNull();
  });

  it('registers, which also logs in', async () => {
    const requests = stubFetch(() => ({ status: 201, body: { user: alice } }));
    const session = useSessionStore();
    await session.register({ username: 'alice', displayName: 'Alice Martin', password: 'long enough' });
    expect(session.user).toEqual(alice);
    expect(requests[0]).toMatchObject({ method: 'POST', url: '/api/auth/register' });
  });

  it('logs out on the server and forgets the user', async () => {
    const requests = stubFetch(({ url }) =>
      url === '/api/auth/logout' ? { status: 204 } : { status: 200, body: { user: alice } },
    );
    const session = useSessionStore();
    await session.login({ username: 'alice', password: 'correct horse' });

    await session.logout();

    expect(session.user).toBeNull();
    expect(session.endReason).toBe('logout');
    expect(requests.at(-1)).toMatchObject({ method: 'POST', url: '/api/auth/logout' });
  });

  it('still logs out locally when the server cannot be reached', async () => {
    let online = true;
    stubFetch(() => {
      if (!online) throw new TypeError('Failed to fetch');
      return { status: 200, body: { user: alice } };
    });
    const session = useSessionStore();
    await session.login({ username: 'alice', password: 'correct horse' });
    online = false;

    await session.logout();

    expect(session.user).toBeNull();
  });

  it('ends the session when the server says it expired, remembering why', async () => {
    stubFetch(() => ({ status: 200, body: { user: alice } }));
    const session = useSessionStore();
    await session.ensureLoaded();

    session.expire();

    expect(session.user).toBeNull();
    expect(session.endReason).toBe('expired');
  });

  it('keeps the user through a network failure on a later check', async () => {
    let online = true;
    stubFetch(() => {
      if (!online) throw new TypeError('Failed to fetch');
      return { status: 200, body: { user: alice } };
    });
    const session = useSessionStore();
    await session.ensureLoaded();
    online = false;

    expect(await session.refresh()).toEqual(alice);
  });

  it('changes the display name, and takes a rename made in another tab', async () => {
    const requests = stubFetch(() => ({
      status: 200,
      body: { user: { ...alice, displayName: 'Alice 爱丽丝' } },
    }));
    const session = useSessionStore();
    session.user = alice;

    await session.updateProfile({ displayName: 'Alice 爱丽丝' });
    expect(requests[0]).toMatchObject({
      method: 'PATCH',
      url: '/api/me',
      body: { displayName: 'Alice 爱丽丝' },
    });
    expect(session.user?.displayName).toBe('Alice 爱丽丝');

    session.applySummary({ ...summaryOf(alice), displayName: 'Al' });
    expect(session.user).toMatchObject({ displayName: 'Al', role: alice.role });
    session.applySummary({ ...summaryOf(alice), id: alice.id + 1, displayName: 'Someone else' });
    expect(session.user?.displayName).toBe('Al');
  });

  it('changes the password and keeps the user signed in', async () => {
    const requests = stubFetch(() => ({ status: 204 }));
    const session = useSessionStore();
    session.user = alice;

    await session.changePassword({ currentPassword: 'old secret', newPassword: 'lantern orchard meridian' });
    expect(requests[0]).toMatchObject({
      method: 'PUT',
      url: '/api/me/password',
      body: { currentPassword: 'old secret', newPassword: 'lantern orchard meridian' },
    });
    expect(session.user).toEqual(alice);
  });

  it('remembers why the server ended the session, and who was signed in, for the login page', () => {
    const session = useSessionStore();
    session.user = alice;
    session.expire('password_changed');
    expect(session.user).toBeNull();
    expect(session.endReason).toBe('password_changed');
    expect(session.endedUsername).toBe(alice.username);
  });
});
