import { BehaviorSubject, distinctUntilChanged, Subject, type Observable } from 'rxjs';
import type { Socket } from 'node:net';
import { silentLogger, type Logger } from '../../observe/logger.js';
import type { LockEvent, OvsdbAnomalyKind, OvsdbClientApi, OvsdbClientOptions, RequestOptions, TransactionInfo } from '../contract.js';
import { opErrorFromResults } from '../errors/op-error-from-result.js';
import { OvsdbConnectError } from '../errors/ovsdb-connect-error.js';
import { OvsdbDisconnectedError } from '../errors/ovsdb-disconnected-error.js';
import { OvsdbProtocolError } from '../errors/ovsdb-protocol-error.js';
import { openSocket, parseEndpoint } from '../rpc/endpoint.js';
import { DEFAULT_WARN_WINDOW_MS, RpcConnection } from '../rpc/rpc-connection.js';
import { LogThrottle } from '../../observe/log-throttle.js';
import { parseDbSchema, type DbSchema } from '../schema/db-schema.js';
import { WRITE_OPS, type MonitorRequests, type Operation, type OperationResult } from '../wire/wire-types.js';
import { backoffDelay } from './backoff.js';
import { OvsdbMonitor } from './ovsdb-monitor.js';

export const DEFAULT_RECONNECT_MIN_MS = 100;
export const DEFAULT_RECONNECT_MAX_MS = 5_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_KEEPALIVE_MS = 5_000;
/** A connection that stayed up this long resets the reconnect backoff. */
export const DEFAULT_HEALTHY_AFTER_MS = 10_000;

type ResolvedOptions = Required<Omit<OvsdbClientOptions, 'onTransaction' | 'logger' | 'onAnomaly'>> & Pick<OvsdbClientOptions, 'onTransaction' | 'onAnomaly'>;

/**
 * An RFC 7047 client that stays connected: it reconnects with backoff,
 * resumes its monitors (monitor_cond_since with the last txn id, a rebuild
 * when the server cannot resume) and re-requests its locks. A request never
 * waits for a reconnect: while the connection is down it fails at once with
 * OvsdbDisconnectedError, and requests in flight when it drops fail the same way.
 */
export class OvsdbClient implements OvsdbClientApi {
  private conn: RpcConnection | undefined;
  private closed = false;
  private attempt = 0;
  private reconnectCount = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private healthyTimer: NodeJS.Timeout | undefined;
  private nextMonitorId = 1;
  private readonly monitors = new Map<string, OvsdbMonitor>();
  private readonly wantedLocks = new Set<string>();
  private readonly connectedSubject = new BehaviorSubject<boolean>(false);
  private readonly reconnectsSubject = new Subject<number>();
  private readonly lockSubject = new Subject<LockEvent>();
  private readonly logger: Logger;
  private readonly opts: ResolvedOptions;
  /** Shared by every connection and monitor of this client: warnings a server can trigger at will. */
  private readonly throttle: LogThrottle;

  readonly connected$: Observable<boolean> = this.connectedSubject.pipe(distinctUntilChanged());
  readonly reconnects$: Observable<number> = this.reconnectsSubject.asObservable();
  readonly lockEvents$: Observable<LockEvent> = this.lockSubject.asObservable();

  private constructor(
    readonly endpoint: string,
    opts: OvsdbClientOptions,
  ) {
    this.logger = (opts.logger ?? silentLogger()).child({ component: 'ovsdb' });
    this.opts = {
      reconnectMinMs: opts.reconnectMinMs ?? DEFAULT_RECONNECT_MIN_MS,
      reconnectMaxMs: opts.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS,
      requestTimeoutMs: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      maxMessageBytes: opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      connectTimeoutMs: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      keepaliveMs: opts.keepaliveMs ?? DEFAULT_KEEPALIVE_MS,
      healthyAfterMs: opts.healthyAfterMs ?? DEFAULT_HEALTHY_AFTER_MS,
      warnWindowMs: opts.warnWindowMs ?? DEFAULT_WARN_WINDOW_MS,
      onTransaction: opts.onTransaction,
      onAnomaly: opts.onAnomaly,
    };
    this.throttle = new LogThrottle(this.opts.warnWindowMs);
  }

  /** Connects (retrying with backoff for up to connectTimeoutMs); resolves once the first connection is up. */
  static async connect(endpoint: string, opts: OvsdbClientOptions = {}): Promise<OvsdbClient> {
    parseEndpoint(endpoint);
    const client = new OvsdbClient(endpoint, opts);
    await client.firstConnect();
    return client;
  }

  get isConnected(): boolean {
    return this.conn !== undefined;
  }

  async transact(db: string, ops: readonly Operation[], opts: RequestOptions = {}): Promise<OperationResult[]> {
    const kind: TransactionInfo['kind'] = ops.some((o) => WRITE_OPS.has(o.op)) ? 'write' : 'read';
    const t0 = performance.now();
    let ok = false;
    try {
      const reply = await this.request('transact', [db, ...ops], opts);
      if (!Array.isArray(reply)) throw new OvsdbProtocolError(this.endpoint, `transact reply on ${db} is not an array`);
      const results = reply as (OperationResult | null)[];
      const err = opErrorFromResults(db, ops, results);
      if (err) throw err;
      ok = true;
      return results as OperationResult[];
    } finally {
      this.opts.onTransaction?.({ kind, durationMs: performance.now() - t0, ok });
    }
  }

  async listDbs(): Promise<string[]> {
    const r = await this.request('list_dbs', []);
    if (!Array.isArray(r) || !r.every((x) => typeof x === 'string')) throw new OvsdbProtocolError(this.endpoint, 'list_dbs reply is not an array of names');
    return r as string[];
  }

  async getSchema(db: string): Promise<DbSchema> {
    return parseDbSchema(await this.request('get_schema', [db]));
  }

  async echo(): Promise<void> {
    await this.request('echo', ['nsvswitch']);
  }

  async monitor(db: string, tables: MonitorRequests): Promise<OvsdbMonitor> {
    const schema = await this.getSchema(db);
    const id = `nsvs-monitor-${this.nextMonitorId++}`;
    const m = new OvsdbMonitor(this.monitorHost(), id, db, schema, tables);
    const conn = this.requireConnection('monitor');
    this.monitors.set(id, m);
    try {
      await m.establish(conn, false);
    } catch (err) {
      this.monitors.delete(id);
      m.complete();
      throw err;
    }
    return m;
  }

  async lock(lock: string): Promise<boolean> {
    this.wantedLocks.add(lock);
    const r = await this.request('lock', [lock]);
    return typeof r === 'object' && r !== null && (r as { locked?: unknown }).locked === true;
  }

  async steal(lock: string): Promise<void> {
    this.wantedLocks.add(lock);
    await this.request('steal', [lock]);
  }

  async unlock(lock: string): Promise<void> {
    this.wantedLocks.delete(lock);
    await this.request('unlock', [lock]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.healthyTimer) clearTimeout(this.healthyTimer);
    this.conn?.close();
    this.conn = undefined;
    for (const m of this.monitors.values()) m.complete();
    this.monitors.clear();
    this.connectedSubject.next(false);
    this.connectedSubject.complete();
    this.reconnectsSubject.complete();
    this.lockSubject.complete();
  }

  /** Drops the current connection as if the server had gone away (the client reconnects); for fault tests and operators. */
  dropConnection(reason = 'dropped on request'): void {
    this.conn?.close(new Error(reason));
  }

  private request(method: string, params: readonly unknown[], opts: RequestOptions = {}): Promise<unknown> {
    let conn: RpcConnection;
    try {
      conn = this.requireConnection(method);
    } catch (err) {
      return Promise.reject(err);
    }
    return conn.request(method, params, opts);
  }

  private requireConnection(method: string): RpcConnection {
    if (this.conn) return this.conn;
    throw new OvsdbDisconnectedError(this.endpoint, method, this.closed ? 'client closed' : 'not connected (reconnecting)');
  }

  private monitorHost() {
    return {
      endpoint: this.endpoint,
      logger: this.logger,
      currentConnection: () => this.conn,
      forget: (id: string) => void this.monitors.delete(id),
      onAnomaly: (kind: OvsdbAnomalyKind) => this.opts.onAnomaly?.(kind),
      throttle: this.throttle,
    };
  }

  private async firstConnect(): Promise<void> {
    const deadline = Date.now() + this.opts.connectTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const conn = this.attach(await openSocket(this.endpoint));
        this.connectedSubject.next(true);
        this.resetBackoffWhenHealthy(conn);
        return;
      } catch (err) {
        const delay = backoffDelay(attempt, this.opts.reconnectMinMs, this.opts.reconnectMaxMs);
        if (Date.now() + delay > deadline) {
          throw new OvsdbConnectError(this.endpoint, `no connection within ${this.opts.connectTimeoutMs} ms: ${(err as Error).message}`, { cause: err });
        }
        this.logger.debug({ endpoint: this.endpoint, err, delay }, 'OVSDB connect failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private attach(socket: Socket): RpcConnection {
    const conn: RpcConnection = new RpcConnection(socket, {
      endpoint: this.endpoint,
      logger: this.logger,
      maxMessageBytes: this.opts.maxMessageBytes,
      requestTimeoutMs: this.opts.requestTimeoutMs,
      keepaliveMs: this.opts.keepaliveMs,
      onNotification: (method, params) => this.onNotification(method, params),
      onClose: (reason) => this.onConnectionClosed(conn, reason),
      onAnomaly: (kind) => this.opts.onAnomaly?.(kind),
      throttle: this.throttle,
    });
    this.conn = conn;
    return conn;
  }

  private onConnectionClosed(conn: RpcConnection, reason: Error | undefined): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    if (this.healthyTimer) clearTimeout(this.healthyTimer);
    this.healthyTimer = undefined;
    if (this.closed) return;
    this.connectedSubject.next(false);
    // A server that accepts and drops at once would otherwise log a line per attempt.
    const t = this.throttle.hit('connection-lost');
    if (t.log) this.logger.warn({ endpoint: this.endpoint, err: reason, alsoLost: t.suppressed, attempt: this.attempt }, 'OVSDB connection lost; reconnecting');
    else this.logger.debug({ endpoint: this.endpoint, err: reason, attempt: this.attempt }, 'OVSDB connection lost; reconnecting');
    this.scheduleReconnect();
  }

  /**
   * The backoff starts over only once a connection has stayed up for
   * healthyAfterMs: a server that accepts and closes at once (or fails every
   * resync) sees attempts spaced ever wider, up to reconnectMaxMs.
   */
  private resetBackoffWhenHealthy(conn: RpcConnection): void {
    if (this.healthyTimer) clearTimeout(this.healthyTimer);
    this.healthyTimer = setTimeout(() => {
      this.healthyTimer = undefined;
      if (this.conn === conn && !conn.isClosed) this.attempt = 0;
    }, this.opts.healthyAfterMs);
    this.healthyTimer.unref();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = backoffDelay(this.attempt++, this.opts.reconnectMinMs, this.opts.reconnectMaxMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.reconnect();
    }, delay);
  }

  // One reconnect attempt: socket, then resume every monitor and lock before announcing the connection.
  private async reconnect(): Promise<void> {
    let socket: Socket;
    try {
      socket = await openSocket(this.endpoint);
    } catch (err) {
      this.logger.debug({ endpoint: this.endpoint, err }, 'OVSDB reconnect failed; retrying');
      this.scheduleReconnect();
      return;
    }
    if (this.closed) {
      socket.destroy();
      return;
    }
    const conn = this.attach(socket);
    try {
      for (const m of [...this.monitors.values()]) await m.establish(conn, true);
      for (const lock of this.wantedLocks) {
        const r = await conn.request('lock', [lock]);
        if (typeof r === 'object' && r !== null && (r as { locked?: unknown }).locked === true) this.lockSubject.next({ kind: 'locked', lock });
      }
    } catch (err) {
      const t = this.throttle.hit('resync-failed');
      if (t.log) this.logger.warn({ endpoint: this.endpoint, err, alsoFailed: t.suppressed, attempt: this.attempt }, 'OVSDB resync after reconnect failed; reconnecting');
      conn.close(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (conn.isClosed || this.closed) return;
    this.resetBackoffWhenHealthy(conn);
    this.reconnectCount++;
    this.connectedSubject.next(true);
    this.logger.info({ endpoint: this.endpoint, reconnects: this.reconnectCount }, 'OVSDB reconnected and resynced');
    this.reconnectsSubject.next(this.reconnectCount);
  }

  private onNotification(method: string, params: readonly unknown[]): void {
    switch (method) {
      case 'update':
      case 'update2':
      case 'update3':
        this.monitors.get(String(params[0]))?.onNotification(method, params);
        return;
      case 'locked':
      case 'stolen':
        if (typeof params[0] === 'string') this.lockSubject.next({ kind: method, lock: params[0] });
        return;
      case 'monitor_canceled': {
        const m = this.monitors.get(String(params[0]));
        const conn = this.conn;
        if (m && conn) {
          this.logger.warn({ endpoint: this.endpoint, db: m.db }, 'OVSDB server canceled a monitor; re-monitoring');
          m.establish(conn, false).catch((err: unknown) => {
            this.logger.error({ endpoint: this.endpoint, db: m.db, err }, 'OVSDB re-monitor failed; reconnecting');
            conn.close(err instanceof Error ? err : new Error(String(err)));
          });
        }
        return;
      }
      default:
        this.logger.debug({ endpoint: this.endpoint, method }, 'OVSDB notification ignored');
    }
  }
}
