import helmet from '@fastify/helmet';
import fp from 'fastify-plugin';

/**
 * The Content-Security-Policy every response carries (the web app's and the API's alike).
 * Scripts, fonts, images, stylesheets and connections come from Parley's own origin only; the built app
 * has no inline scripts, and Vue applies `:style` bindings through the CSSOM, which CSP does not govern.
 * The one relaxation is `style-src-attr`, explained below.
 * Directives Helmet would add by default and that Parley does not want are left out on purpose:
 * `upgrade-insecure-requests` would break a plain-HTTP deployment on a LAN address, and `https:` for
 * fonts and styles would let any host in.
 */
export function contentSecurityPolicy(allowedOrigins: readonly string[]): Record<string, string[]> {
  return {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'"],
    // The emoji picker (emoji-picker-element) lays out its grid with style attributes in the HTML it
    // renders. An attribute styles its one element and holds no selectors, so it cannot probe the page
    // the way an injected <style> can; <style> elements stay forbidden (style-src 'self').
    'style-src-attr': ["'unsafe-inline'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'", 'data:'],
    // CSP3 lets 'self' match ws:/wss: on the page's own host and port; older Safari did not, so the
    // socket's WebSocket addresses of the allowed origins are named too.
    'connect-src': ["'self'", ...allowedOrigins.map((origin) => origin.replace(/^http/, 'ws'))],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  };
}

/**
 * Security headers on every response, through @fastify/helmet (the maintained Fastify port of
 * Helmet, whose other defaults follow OWASP's HTTP Headers Cheat Sheet): the CSP above,
 * `X-Frame-Options: DENY` (for browsers without `frame-ancestors`), `X-Content-Type-Options: nosniff`,
 * `Referrer-Policy: no-referrer`, `Cross-Origin-Opener-Policy`/`-Resource-Policy: same-origin`, and
 * `Strict-Transport-Security` for 180 days. Browsers ignore HSTS over plain HTTP (RFC 6797 §8.1), so it
 * only takes effect once Parley is reached over TLS; it leaves out `includeSubDomains`, since Parley
 * does not speak for other hosts under its domain.
 */
export default fp<{ allowedOrigins: string[] }>(
  async (fastify, { allowedOrigins }) => {
    await fastify.register(helmet, {
      global: true,
      contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy(allowedOrigins) },
      frameguard: { action: 'deny' },
      strictTransportSecurity: { maxAge: 180 * 24 * 3600, includeSubDomains: false },
    });
  },
  { name: 'security-headers' },
);
