// Engine.IO v4 / Socket.IO v5 text framing over a WebSocket (transport=websocket, EIO=4), enough for
// the load generator: open, ping/pong, connect, connect_error, events with acknowledgement ids.
// Spec: https://github.com/socketio/engine.io-protocol (v4) and socket.io-protocol (v5).
// Binary attachments and namespaces other than "/" are not used by any server under test.

/** One decoded WebSocket text frame. */
export type Frame =
  | { kind: 'open'; data: { sid: string; pingInterval: number; pingTimeout: number } }
  | { kind: 'ping' }
  | { kind: 'close' }
  | { kind: 'connect'; data: unknown }
  | { kind: 'connect_error'; data: unknown }
  | { kind: 'disconnect' }
  | { kind: 'event'; name: string; args: unknown[]; ackId: number | null }
  | { kind: 'ack'; ackId: number; args: unknown[] }
  | { kind: 'other'; raw: string };

/** Engine.IO pong, the answer to the server's ping (packet type 3). */
export const PONG = '3';

/** Socket.IO CONNECT to the main namespace, with an optional auth payload (`40{...}`). */
export function encodeConnect(auth?: unknown): string {
  return auth === undefined ? '40' : `40${JSON.stringify(auth)}`;
}

/** Socket.IO EVENT (`42<ackId>["name",...args]`); the ack id is omitted when no answer is wanted. */
export function encodeEvent(name: string, args: unknown[], ackId?: number): string {
  return `42${ackId ?? ''}${JSON.stringify([name, ...args])}`;
}

/** Socket.IO ACK (`43<ackId>[...args]`), the answer to an event the server sent with an ack id. */
export function encodeAck(ackId: number, args: unknown[]): string {
  return `43${ackId}${JSON.stringify(args)}`;
}

/** Decodes one text frame; anything this generator does not speak comes back as `other`. */
export function decodeFrame(raw: string): Frame {
  switch (raw[0]) {
    case '0':
      return { kind: 'open', data: JSON.parse(raw.slice(1)) as Extract<Frame, { kind: 'open' }>['data'] };
    case '1':
      return { kind: 'close' };
    case '2':
      return { kind: 'ping' };
    case '4':
      return decodeSocketIo(raw.slice(1), raw);
    default:
      return { kind: 'other', raw };
  }
}

function decodeSocketIo(packet: string, raw: string): Frame {
  const type = packet[0];
  // The namespace ("/" is implicit) would sit here as "/name,"; none is used.
  let index = 1;
  let digits = '';
  while (index < packet.length && packet.charCodeAt(index) >= 48 && packet.charCodeAt(index) <= 57) {
    digits += packet[index];
    index += 1;
  }
  const body = packet.slice(index);
  const payload: unknown = body ? JSON.parse(body) : undefined;
  const ackId = digits ? Number(digits) : null;
  switch (type) {
    case '0':
      return { kind: 'connect', data: payload };
    case '1':
      return { kind: 'disconnect' };
    case '4':
      return { kind: 'connect_error', data: payload };
    case '2': {
      const [name, ...args] = payload as [string, ...unknown[]];
      return { kind: 'event', name, args, ackId };
    }
    case '3':
      if (ackId === null) return { kind: 'other', raw };
      return { kind: 'ack', ackId, args: payload as unknown[] };
    default:
      return { kind: 'other', raw };
  }
}
