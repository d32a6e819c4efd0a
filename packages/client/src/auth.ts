/**
 * How the client proves who it is. Discriminated by `kind`, so a bearer token for bots can be added
 * later without changing the callers of the other kinds.
 * - `cookie`: a session cookie (`parley.sid=…`, as `login()` returns it), sent as a header: Node.
 * - `browser`: the browser's own cookie for the page's origin (`withCredentials`): the web app.
 */
export type ParleyAuth = { kind: 'cookie'; cookie: string } | { kind: 'browser' };
