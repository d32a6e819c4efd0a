import { sessionResponseSchema, type CurrentUser } from '@parley/shared';

export interface LoginResult {
  /** The session cookie (`parley.sid=…`), for `auth: { kind: 'cookie', cookie }`. */
  cookie: string;
  user: CurrentUser;
}

/**
 * Signs in with a username and password (POST /api/auth/login) and returns the session cookie, for
 * Node callers. Browsers keep their own cookie and use `auth: { kind: 'browser' }` instead. Throws
 * with the server's error code on a refusal (e.g. `auth/invalid_credentials`).
 */
export async function login(url: string, username: string, password: string): Promise<LoginResult> {
  const response = await fetch(new URL('/api/auth/login', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
    signal: AbortSignal.timeout(15_000),
  });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const code = (body as { error?: { code?: string } } | null)?.error?.code ?? `HTTP ${response.status}`;
    throw new Error(`login refused: ${code}`);
  }
  // A sign-in may clear an old cookie and set the new one in one response: the last one wins.
  const cookie = response.headers
    .getSetCookie()
    .filter((value) => value.startsWith('parley.sid='))
    .at(-1)
    ?.split(';')[0];
  if (!cookie) throw new Error('login answered without a session cookie');
  return { cookie, user: sessionResponseSchema.parse(body).user };
}
