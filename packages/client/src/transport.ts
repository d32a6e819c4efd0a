import {
  clientEventContract,
  ErrorCode,
  isErrorCode,
  serverEventContract,
  type Ack,
  type ClientEventAck,
  type ClientEventName,
  type ClientEventPayload,
  type ClientToServerEvents,
  type ConnectErrorData,
  type ServerEventName,
  type ServerEventPayload,
  type ServerToClientEvents,
} from '@parley/shared';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { ParleyAuth } from './auth.js';
import { retryDelay, type BackoffOptions } from './backoff.js';
import { requestWithAck, type RequestResult } from './request.js';
import { Emitter } from './emitter.js';
import type { Clock, Logger } from './ports.js';

export type ParleySocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * The one connection state a UI shows: `idle` before connect() or after disconnect(), `connecting`
 * the first time, `connected`, `reconnecting` after a drop or a refusal that may pass, `refused` when
 * the handshake was refused for good (signed out, deactivated, wrong origin: see `code`), `closed`
 * after close().
 */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'refused' | 'closed';

export interface ConnectionChange {
  state: ConnectionState;
  /** The handshake's refusal code, with `refused` and sometimes `reconnecting`. */
  code?: ErrorCode | null;
}

/** Something the server sent that does not match the shared contract (seen only with `validate`). */
export interface ContractViolation {
  event: string;
  issues: string;
}

export interface TransportEvents {
  state: ConnectionChange;
  connect: undefined;
  disconnect: { reason: string };
  connectError: { code: ErrorCode | null; message: string };
  contractViolation: ContractViolation;
}

export interface TransportOptions {
  /** The server's origin, e.g. `https://chat.example.com`. */
  url: string;
  /** Socket.IO's path on that origin. */
  path?: string;
  auth: ParleyAuth;
  clock: Clock;
  logger: Logger;
  /** How long an acknowledgement may take before the request counts as lost (ms). */
  ackTimeoutMs: number;
  /** Reconnection back-off, after a drop or a refused handshake that may pass. */
  reconnect: BackoffOptions;
  /** Check acknowledgements and server events against the shared contract (development and tests). */
  validate: boolean;
}

/** Handshake refusals that no retry with the same credentials can change. */
const FINAL_REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.Unauthenticated,
  ErrorCode.AccountDeactivated,
  ErrorCode.InvalidToken,
  ErrorCode.TokenRevoked,
  ErrorCode.OriginNotAllowed,
]);

function connectErrorData(error: Error): Partial<ConnectErrorData> {
  const data: unknown = 'data' in error ? error.data : undefined;
  return typeof data === 'object' && data !== null ? (data as Partial<ConnectErrorData>) : {};
}

/**
 * The typed socket. Requests resolve with an acknowledgement or a `server/unavailable` (never
 * reject); every pending request is settled the moment the connection drops. Reconnection is done
 * here, not by Socket.IO, so that drops, refused handshakes and server-side disconnects all wait
 * the one back-off (backoff.ts), and never less than a `server/busy` handshake asked.
 */
export class Transport {
  readonly socket: ParleySocket;
  private readonly events: Emitter<TransportEvents>;
  private current: ConnectionChange = { state: 'idle' };
  private readonly inFlight = new Set<() => void>();
  private retryTimer: unknown = null;
  private attempts = 0;
  /** Whether the caller wants a connection: a drop is then followed by a reconnect. */
  private wanted = false;

  constructor(private readonly options: TransportOptions) {
    this.events = new Emitter((error, event) =>
      options.logger.warn('transport listener failed', { event, error: String(error) }),
    );
    const common: Partial<ManagerOptions & SocketOptions> = {
      path: options.path ?? '/socket.io',
      autoConnect: false,
      reconnection: false,
      // Each client its own connection, even to a URL another client in this process uses.
      forceNew: true,
    };
    const { auth } = options;
    const byAuth: Partial<ManagerOptions & SocketOptions> =
      auth.kind === 'cookie'
        ? // Node: the cookie goes in the WebSocket upgrade request, which needs no sticky sessions.
          { transports: ['websocket'], extraHeaders: { cookie: auth.cookie } }
        : auth.kind === 'bearer'
          ? // The handshake's auth payload: browsers cannot set headers on a WebSocket.
            { transports: ['websocket'], auth: { token: auth.token } }
          : { withCredentials: true };
    this.socket = io(options.url, { ...common, ...byAuth });
    this.bind();
  }

  get state(): ConnectionChange {
    return this.current;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  on<K extends keyof TransportEvents>(event: K, listener: (payload: TransportEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Listens to a server event; with `validate`, checks its payload against the contract first. */
  onServer<E extends ServerEventName>(event: E, listener: (payload: ServerEventPayload<E>) => void): void {
    const checked = (payload: unknown) => {
      this.check(event, serverEventContract[event], payload);
      listener(payload as ServerEventPayload<E>);
    };
    (this.socket.on as (event: string, listener: (payload: unknown) => void) => void)(event, checked);
  }

  /** Connects, and keeps reconnecting after drops until disconnect() or close(). */
  connect(): void {
    if (this.current.state === 'closed') throw new Error('this client is closed');
    this.wanted = true;
    // Connected, or waiting out the back-off (reconnectNow() skips it).
    if (this.socket.connected || this.retryTimer !== null) return;
    this.setState(this.attempts > 0 ? 'reconnecting' : 'connecting');
    this.socket.connect();
  }

  /** Goes offline on purpose: pending requests are settled, and nothing reconnects until connect(). */
  disconnect(): void {
    this.wanted = false;
    this.cancelRetry();
    this.socket.disconnect();
    this.settleInFlight();
    if (this.current.state !== 'closed') this.setState('idle');
  }

  /** Skips what is left of the back-off and tries now (e.g. the browser says it is online again). */
  reconnectNow(): void {
    if (!this.wanted || this.socket.connected) return;
    this.cancelRetry();
    this.socket.disconnect();
    this.socket.connect();
  }

  /**
   * Drops the connection at once without giving up on it (e.g. the browser says it went offline):
   * otherwise the socket would wait for a missed ping (up to 45 s) to notice.
   */
  dropConnection(): void {
    this.socket.io.engine?.close();
  }

  close(): void {
    this.disconnect();
    this.setState('closed');
    this.events.removeAll();
    this.socket.removeAllListeners();
  }

  /**
   * Emits a client event and resolves with its acknowledgement. Never rejects: not connected, a
   * disconnect before the answer, or no answer within `timeoutMs` resolve as `server/unavailable`
   * with `lost` set, since the outcome is unknown and the caller may retry as is.
   */
  request<E extends ClientEventName>(
    event: E,
    payload: ClientEventPayload<E>,
    timeoutMs = this.options.ackTimeoutMs,
  ): Promise<RequestResult<ClientEventAck<E>>> {
    return requestWithAck(this.socket, event, payload, {
      timeoutMs,
      clock: this.options.clock,
      pending: this.inFlight,
      inspect: (response) => {
        const ack = response as Partial<Ack<unknown>> | null;
        if (typeof ack !== 'object' || ack === null || !('ok' in ack))
          this.violation(event, 'acknowledgement is not { ok, ... }');
        else if (ack.ok) this.check(`${event} ack`, clientEventContract[event].ack, ack.data);
      },
    });
  }

  private bind(): void {
    this.socket.on('connect', () => {
      this.attempts = 0;
      this.cancelRetry();
      this.setState('connected');
      this.events.emit('connect', undefined);
    });
    this.socket.on('disconnect', (reason) => {
      this.settleInFlight();
      this.events.emit('disconnect', { reason });
      // Ours (disconnect()), or the client was closed meanwhile.
      if (reason === 'io client disconnect' || !this.wanted) return;
      // Anything else, the server's own hang-up included (a restart, or a session that ended:
      // then the handshake says so), is retried after the back-off.
      this.setState('reconnecting');
      this.scheduleRetry(0);
    });
    this.socket.on('connect_error', (error) => {
      const data = connectErrorData(error);
      const code = isErrorCode(data.code) ? data.code : null;
      this.events.emit('connectError', { code, message: error.message });
      if (!this.wanted) return;
      if (code !== null && FINAL_REFUSALS.has(code)) {
        this.setState('refused', code);
        return;
      }
      this.setState('reconnecting', code);
      this.scheduleRetry(typeof data.retryAfterMs === 'number' ? data.retryAfterMs : 0);
    });
  }

  private scheduleRetry(retryAfterMs: number): void {
    this.cancelRetry();
    const delayMs = retryDelay(this.attempts, retryAfterMs, this.options.reconnect);
    this.attempts += 1;
    this.retryTimer = this.options.clock.setTimeout(() => {
      this.retryTimer = null;
      // Not `socket.active`: after a transport error with Socket.IO's own reconnection off, the socket
      // stays subscribed (active) with nothing left to reconnect it.
      if (this.wanted && !this.socket.connected) this.socket.connect();
    }, delayMs);
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) this.options.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private settleInFlight(): void {
    for (const drop of [...this.inFlight]) drop();
  }

  private setState(state: ConnectionState, code: ErrorCode | null = null): void {
    if (this.current.state === state && (this.current.code ?? null) === code) return;
    this.current = code === null ? { state } : { state, code };
    this.events.emit('state', this.current);
  }

  private check(
    event: string,
    schema: { safeParse(value: unknown): { success: boolean; error?: unknown } },
    value: unknown,
  ): void {
    if (!this.options.validate) return;
    const result = schema.safeParse(value);
    if (!result.success) this.violation(event, String(result.error));
  }

  private violation(event: string, issues: string): void {
    this.options.logger.warn('the server sent something outside the contract', { event, issues });
    this.events.emit('contractViolation', { event, issues });
  }
}
