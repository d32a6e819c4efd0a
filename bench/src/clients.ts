// The load generator's connections: one interface over the three servers' wire formats, so the
// generator's schedule and bookkeeping are the same code for P0, P1 and Parley.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { PONG, decodeFrame, encodeConnect, encodeEvent } from './framing.js';

/** Only `ok` counts as acknowledged; a refusal carries its error code (e.g. `server/busy`). */
export type AckResult = { ok: true } | { ok: false; code: string };

export type ServerKind = 'p0' | 'p1' | 'parley';

export interface ConnectOptions {
  /** http://host:port of the server. */
  url: string;
  /** Parley's session cookie header (`parley.sid=...`); P0 and P1 have no authentication. */
  cookie?: string;
  /** Rooms to join: P0 and P1 are told; Parley joins a user's conversations itself. */
  rooms: number[];
  /** The text of every message this connection receives. */
  onMessage(text: string): void;
  /** The connection ended without close() being called. */
  onUnexpectedClose(): void;
  timeoutMs?: number;
}

/** One client connection held by the generator. */
export interface BenchConnection {
  send(room: number, text: string, onAck: (result: AckResult) => void): void;
  close(): void;
}

export function connect(kind: ServerKind, options: ConnectOptions): Promise<BenchConnection> {
  if (kind === 'p0') return connectP0(options);
  return connectSocketIo(kind, options);
}

function wsUrl(url: string, path: string): string {
  return url.replace(/^http/, 'ws') + path;
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        onTimeout();
        reject(new Error(`connection not established within ${ms} ms`));
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * P0's format: JSON text frames. `{"t":"join","rooms":[...]}` once, then
 * `{"t":"send","id":n,"room":r,"text":"..."}` answered by `{"t":"ack","id":n}`; others receive
 * `{"t":"msg","room":r,"text":"..."}`.
 */
function connectP0(options: ConnectOptions): Promise<BenchConnection> {
  const ws = new WebSocket(wsUrl(options.url, '/'), { perMessageDeflate: false });
  const pending = new Map<number, (result: AckResult) => void>();
  let nextId = 1;
  let closing = false;
  const connection: BenchConnection = {
    send(room, text, onAck) {
      const id = nextId++;
      pending.set(id, onAck);
      ws.send(JSON.stringify({ t: 'send', id, room, text }));
    },
    close() {
      closing = true;
      ws.terminate();
    },
  };
  const ready = new Promise<BenchConnection>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('close', () => {
      if (!closing) options.onUnexpectedClose();
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { t: string; id?: number; text?: string };
      if (frame.t === 'msg') options.onMessage(frame.text!);
      else if (frame.t === 'ack') {
        pending.get(frame.id!)?.({ ok: true });
        pending.delete(frame.id!);
      } else if (frame.t === 'joined') resolve(connection);
    });
    ws.once('open', () => ws.send(JSON.stringify({ t: 'join', rooms: options.rooms })));
  });
  return withTimeout(ready, options.timeoutMs ?? 30_000, () => ws.terminate());
}

interface ParleyAck {
  ok: boolean;
  error?: { code: string };
}

/**
 * P1 and Parley speak Socket.IO. P1: connect with auth `{rooms}`, emit `send` `{room, text}` with an
 * ack, receive `msg` `{room, text}`. Parley: the session cookie on the upgrade, emit `message:send`
 * `{conversationId, clientMsgId, text}`, receive `message:new` (a stored message with its text).
 */
function connectSocketIo(kind: 'p1' | 'parley', options: ConnectOptions): Promise<BenchConnection> {
  const ws = new WebSocket(wsUrl(options.url, '/socket.io/?EIO=4&transport=websocket'), {
    perMessageDeflate: false,
    headers: options.cookie ? { cookie: options.cookie } : {},
  });
  const pending = new Map<number, (args: unknown[]) => void>();
  let nextAckId = 0;
  let closing = false;
  const connection: BenchConnection = {
    send(room, text, onAck) {
      const ackId = nextAckId++;
      pending.set(ackId, (args) => {
        const answer = args[0] as ParleyAck | undefined;
        onAck(answer?.ok ? { ok: true } : { ok: false, code: answer?.error?.code ?? 'bench/malformed_ack' });
      });
      const payload =
        kind === 'parley' ? { conversationId: room, clientMsgId: randomUUID(), text } : { room, text };
      ws.send(encodeEvent(kind === 'parley' ? 'message:send' : 'send', [payload], ackId));
    },
    close() {
      closing = true;
      ws.terminate();
    },
  };
  const messageEvent = kind === 'parley' ? 'message:new' : 'msg';
  const ready = new Promise<BenchConnection>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('close', () => {
      if (!closing) options.onUnexpectedClose();
    });
    ws.on('message', (data) => {
      const frame = decodeFrame(String(data));
      switch (frame.kind) {
        case 'open':
          ws.send(encodeConnect(kind === 'p1' ? { rooms: options.rooms } : undefined));
          break;
        case 'ping':
          ws.send(PONG);
          break;
        case 'connect':
          resolve(connection);
          break;
        case 'connect_error': {
          const error = frame.data as { message?: string; data?: { code?: string } } | undefined;
          reject(new Error(`connect_error ${error?.data?.code ?? error?.message ?? 'unknown'}`));
          break;
        }
        case 'event':
          if (frame.name === messageEvent) options.onMessage((frame.args[0] as { text: string }).text);
          break;
        case 'ack':
          pending.get(frame.ackId)?.(frame.args);
          pending.delete(frame.ackId);
          break;
        default:
          break;
      }
    });
  });
  return withTimeout(ready, options.timeoutMs ?? 30_000, () => ws.terminate());
}
