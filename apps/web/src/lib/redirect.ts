/**
 * A `?redirect=` target, if it is a path of this app: starts with one "/" and is not protocol-relative.
 * URL parsers treat "\" like "/" in http(s) URLs (WHATWG URL Standard), so "/\evil.example" is refused
 * as "//evil.example" is: neither may send anyone to another site (OWASP: unvalidated redirects).
 */
export function safeRedirect(value: unknown): string | null {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) ? value : null;
}
