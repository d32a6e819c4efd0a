/**
 * How the client proves who it is. Discriminated by `kind`:
 * - `cookie`: a session cookie (`parley.sid=…`, as `login()` returns it), sent as a header: Node.
 * - `browser`: the browser's own cookie for the page's origin (`withCredentials`): the web app.
 * - `bearer`: a bot token (`pbt_…`, made in the site console), sent as `Authorization: Bearer` over
 *   HTTP and in the socket handshake's `auth.token` (docs/bots.md). Browsers and Node alike.
 */
export type ParleyAuth =
  { kind: 'cookie'; cookie: string } | { kind: 'browser' } | { kind: 'bearer'; token: string };

/** The headers that carry `auth` on an HTTP request (`browser` needs none: the browser adds its cookie). */
export function authHeaders(auth: ParleyAuth): Record<string, string> {
  switch (auth.kind) {
    case 'cookie':
      return { cookie: auth.cookie };
    case 'bearer':
      return { authorization: `Bearer ${auth.token}` };
    case 'browser':
      return {};
  }
}
