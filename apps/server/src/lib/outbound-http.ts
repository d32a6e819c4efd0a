import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Where the server may send requests that someone else chose the address of (a bot's webhook URL):
 * public unicast addresses only, so a URL cannot make Parley call into the network it runs in
 * (loopback, private ranges, link-local with the cloud metadata address 169.254.169.254, unique
 * local, carrier-grade NAT, reserved, IPv4 inside IPv6), the server-side request forgery the OWASP
 * SSRF Prevention Cheat Sheet describes. `allowed` names exceptions for receivers inside that network
 * (a bot beside Parley): host names, compared with the URL's as written, and addresses or CIDR ranges
 * (`127.0.0.1`, `10.0.0.0/8`, `fd00::/8`), matched against every address the name resolves to.
 */
export interface OutboundPolicy {
  /** Why `hostname` (as in a URL: lowercase, IPv6 without brackets) is refused as written, or null. */
  refusedHost(hostname: string): string | null;
  /** Whether the server may connect to `address` (an IP address) reached through `hostname`. */
  mayConnect(hostname: string, address: string): boolean;
}

/** Parses `allowed` (WEBHOOK_ALLOWED_PRIVATE_HOSTS's entries); throws on an address or range that does not parse. */
export function createOutboundPolicy(allowed: readonly string[]): OutboundPolicy {
  const names = new Set<string>();
  const ranges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];
  for (const entry of allowed.map((value) => value.trim().toLowerCase()).filter(Boolean)) {
    if (entry.includes('/')) ranges.push(ipaddr.parseCIDR(entry));
    else if (isIP(entry)) {
      const address = ipaddr.parse(entry);
      ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else names.add(entry);
  }

  const isAllowedAddress = (address: ipaddr.IPv4 | ipaddr.IPv6) =>
    ranges.some(([range, bits]) => address.kind() === range.kind() && address.match(range, bits));

  /** Public unicast, or named in `allowed`; an IPv4 address inside IPv6 (::ffff:a.b.c.d) as that IPv4. */
  function mayReach(text: string): boolean {
    let address: ipaddr.IPv4 | ipaddr.IPv6 = ipaddr.parse(text);
    if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
      address = (address as ipaddr.IPv6).toIPv4Address();
    }
    return address.range() === 'unicast' || isAllowedAddress(address);
  }

  return {
    refusedHost(hostname) {
      if (names.has(hostname)) return null;
      if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
        return 'must not point at this machine (localhost)';
      }
      if (isIP(hostname) && !mayReach(hostname)) {
        return `must not point into a private or reserved network (${hostname}); list it in WEBHOOK_ALLOWED_PRIVATE_HOSTS to allow it`;
      }
      return null;
    },
    mayConnect(hostname, address) {
      return names.has(hostname) || mayReach(address);
    },
  };
}

/** A URL's host as the policy compares it: lowercase, an IPv6 address without its brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/** A request refused before any connection: its address is outside what the policy allows. */
export class OutboundAddressRefused extends Error {
  constructor(hostname: string, detail: string) {
    super(`Not sent: ${hostname} ${detail}`);
    this.name = 'OutboundAddressRefused';
  }
}

export interface OutboundPostOptions {
  headers: Record<string, string>;
  body: string;
  /** The whole exchange, connecting and reading the answer included, in milliseconds. */
  timeoutMs: number;
  /** The most of the answer's body read, in bytes; past it the body is `null` and the rest unread. */
  maxBodyBytes: number;
  policy: OutboundPolicy;
  /** Resolves host names (tests give their own); `dns.lookup`, what the system resolver says, by default. */
  resolve?: typeof dnsLookup;
}

/**
 * POSTs `body` to `url` (http or https) under `policy`: the host is checked as written, and every
 * address its name resolves to is checked again when connecting (in the socket's own lookup, so a
 * name that resolves to a public address for the check and a private one for the connection, DNS
 * rebinding, gets nowhere). Redirects are not followed. Resolves with the status and the body as
 * UTF-8 text, `null` when it was longer than `maxBodyBytes` (the connection is then closed). Rejects
 * with OutboundAddressRefused, or the network's or the timeout's error.
 */
export function postOutbound(
  url: URL,
  options: OutboundPostOptions,
): Promise<{ status: number; body: string | null }> {
  const hostname = hostOf(url);
  const refused = options.policy.refusedHost(hostname);
  if (refused) return Promise.reject(new OutboundAddressRefused(hostname, refused));
  const lookup = (
    name: string,
    lookupOptions: LookupOptions,
    callback: (
      error: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void,
  ) => {
    (options.resolve ?? dnsLookup)(name, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const usable = addresses.filter((entry) => options.policy.mayConnect(hostname, entry.address));
      if (usable.length === 0) {
        const found = addresses.map((entry) => entry.address).join(', ');
        return callback(
          new OutboundAddressRefused(
            hostname,
            `resolves only to private or reserved addresses (${found}); list it in WEBHOOK_ALLOWED_PRIVATE_HOSTS to allow it`,
          ),
          '',
        );
      }
      if (lookupOptions.all) return callback(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      {
        method: 'POST',
        headers: { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
        lookup,
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        const announced = Number(response.headers['content-length'] ?? Number.NaN);
        if (announced > options.maxBodyBytes) {
          response.destroy();
          return resolve({ status, body: null });
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBodyBytes) {
            response.destroy();
            resolve({ status, body: null });
          } else chunks.push(chunk);
        });
        response.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}
