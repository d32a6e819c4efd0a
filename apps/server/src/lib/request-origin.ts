import type { IncomingHttpHeaders } from 'node:http';

/**
 * Whether a request may act with the cookies it carries: the one rule for both state-changing HTTP
 * requests and the Socket.IO handshake (cross-site request forgery and cross-site WebSocket hijacking).
 *
 * Follows OWASP's CSRF Prevention Cheat Sheet, "Verifying Origin with standard headers" and "Fetch
 * Metadata headers":
 * - An `Origin` header must be exactly one of `allowedOrigins` (scheme, host and port). `Origin: null`
 *   (sandboxed frames, opaque redirects) is never allowed. The Fetch standard has browsers send `Origin`
 *   on every request whose method is not GET or HEAD, and on every CORS and WebSocket request, so
 *   a page on another origin (another site, or another port or subdomain of this one, which
 *   SameSite=Lax does not stop) cannot drive a state change without naming itself.
 * - Without `Origin`, a `Sec-Fetch-Site` header must say `same-origin` or `none` (typed by the user):
 *   a browser that sends fetch metadata but no `Origin` on a cross-origin request is refused too.
 * - Without either header the request did not come from a modern browser: command-line clients,
 *   tests and bots, which hold their own cookie rather than a visitor's. They are allowed, and still
 *   need a session where a route asks for one.
 */
export function isAllowedRequestOrigin(
  headers: IncomingHttpHeaders,
  allowedOrigins: readonly string[],
): boolean {
  const origin = headers.origin;
  if (origin !== undefined) return allowedOrigins.includes(origin);
  const site = headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  return true;
}
