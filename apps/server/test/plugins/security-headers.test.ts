import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

function directives(header: string | null): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of (header ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) map.set(name, values);
  }
  return map;
}

describe('security headers', () => {
  let t: TestServer;
  beforeAll(async () => {
    const webDist = mkdtempSync(join(tmpdir(), 'parley-web-'));
    writeFileSync(join(webDist, 'index.html'), '<!doctype html><title>Parley</title>');
    t = await startTestServer({ env: { WEB_DIST_DIR: webDist } });
  });
  afterAll(async () => t.close());

  const requests: Array<[string, string, string, Record<string, string>, number]> = [
    ['the web app', 'GET', '/', { accept: 'text/html' }, 200],
    ['a client-side route', 'GET', '/c/1', { accept: 'text/html' }, 200],
    ['an API answer', 'GET', '/healthz', {}, 200],
    ['an API error', 'GET', '/api/auth/me', {}, 401],
    ['a refused cross-origin request', 'POST', '/api/auth/logout', { origin: 'http://evil.example' }, 403],
  ];

  it.each(requests)(
    'sends a strict Content-Security-Policy with %s',
    async (_what, method, path, headers, expectedStatus) => {
      const response = await fetch(`${t.url}${path}`, { method, headers });
      expect(response.status).toBe(expectedStatus);
      const csp = directives(response.headers.get('content-security-policy'));
      expect(csp.get('default-src')).toEqual(["'self'"]);
      expect(csp.get('script-src')).toEqual(["'self'"]);
      expect(csp.get('script-src-attr')).toEqual(["'none'"]);
      expect(csp.get('style-src')).toEqual(["'self'"]);
      expect(csp.get('style-src-attr')).toEqual(["'unsafe-inline'"]);
      expect(csp.get('object-src')).toEqual(["'none'"]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(csp.get('base-uri')).toEqual(["'self'"]);
      expect(csp.get('form-action')).toEqual(["'self'"]);
      expect(csp.get('connect-src')).toEqual(["'self'", 'ws://parley.test']);
      expect(csp.has('upgrade-insecure-requests')).toBe(false);
      for (const [name, values] of csp) {
        if (name !== 'style-src-attr') expect(values).not.toContain("'unsafe-inline'");
        expect(values).not.toContain("'unsafe-eval'");
        expect(values).not.toContain('https:');
      }
    },
  );

  it.each(requests)(
    'forbids framing and sniffing, and sends no referrer, with %s',
    async (_what, method, path, headers, expectedStatus) => {
      const response = await fetch(`${t.url}${path}`, { method, headers });
      expect(response.status).toBe(expectedStatus);
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(response.headers.get('strict-transport-security')).toBe('max-age=15552000');
    },
  );
});
