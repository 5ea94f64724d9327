import type { Socket } from 'node:net';
import type { Logger } from '../../observe/logger.js';
import { OvsdbCanceledError } from '../errors/ovsdb-canceled-error.js';
import { OvsdbDisconnectedError } from '../errors/ovsdb-disconnected-error.js';
import { OvsdbProtocolError } from '../errors/ovsdb-protocol-error.js';
import { OvsdbRequestTimeoutError } from '../errors/ovsdb-request-timeout-error.js';
import { OvsdbRpcError } from '../errors/ovsdb-rpc-error.js';
import { FrameScanner } from '../wire/frame-scanner.js';
import { parseFrame, stringifyJson } from '../wire/json-codec.js';
import type { OvsdbAnomalyKind } from '../contract.js';
import { LogThrottle } from '../../observe/log-throttle.js';

/** Default window of the warnings a server can repeat at will. */
export const DEFAULT_WARN_WINDOW_MS = 10_000;

export interface RpcConnectionOptions {
  readonly endpoint: string;
  readonly logger: Logger;
  readonly maxMessageBytes: number;
  readonly requestTimeoutMs: number;
  /** Idle time before an echo keepalive; 0 = off. */
  readonly keepaliveMs: number;
  /** Server notifications (update, update2, update3, locked, stolen, monitor_canceled). Called synchronously, in arrival order. */
  readonly onNotification: (method: string, params: readonly unknown[]) => void;
  /** Called once when the connection is gone, with the reason. */
  readonly onClose: (reason: Error | undefined) => void;
  /** Something a correct server never sends (counted by the caller). */
  readonly onAnomaly?: (kind: OvsdbAnomalyKind) => void;
  /** Rate limit for warnings the server can trigger at will; shared across a client's connections. Default: one per connection, DEFAULT_WARN_WINDOW_MS. */
  readonly throttle?: LogThrottle;
}

export interface CallOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

interface Pending {
  readonly method: string;
  readonly resolve: (result: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly cleanup: () => void;
}

type Message = Record<string, unknown>;

/**
 * One JSON-RPC 1.0 session over one socket (RFC 7047 §4): request ids and
 * the pending map, echo answered, notifications passed on in order. Any
 * protocol violation closes the socket; every pending request then fails
 * with OvsdbDisconnectedError, so no caller waits forever.
 */
export class RpcConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly scanner: FrameScanner;
  private closed = false;
  private lastReceived = Date.now();
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private readonly throttle: LogThrottle;

  constructor(
    private readonly socket: Socket,
    private readonly opts: RpcConnectionOptions,
  ) {
    this.scanner = new FrameScanner(opts.endpoint, opts.maxMessageBytes);
    this.throttle = opts.throttle ?? new LogThrottle(DEFAULT_WARN_WINDOW_MS);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.close(err));
    socket.on('close', () => this.close(new Error('closed by the server')));
    if (opts.keepaliveMs > 0) {
      this.keepaliveTimer = setInterval(() => this.keepalive(), Math.max(10, Math.floor(opts.keepaliveMs / 2)));
      this.keepaliveTimer.unref();
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Requests sent and not answered yet. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Sends a request; resolves with its result, rejects with OvsdbRpcError, a timeout, cancel or disconnect. */
  request(method: string, params: readonly unknown[], call: CallOptions = {}): Promise<unknown> {
    if (this.closed) return Promise.reject(new OvsdbDisconnectedError(this.opts.endpoint, method, 'not connected'));
    if (call.signal?.aborted) return Promise.reject(new OvsdbCanceledError(this.opts.endpoint, method, { cause: call.signal.reason }));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timeoutMs = call.timeoutMs ?? this.opts.requestTimeoutMs;
      const timer = setTimeout(() => {
        this.settle(id)?.reject(new OvsdbRequestTimeoutError(this.opts.endpoint, method, timeoutMs));
        this.notify('cancel', [id]);
      }, timeoutMs);
      const onAbort = (): void => {
        this.settle(id)?.reject(new OvsdbCanceledError(this.opts.endpoint, method, { cause: call.signal?.reason }));
        // RFC 7047 §4.1.4: cancel is a notification naming the request id.
        this.notify('cancel', [id]);
      };
      call.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        method,
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          call.signal?.removeEventListener('abort', onAbort);
        },
      });
      this.send({ method, params, id });
    });
  }

  /** Sends a notification (id null): cancel, for instance. */
  notify(method: string, params: readonly unknown[]): void {
    if (!this.closed) this.send({ method, params, id: null });
  }

  /** Closes the socket; every pending request fails with OvsdbDisconnectedError. */
  close(reason?: Error): void {
    if (this.closed) return;
    this.closed = true;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.socket.destroy();
    const why = reason ? `connection lost (${reason.message})` : 'connection closed';
    for (const id of [...this.pending.keys()]) {
      const p = this.settle(id);
      p?.reject(new OvsdbDisconnectedError(this.opts.endpoint, p.method, why, { cause: reason, sent: true }));
    }
    this.opts.onClose(reason);
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    p.cleanup();
    return p;
  }

  private send(msg: Message): void {
    this.socket.write(stringifyJson(msg));
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.lastReceived = Date.now();
    try {
      this.scanner.push(chunk, (frame) => {
        if (this.closed) return;
        let msg: unknown;
        try {
          msg = parseFrame(frame);
        } catch (err) {
          throw new OvsdbProtocolError(this.opts.endpoint, `invalid JSON: ${(err as Error).message}`, { cause: err });
        }
        this.dispatch(msg);
      });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      this.anomaly('bad-message');
      // A server that keeps sending junk gets a new connection (with growing backoff) each time, but not a log line each time.
      const t = this.throttle.hit('bad-message');
      if (t.log) this.opts.logger.error({ endpoint: this.opts.endpoint, err: e, alsoDropped: t.suppressed }, 'OVSDB connection dropped: bad message from server');
      this.close(e);
    }
  }

  private anomaly(kind: OvsdbAnomalyKind): void {
    try {
      this.opts.onAnomaly?.(kind);
    } catch {
      // A metric callback must not break the connection.
    }
  }

  private dispatch(msg: unknown): void {
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      throw new OvsdbProtocolError(this.opts.endpoint, 'message is not a JSON object');
    }
    const m = msg as Message;
    if (typeof m.method === 'string') {
      const params = Array.isArray(m.params) ? (m.params as unknown[]) : [];
      if (m.id === null || m.id === undefined) {
        this.opts.onNotification(m.method, params);
      } else if (m.method === 'echo') {
        this.send({ id: m.id, result: params, error: null });
      } else {
        this.send({ id: m.id, result: null, error: 'unknown method' });
      }
      return;
    }
    if (!('id' in m)) throw new OvsdbProtocolError(this.opts.endpoint, 'message has neither method nor id');
    const p = typeof m.id === 'number' ? this.settle(m.id) : undefined;
    if (!p) {
      if (typeof m.id === 'number' && Number.isInteger(m.id) && m.id >= 1 && m.id < this.nextId) {
        // Late reply to a request that timed out or was canceled.
        const t = this.throttle.hit('late-reply');
        if (t.log) this.opts.logger.debug({ endpoint: this.opts.endpoint, id: m.id, alsoIgnored: t.suppressed }, 'OVSDB reply for a settled request; ignored');
        return;
      }
      // A reply to nothing we sent: a server can send these at will, so one warning per window, with a count.
      this.anomaly('unknown-reply-id');
      const t = this.throttle.hit('unknown-reply-id');
      if (t.log) {
        const id = typeof m.id === 'string' ? m.id.slice(0, 64) : typeof m.id === 'number' ? m.id : typeof m.id;
        this.opts.logger.warn({ endpoint: this.opts.endpoint, id, alsoIgnored: t.suppressed }, 'OVSDB reply with an id we never sent; ignored');
      }
      return;
    }
    if (m.error !== null && m.error !== undefined) {
      const e = m.error;
      const error = typeof e === 'string' ? e : typeof e === 'object' && typeof (e as Message).error === 'string' ? ((e as Message).error as string) : JSON.stringify(e);
      const details = typeof e === 'object' && typeof (e as Message).details === 'string' ? ((e as Message).details as string) : undefined;
      p.reject(new OvsdbRpcError(this.opts.endpoint, p.method, error, details));
      return;
    }
    p.resolve(m.result);
  }

  // Idle connections send an echo; a dead peer then fails the echo and the connection is replaced.
  private keepalive(): void {
    if (this.closed || Date.now() - this.lastReceived < this.opts.keepaliveMs) return;
    this.lastReceived = Date.now();
    this.request('echo', ['keepalive']).catch((err: unknown) => {
      if (this.closed) return;
      this.opts.logger.warn({ endpoint: this.opts.endpoint, err }, 'OVSDB keepalive echo failed; reconnecting');
      this.close(err instanceof Error ? err : new Error(String(err)));
    });
  }
}
