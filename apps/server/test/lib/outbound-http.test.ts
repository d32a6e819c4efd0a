// Requests to addresses someone else chose (webhooks): public unicast only unless allowed, checked as
// written and again for every address a name resolves to; answers read to a cap; a timeout for all.
import type { LookupAddress, lookup } from 'node:dns';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OutboundAddressRefused,
  createOutboundPolicy,
  postOutbound,
  type OutboundPostOptions,
} from '../../src/lib/outbound-http.js';

describe('the outbound policy', () => {
  it('refuses this machine and private, link-local and reserved addresses as written, IPv4 in IPv6 too', () => {
    const policy = createOutboundPolicy([]);
    const refused = (host: string) => policy.refusedHost(host) !== null;
    for (const host of [
      'localhost',
      'api.localhost',
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
    ])
      expect(refused(host), host).toBe(true);
    for (const host of ['8.8.8.8', '2606:4700::1111', 'hooks.example.com'])
      expect(refused(host), host).toBe(false);
  });

  it('lets through what WEBHOOK_ALLOWED_PRIVATE_HOSTS names: a host name, an address, a range', () => {
    const policy = createOutboundPolicy(['bots.internal', '127.0.0.1', '10.0.0.0/8', 'LOCALHOST']);
    expect(policy.refusedHost('localhost')).toBeNull();
    expect(policy.refusedHost('127.0.0.1')).toBeNull();
    expect(policy.refusedHost('10.20.30.40')).toBeNull();
    expect(policy.refusedHost('192.168.1.1')).not.toBeNull();
    expect(policy.mayConnect('bots.internal', '192.168.1.1')).toBe(true);
    expect(policy.mayConnect('elsewhere.example', '192.168.1.1')).toBe(false);
    expect(policy.mayConnect('elsewhere.example', '10.9.9.9')).toBe(true);
    expect(() => createOutboundPolicy(['10.0.0.0/99'])).toThrow();
  });
});

type Answer = (response: ServerResponse) => void;

describe('postOutbound', () => {
  let server: Server;
  let port = 0;
  let answer: Answer = (response) => response.end('ok');
  let received = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      received += 1;
      request.resume().on('end', () => answer(response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A resolver that answers `name` with `addresses` and nothing else. */
  const resolver = (name: string, addresses: string[]): typeof lookup =>
    ((asked: string, _options: unknown, callback: (error: Error | null, found: LookupAddress[]) => void) => {
      if (asked !== name) return callback(new Error(`ENOTFOUND ${asked}`), []);
      callback(
        null,
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );
    }) as unknown as typeof lookup;

  const post = (url: string, options: Partial<OutboundPostOptions> = {}) =>
    postOutbound(new URL(url), {
      headers: { 'content-type': 'application/json' },
      body: '{}',
      timeoutMs: 2_000,
      maxBodyBytes: 1_024,
      policy: createOutboundPolicy([]),
      ...options,
    });

  it('sends to an allowed address and reads the answer', async () => {
    answer = (response) => response.writeHead(201).end('{"text":"hi"}');
    const policy = createOutboundPolicy(['127.0.0.1']);
    expect(await post(`http://127.0.0.1:${port}/hook`, { policy })).toEqual({
      status: 201,
      body: '{"text":"hi"}',
    });
  });

  it('refuses a private address as written, however it is spelled, before connecting', async () => {
    const before = received;
    for (const url of [`http://127.0.0.1:${port}/`, `http://127.1:${port}/`, `http://0x7f000001:${port}/`]) {
      await expect(post(url)).rejects.toBeInstanceOf(OutboundAddressRefused);
    }
    expect(received).toBe(before);
  });

  it('refuses a name that resolves only to private addresses, and connects only to the allowed ones', async () => {
    const before = received;
    const resolve = resolver('rebind.example', ['127.0.0.1']);
    await expect(post(`http://rebind.example:${port}/`, { resolve })).rejects.toThrow(
      /rebind\.example resolves only to private or reserved addresses \(127\.0\.0\.1\)/,
    );
    expect(received).toBe(before);
    answer = (response) => response.end('reached');
    const mixed = resolver('mixed.example', ['10.1.1.1', '127.0.0.1']);
    const policy = createOutboundPolicy(['127.0.0.0/8']);
    expect(await post(`http://mixed.example:${port}/`, { resolve: mixed, policy })).toEqual({
      status: 200,
      body: 'reached',
    });
    expect(received).toBe(before + 1);
  });

  it('stops reading an answer past the cap, announced or streamed', async () => {
    const policy = createOutboundPolicy(['127.0.0.1']);
    answer = (response) => response.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5_000));
    expect(await post(`http://127.0.0.1:${port}/`, { policy })).toEqual({ status: 200, body: null });
    answer = (response) => {
      response.writeHead(200);
      const pump = (): void => {
        if (!response.destroyed) response.write('y'.repeat(512), () => setImmediate(pump));
      };
      pump();
    };
    expect(await post(`http://127.0.0.1:${port}/`, { policy })).toEqual({ status: 200, body: null });
  });

  it('gives up on a receiver that does not answer in time', async () => {
    answer = () => undefined;
    const policy = createOutboundPolicy(['127.0.0.1']);
    await expect(post(`http://127.0.0.1:${port}/`, { policy, timeoutMs: 200 })).rejects.toThrow(
      /abort|timeout/i,
    );
  });
});
