import { connect as connectTcp } from 'node:net';
import { ErrorCode } from '@parley/shared';
import { io as connectSocketIo } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectSocketTo,
  okData,
  startTestServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from './helpers/server.js';

const TIMEOUT_MS = 1_000;

interface Trickle {
  /** Resolves when the server closes the connection: after how long, and what it answered. */
  closed: Promise<{ afterMs: number; response: string }>;
}

/**
 * A raw TCP client that sends `head` and then one more byte of `tail` every `intervalMs`, as a
 * slow-body (or slow-header) attacker does, until the server closes the connection. Rejects if the
 * server has not closed it within `deadlineMs`.
 */
function trickle(t: TestServer, head: string, tail: string, intervalMs: number, deadlineMs: number): Trickle {
  const { hostname, port } = new URL(t.url);
  const socket = connectTcp({ host: hostname, port: Number(port) });
  const started = Date.now();
  let response = '';
  let sent = 0;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (response += chunk));
  socket.on('error', () => {});
  socket.once('connect', () => socket.write(head));
  const drip = setInterval(() => {
    if (socket.writable && tail) socket.write(tail[sent++ % tail.length]!);
  }, intervalMs);
  const closed = new Promise<{ afterMs: number; response: string }>((resolve, reject) => {
    const deadline = setTimeout(() => {
      clearInterval(drip);
      socket.destroy();
      reject(new Error(`server kept the slow connection open for ${deadlineMs} ms`));
    }, deadlineMs);
    socket.once('close', () => {
      clearInterval(drip);
      clearTimeout(deadline);
      resolve({ afterMs: Date.now() - started, response });
    });
  });
  return { closed };
}

describe('HTTP request timeout', () => {
  let t: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    t = await startTestServer({ env: { HTTP_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) } });
    user = await t.signUp();
  });
  afterAll(async () => t.close());

  it('closes a connection whose body trickles in slower than HTTP_REQUEST_TIMEOUT_MS, answering 408', async () => {
    const head =
      'POST /api/auth/login HTTP/1.1\r\nHost: parley.test\r\nContent-Type: application/json\r\n' +
      'Content-Length: 100000\r\n\r\n{';
    const { afterMs, response } = await trickle(t, head, '"username"', 100, TIMEOUT_MS * 5).closed;
    expect(afterMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))).toEqual({
      error: { code: ErrorCode.RequestTimeout, message: expect.any(String) },
    });
  });

  it('closes a connection whose headers trickle in slower than HTTP_REQUEST_TIMEOUT_MS', async () => {
    const { afterMs, response } = await trickle(
      t,
      'GET /healthz HTTP/1.1\r\n',
      'X-Slow: a\r\n',
      100,
      TIMEOUT_MS * 5,
    ).closed;
    expect(afterMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('leaves held long-poll requests and upgraded WebSockets open past the timeout', async () => {
    const websocket = await connectSocketTo(t.url, user.cookie);
    const polling: ClientSocket = connectSocketIo(t.url, {
      transports: ['polling'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { cookie: user.cookie },
    });
    await new Promise<void>((resolve, reject) => {
      polling.once('connect', () => resolve());
      polling.once('connect_error', reject);
    });
    const disconnects: string[] = [];
    websocket.on('disconnect', (reason) => disconnects.push(`websocket: ${reason}`));
    polling.on('disconnect', (reason) => disconnects.push(`polling: ${reason}`));
    try {
      // Barrier: a slow request started after the long-poll GET is cut, so that GET, older still,
      // has been looked at by the same deadline check.
      const head =
        'POST /api/auth/login HTTP/1.1\r\nHost: parley.test\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100000\r\n\r\n{';
      await trickle(t, head, ' ', 100, TIMEOUT_MS * 5).closed;

      expect(disconnects).toEqual([]);
      expect(polling.io.engine.transport.name).toBe('polling');
      for (const socket of [websocket, polling]) {
        const sync = okData(
          await socket.timeout(2_000).emitWithAck('conversation:sync', { conversations: [] }),
        );
        expect(sync).toBeDefined();
      }
      expect(disconnects).toEqual([]);
    } finally {
      websocket.close();
      polling.close();
    }
  });
});

describe('HTTP parser errors', () => {
  it('answers malformed HTTP with 400 request/invalid and closes the connection', async () => {
    const t = await startTestServer();
    try {
      const { response } = await trickle(t, 'NOT HTTP AT ALL\r\n\r\n', '', 1_000, 5_000).closed;
      expect(response).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))).toMatchObject({
        error: { code: ErrorCode.Invalid },
      });
    } finally {
      await t.close();
    }
  });
});
