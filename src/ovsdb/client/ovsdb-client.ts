import { BehaviorSubject, distinctUntilChanged, Subject, type Observable } from 'rxjs';
import type { Socket } from 'node:net';
import { silentLogger, type Logger } from '../../observe/logger.js';
import type { LockEvent, OvsdbAnomalyKind, OvsdbClientApi, OvsdbClientOptions, RequestOptions, TransactionInfo } from '../contract.js';
import { opErrorFromResults } from '../errors/op-error-from-result.js';
import { OvsdbCanceledError } from '../errors/ovsdb-canceled-error.js';
import { OvsdbConnectError } from '../errors/ovsdb-connect-error.js';
import { OvsdbDisconnectedError } from '../errors/ovsdb-disconnected-error.js';
import { OvsdbFrameTooLargeError } from '../errors/ovsdb-frame-too-large-error.js';
import { OvsdbInvalidLockNameError } from '../errors/ovsdb-invalid-lock-name-error.js';
import { OvsdbProtocolError } from '../errors/ovsdb-protocol-error.js';
import { OvsdbRpcError } from '../errors/ovsdb-rpc-error.js';
import { OvsdbSchemaError } from '../errors/ovsdb-schema-error.js';
import { openSocket, parseRemotes } from '../rpc/endpoint.js';
import { DEFAULT_WARN_WINDOW_MS, RpcConnection } from '../rpc/rpc-connection.js';
import { LogThrottle } from '../../observe/log-throttle.js';
import { parseDbSchema, type DbSchema } from '../schema/db-schema.js';
import { WRITE_OPS, type MonitorRequests, type Operation, type OperationResult } from '../wire/wire-types.js';
import { backoffDelay } from './backoff.js';
import { OvsdbMonitor } from './ovsdb-monitor.js';
import { memberProblem, parseDatabaseStatus, SERVER_COLUMNS, SERVER_DB, SERVER_MONITOR_ID, type DatabaseStatus } from './server-status.js';

export const DEFAULT_RECONNECT_MIN_MS = 100;
export const DEFAULT_RECONNECT_MAX_MS = 5_000;
/** While members answer but none is usable (an election), cycles through them are at most this far apart. */
export const DEFAULT_ELECTION_POLL_MAX_MS = 100;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/**
 * A safety bound, not a size a database is expected to reach: 50,000 vswitch
 * rows are about 25 MiB on the wire. V8 strings end at about 512 MiB.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_KEEPALIVE_MS = 5_000;
/** A connection that stayed up this long resets the reconnect backoff. */
export const DEFAULT_HEALTHY_AFTER_MS = 10_000;
/** Requests made while no member is usable wait this long for one (then fail, not sent). */
export const DEFAULT_HOLD_MS = 5_000;
export const DEFAULT_MAX_HELD_REQUESTS = 1_000;
/** How long requests in flight on a member that became unusable may take to finish before it is left. */
const DRAIN_MS = 2_000;

/** RFC 7047 §4.1.8: a lock name is an <id>. */
const LOCK_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type ResolvedOptions = Required<Omit<OvsdbClientOptions, 'onTransaction' | 'logger' | 'onAnomaly' | 'tls' | 'databases'>> &
  Pick<OvsdbClientOptions, 'onTransaction' | 'onAnomaly' | 'tls' | 'databases'>;

interface Held {
  /** undefined: only wait for a ready connection (send nothing). */
  readonly method: string | undefined;
  readonly params: readonly unknown[];
  readonly opts: RequestOptions;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly cleanup: () => void;
}

/** A member that answered but must not be used (no quorum, a follower, behind). */
class UnusableMemberError extends Error {}

/**
 * An RFC 7047 client that stays connected to one usable member of a list of
 * remotes. Each connection is checked against `_Server` (quorum, leader,
 * index) before it is used and watched while it is; when it is lost or
 * becomes unusable the client moves on to the next remote with backoff,
 * resumes its monitors (monitor_cond_since with the last txn id, a rebuild
 * when the server cannot resume) and re-requests its locks. Requests made
 * meanwhile are held (bounded in number and time) and sent only once the
 * resync has finished; those that cannot be sent fail with
 * OvsdbDisconnectedError (sent=false), and requests cut in flight fail with
 * sent=true (outcome unknown).
 */
export class OvsdbClient implements OvsdbClientApi {
  /** The connection in use (ready or still resyncing). */
  private conn: RpcConnection | undefined;
  /** True once `conn` is checked and resynced: requests go out. */
  private ready = false;
  /** `conn` became unusable: its requests in flight finish, then it is closed. */
  private draining = false;
  private closed = false;
  private attempt = 0;
  private reconnectCount = 0;
  private loop: Promise<void> | undefined;
  private healthyTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private nextMonitorId = 1;
  private readonly monitors = new Map<string, OvsdbMonitor>();
  private readonly wantedLocks = new Set<string>();
  private readonly held: Held[] = [];
  /** Requests blocked by a resync of the live connection (monitor_canceled after a schema change). */
  private resyncing = 0;
  private readonly remotes: string[];
  private nextRemote = 0;
  private current: string | undefined;
  private readonly seenIndex = new Map<string, number>();
  private serverRows = new Map<string, DatabaseStatus>();
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
  /** The remote list as given (comma-separated). */
  readonly endpoint: string;

  private constructor(remotes: string[], opts: OvsdbClientOptions) {
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
      remoteOrder: opts.remoteOrder ?? 'shuffle',
      leaderOnly: opts.leaderOnly ?? true,
      holdMs: opts.holdMs ?? DEFAULT_HOLD_MS,
      maxHeldRequests: opts.maxHeldRequests ?? DEFAULT_MAX_HELD_REQUESTS,
      electionPollMaxMs: opts.electionPollMaxMs ?? DEFAULT_ELECTION_POLL_MAX_MS,
      databases: opts.databases,
      tls: opts.tls,
      onTransaction: opts.onTransaction,
      onAnomaly: opts.onAnomaly,
    };
    this.remotes = remotes;
    if (this.opts.remoteOrder === 'shuffle') {
      for (let i = remotes.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [remotes[i], remotes[j]] = [remotes[j]!, remotes[i]!];
      }
    }
    this.endpoint = remotes.join(',');
    this.throttle = new LogThrottle(this.opts.warnWindowMs);
  }

  /**
   * Connects to the first usable member of `remotes` (one remote, a list, or
   * a comma-separated string), retrying with backoff for up to
   * connectTimeoutMs; resolves once that connection is up.
   */
  static async connect(remotes: string | readonly string[], opts: OvsdbClientOptions = {}): Promise<OvsdbClient> {
    const client = new OvsdbClient(parseRemotes(remotes), opts);
    await client.firstConnect();
    return client;
  }

  get isConnected(): boolean {
    return this.ready;
  }

  /** The remote of the connection in use, if any. */
  get currentRemote(): string | undefined {
    return this.ready ? this.current : undefined;
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

  /** The server's id (a uuid; clustered members share none, each has its own). */
  async getServerId(): Promise<string> {
    const r = await this.request('get_server_id', []);
    if (typeof r !== 'string') throw new OvsdbProtocolError(this.endpoint, 'get_server_id reply is not a string');
    return r;
  }

  async echo(): Promise<void> {
    await this.request('echo', ['nsvswitch']);
  }

  async monitor(db: string, tables: MonitorRequests): Promise<OvsdbMonitor> {
    const schema = await this.getSchema(db);
    const conn = await this.whenReady('monitor');
    const id = `nsvs-monitor-${this.nextMonitorId++}`;
    const m = new OvsdbMonitor(this.monitorHost(), id, db, schema, tables);
    this.monitors.set(id, m);
    try {
      await m.establish(conn, false);
    } catch (err) {
      this.monitors.delete(id);
      m.complete();
      throw tooLarge(err) ? this.monitorTooLarge(m, err) : err;
    }
    return m;
  }

  async lock(lock: string): Promise<boolean> {
    checkLockName(lock);
    this.wantedLocks.add(lock);
    const r = await this.request('lock', [lock]);
    return typeof r === 'object' && r !== null && (r as { locked?: unknown }).locked === true;
  }

  async steal(lock: string): Promise<void> {
    checkLockName(lock);
    this.wantedLocks.add(lock);
    await this.request('steal', [lock]);
  }

  async unlock(lock: string): Promise<void> {
    checkLockName(lock);
    this.wantedLocks.delete(lock);
    await this.request('unlock', [lock]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ready = false;
    if (this.healthyTimer) clearTimeout(this.healthyTimer);
    this.wake?.();
    this.conn?.close();
    this.conn = undefined;
    for (const h of this.held.splice(0)) {
      h.cleanup();
      h.reject(new OvsdbDisconnectedError(this.endpoint, h.method ?? 'request', 'client closed'));
    }
    for (const m of this.monitors.values()) m.complete();
    this.monitors.clear();
    this.connectedSubject.next(false);
    this.connectedSubject.complete();
    this.reconnectsSubject.complete();
    this.lockSubject.complete();
    await this.loop?.catch(() => undefined);
  }

  /** Drops the current connection as if the server had gone away (the client reconnects); for fault tests and operators. */
  dropConnection(reason = 'dropped on request'): void {
    this.conn?.close(new Error(reason));
  }

  private request(method: string, params: readonly unknown[], opts: RequestOptions = {}): Promise<unknown> {
    if (this.ready && this.resyncing === 0 && this.conn) return this.conn.request(method, params, opts);
    return this.hold(method, params, opts);
  }

  /** A request made while no member is usable (or a resync runs) waits for one, bounded in number and time. */
  private hold(method: string | undefined, params: readonly unknown[], opts: RequestOptions, what = method ?? 'request'): Promise<unknown> {
    if (this.closed) return Promise.reject(new OvsdbDisconnectedError(this.endpoint, what, 'client closed'));
    if (opts.signal?.aborted) return Promise.reject(new OvsdbCanceledError(this.endpoint, what, { cause: opts.signal.reason }));
    if (this.opts.holdMs <= 0) return Promise.reject(new OvsdbDisconnectedError(this.endpoint, what, 'not connected (reconnecting)'));
    if (this.held.length >= this.opts.maxHeldRequests) {
      return Promise.reject(new OvsdbDisconnectedError(this.endpoint, what, `not connected (reconnecting) and ${this.held.length} requests already waiting`));
    }
    return new Promise((resolve, reject) => {
      const drop = (err: Error): void => {
        const i = this.held.indexOf(h);
        if (i < 0) return;
        this.held.splice(i, 1);
        h.cleanup();
        reject(err);
      };
      const timer = setTimeout(() => drop(new OvsdbDisconnectedError(this.endpoint, what, `no usable OVSDB member within ${this.opts.holdMs} ms (reconnecting)`)), this.opts.holdMs);
      const onAbort = (): void => drop(new OvsdbCanceledError(this.endpoint, what, { cause: opts.signal?.reason }));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const h: Held = {
        method, params, opts, resolve, reject,
        cleanup: () => {
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
        },
      };
      this.held.push(h);
    });
  }

  private releaseHeld(): void {
    while (this.held.length > 0 && this.ready && this.resyncing === 0 && this.conn) {
      const h = this.held.shift()!;
      h.cleanup();
      if (h.method === undefined) h.resolve(undefined);
      else this.conn.request(h.method, h.params, h.opts).then(h.resolve, h.reject);
    }
  }

  /** The ready connection, waiting (as a held request would) when there is none. */
  private async whenReady(method: string): Promise<RpcConnection> {
    if (!(this.ready && this.resyncing === 0 && this.conn)) await this.hold(undefined, [], {}, method);
    if (!this.conn || !this.ready) throw new OvsdbDisconnectedError(this.endpoint, method, this.closed ? 'client closed' : 'not connected (reconnecting)');
    return this.conn;
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
    let lastErr: unknown;
    for (;;) {
      try {
        await this.tryNextRemote(false);
        return;
      } catch (err) {
        lastErr = err;
      }
      const delay = this.cycleDelay(lastErr);
      if (Date.now() + delay > deadline) {
        await this.close();
        const why = lastErr instanceof Error ? lastErr.message : String(lastErr);
        throw new OvsdbConnectError(this.endpoint, `no usable member within ${this.opts.connectTimeoutMs} ms: ${why}`, { cause: lastErr });
      }
      this.logger.debug({ endpoint: this.endpoint, err: lastErr, delay }, 'OVSDB connect failed; retrying');
      await this.sleep(delay);
    }
  }

  /** Delay before the next attempt: none inside a cycle through the remotes, backoff between cycles. */
  private cycleDelay(err: unknown): number {
    if (this.nextRemote % this.remotes.length !== 0) return 0;
    const max = err instanceof UnusableMemberError ? Math.min(this.opts.reconnectMaxMs, this.opts.electionPollMaxMs) : this.opts.reconnectMaxMs;
    return backoffDelay(this.attempt++, this.opts.reconnectMinMs, max);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  // Runs until a usable member is connected and resynced (or the client closes).
  private async reconnectLoop(): Promise<void> {
    let lastErr: unknown;
    // With several members, another one is tried at once; a lone server gets the backoff.
    let delay = this.remotes.length > 1 ? 0 : backoffDelay(this.attempt++, this.opts.reconnectMinMs, this.opts.reconnectMaxMs);
    for (;;) {
      if (delay > 0) await this.sleep(delay);
      if (this.closed) return;
      try {
        await this.tryNextRemote(true);
        return;
      } catch (err) {
        lastErr = err;
        if (this.closed) return;
        this.logger.debug({ endpoint: this.endpoint, err }, 'OVSDB reconnect attempt failed');
      }
      delay = this.cycleDelay(lastErr);
    }
  }

  /** One attempt on the next remote: socket, set_db_change_aware, member check, resync; throws if any step fails. */
  private async tryNextRemote(isReconnect: boolean): Promise<void> {
    const remote = this.remotes[this.nextRemote % this.remotes.length]!;
    this.nextRemote = (this.nextRemote + 1) % this.remotes.length;
    const socket = await openSocket(remote, this.opts.tls, this.opts.connectTimeoutMs);
    if (this.closed) {
      socket.destroy();
      return;
    }
    const conn = this.attach(socket, remote);
    try {
      await this.prepare(conn, remote, isReconnect);
    } catch (err) {
      conn.close(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    if (conn.isClosed) throw new OvsdbDisconnectedError(remote, 'resync', 'connection lost during resync');
    // The member may have lost quorum or leadership while we resynced.
    const problem = memberProblem([...this.serverRows.values()], { databases: this.opts.databases, leaderOnly: this.opts.leaderOnly }, this.seenIndex);
    if (problem) {
      conn.close(new UnusableMemberError(problem));
      throw new UnusableMemberError(`${remote}: ${problem}`);
    }
    if (this.closed) return;
    this.ready = true;
    this.current = remote;
    // When this connection is lost, the next member is tried first.
    this.nextRemote = (this.remotes.indexOf(remote) + 1) % this.remotes.length;
    this.resetBackoffWhenHealthy(conn);
    this.connectedSubject.next(true);
    if (isReconnect) {
      this.reconnectCount++;
      this.logger.info({ endpoint: remote, reconnects: this.reconnectCount }, 'OVSDB reconnected and resynced');
      this.reconnectsSubject.next(this.reconnectCount);
    }
    this.releaseHeld();
  }

  private async prepare(conn: RpcConnection, remote: string, isReconnect: boolean): Promise<void> {
    // Schema changes (ovsdb-client convert) then cancel our monitors (monitor_canceled) instead of closing the connection.
    await conn.request('set_db_change_aware', [true]).catch((err: unknown) => {
      if (!(err instanceof OvsdbRpcError)) throw err;
    });
    await this.checkMember(conn, remote);
    for (const m of [...this.monitors.values()]) {
      if (m.ended) continue;
      try {
        await this.refreshSchema(conn, m);
        await m.establish(conn, true);
      } catch (err) {
        if (tooLarge(err)) {
          // No loop: the monitor ends with one clear error; the others carry on over a new connection.
          m.fail(this.monitorTooLarge(m, err));
          throw err;
        }
        if (err instanceof OvsdbSchemaError) {
          m.fail(err);
          continue;
        }
        throw err;
      }
    }
    for (const lock of [...this.wantedLocks]) {
      try {
        const r = await conn.request('lock', [lock]);
        if (typeof r === 'object' && r !== null && (r as { locked?: unknown }).locked === true) this.lockSubject.next({ kind: 'locked', lock });
      } catch (err) {
        if (!(err instanceof OvsdbRpcError)) throw err;
        // A lock the server refuses is dropped, never retried on every resync.
        this.wantedLocks.delete(lock);
        this.logger.error({ endpoint: remote, lock, err }, 'OVSDB server refused a lock on resync; no longer requested');
      }
    }
    if (isReconnect) this.logger.debug({ endpoint: remote }, 'OVSDB resync done');
  }

  /** Monitors `_Server` (v1: whole rows) and refuses a member without quorum, a follower in leader-only mode, or one behind. */
  private async checkMember(conn: RpcConnection, remote: string): Promise<void> {
    let reply: unknown;
    try {
      reply = await conn.request('monitor', [SERVER_DB, SERVER_MONITOR_ID, { Database: { columns: SERVER_COLUMNS } }]);
    } catch (err) {
      if (err instanceof OvsdbRpcError) return; // no _Server (very old server): a single standalone database
      throw err;
    }
    this.serverRows = new Map();
    this.applyServerUpdate(reply);
    const problem = memberProblem([...this.serverRows.values()], { databases: this.opts.databases, leaderOnly: this.opts.leaderOnly }, this.seenIndex);
    if (problem) {
      this.logger.info({ endpoint: remote, problem }, 'OVSDB member not usable; trying the next remote');
      throw new UnusableMemberError(`${remote}: ${problem}`);
    }
  }

  private applyServerUpdate(update: unknown): void {
    const t = typeof update === 'object' && update !== null ? (update as Record<string, unknown>).Database : undefined;
    if (typeof t !== 'object' || t === null) return;
    for (const [uuid, ru] of Object.entries(t as Record<string, unknown>)) {
      const row = typeof ru === 'object' && ru !== null ? parseDatabaseStatus((ru as Record<string, unknown>).new) : undefined;
      if (row) this.serverRows.set(uuid, row);
      else this.serverRows.delete(uuid);
    }
  }

  /** A live member that loses quorum or leadership, or falls behind, is left. */
  private onServerUpdate(conn: RpcConnection, params: readonly unknown[]): void {
    if (conn !== this.conn) return;
    this.applyServerUpdate(params[1]);
    const problem = memberProblem([...this.serverRows.values()], { databases: this.opts.databases, leaderOnly: this.opts.leaderOnly }, this.seenIndex);
    if (problem && this.ready) void this.leave(conn, problem);
  }

  /**
   * Leaves a member that became unusable: new requests are held at once, the
   * ones in flight get their replies (up to DRAIN_MS), then the connection is
   * closed and another member is looked for.
   */
  private async leave(conn: RpcConnection, problem: string): Promise<void> {
    this.logger.warn({ endpoint: this.current, problem }, 'OVSDB member became unusable; moving to another');
    this.ready = false;
    this.draining = true;
    this.connectedSubject.next(false);
    const deadline = Date.now() + DRAIN_MS;
    while (conn.pendingCount > 0 && !conn.isClosed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    conn.close(new UnusableMemberError(problem));
  }

  /** Compares the server's schema with the monitor's; a converted database gets the new schema and a rebuild. */
  private async refreshSchema(conn: RpcConnection, m: OvsdbMonitor): Promise<void> {
    let raw: unknown;
    try {
      raw = await conn.request('get_schema', [m.db]);
    } catch (err) {
      if (err instanceof OvsdbRpcError) throw new OvsdbSchemaError(`database ${m.db} of monitor ${m.id} is gone from the server (${err.message})`, { cause: err });
      throw err;
    }
    const schema = parseDbSchema(raw);
    if (schema.version === m.schema.version && schema.cksum === m.schema.cksum && sameTables(schema, m.schema)) return;
    this.logger.info({ endpoint: this.endpoint, db: m.db, from: m.schema.version, to: schema.version }, 'OVSDB schema changed; rebuilding the monitor under the new schema');
    m.setSchema(schema);
  }

  private monitorTooLarge(m: OvsdbMonitor, err: unknown): OvsdbFrameTooLargeError {
    const e = new OvsdbFrameTooLargeError(
      this.opts.maxMessageBytes,
      `the initial reply of monitor ${m.id} on ${m.db} exceeds maxMessageBytes (${this.opts.maxMessageBytes} bytes); the monitor ends (raise maxMessageBytes or monitor fewer rows)`,
      { cause: err },
    );
    this.logger.error({ endpoint: this.endpoint, db: m.db, monitor: m.id, maxMessageBytes: this.opts.maxMessageBytes }, e.message);
    return e;
  }

  private attach(socket: Socket, remote: string): RpcConnection {
    const conn: RpcConnection = new RpcConnection(socket, {
      endpoint: remote,
      logger: this.logger,
      maxMessageBytes: this.opts.maxMessageBytes,
      requestTimeoutMs: this.opts.requestTimeoutMs,
      keepaliveMs: this.opts.keepaliveMs,
      onNotification: (method, params) => this.onNotification(conn, method, params),
      onClose: (reason) => this.onConnectionClosed(conn, reason),
      onAnomaly: (kind) => this.opts.onAnomaly?.(kind),
      throttle: this.throttle,
    });
    this.conn = conn;
    this.ready = false;
    this.draining = false;
    return conn;
  }

  private onConnectionClosed(conn: RpcConnection, reason: Error | undefined): void {
    if (this.conn !== conn) return;
    const wasReady = this.ready || this.draining;
    this.draining = false;
    this.conn = undefined;
    this.ready = false;
    if (this.healthyTimer) clearTimeout(this.healthyTimer);
    this.healthyTimer = undefined;
    if (this.closed || !wasReady) return; // an attempt in progress: its caller moves on
    this.connectedSubject.next(false);
    // A server that accepts and drops at once would otherwise log a line per attempt.
    const t = this.throttle.hit('connection-lost');
    if (t.log) this.logger.warn({ endpoint: this.current, err: reason, alsoLost: t.suppressed, attempt: this.attempt }, 'OVSDB connection lost; reconnecting');
    else this.logger.debug({ endpoint: this.current, err: reason, attempt: this.attempt }, 'OVSDB connection lost; reconnecting');
    this.startReconnect();
  }

  private startReconnect(): void {
    if (this.closed || this.loop) return;
    this.loop = this.reconnectLoop().finally(() => {
      this.loop = undefined;
    });
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

  private onNotification(conn: RpcConnection, method: string, params: readonly unknown[]): void {
    if (conn !== this.conn) return;
    switch (method) {
      case 'update':
        if (params[0] === SERVER_MONITOR_ID) {
          this.onServerUpdate(conn, params);
          return;
        }
        this.monitors.get(String(params[0]))?.onNotification(method, params);
        return;
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
        if (m) void this.remonitor(conn, m);
        return;
      }
      default:
        this.logger.debug({ endpoint: this.current, method }, 'OVSDB notification ignored');
    }
  }

  /** The server canceled a monitor (its database was converted or removed): new schema, new monitor; requests wait meanwhile. */
  private async remonitor(conn: RpcConnection, m: OvsdbMonitor): Promise<void> {
    this.logger.warn({ endpoint: this.current, db: m.db, monitor: m.id }, 'OVSDB server canceled a monitor (database changed); re-monitoring');
    this.resyncing++;
    try {
      await this.refreshSchema(conn, m);
      await m.establish(conn, false);
    } catch (err) {
      if (err instanceof OvsdbSchemaError) {
        this.logger.error({ endpoint: this.current, db: m.db, monitor: m.id, err }, 'OVSDB monitor ended: its tables are gone');
        m.fail(err);
      } else if (tooLarge(err)) {
        m.fail(this.monitorTooLarge(m, err));
      } else {
        this.logger.error({ endpoint: this.current, db: m.db, err }, 'OVSDB re-monitor failed; reconnecting');
        conn.close(err instanceof Error ? err : new Error(String(err)));
      }
    } finally {
      this.resyncing--;
      this.releaseHeld();
    }
  }
}

function tooLarge(err: unknown): boolean {
  return err instanceof OvsdbFrameTooLargeError || (err instanceof Error && err.cause instanceof OvsdbFrameTooLargeError);
}

function sameTables(a: DbSchema, b: DbSchema): boolean {
  if (a.tables.size !== b.tables.size) return false;
  for (const [name, t] of a.tables) {
    const u = b.tables.get(name);
    if (!u || u.columns.size !== t.columns.size) return false;
    for (const c of t.columns.keys()) if (!u.columns.has(c)) return false;
  }
  return true;
}

function checkLockName(lock: string): void {
  if (!LOCK_NAME.test(lock)) throw new OvsdbInvalidLockNameError(lock);
}
