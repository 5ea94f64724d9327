import type { Observable } from 'rxjs';
import type { Logger } from '../observe/logger.js';
import type { DbRows } from './data/row-types.js';
import type { DbSchema } from './schema/db-schema.js';
import type { TlsMaterial } from './rpc/endpoint.js';
import type { MonitorCondition, MonitorRequests, Operation, OperationResult } from './wire/wire-types.js';
import type { VswitchSnapshot } from './vswitch/vswitch-rows.js';

/**
 * The OVSDB client's contract: what the rest of nsvswitch codes against.
 * OvsdbClient, OvsdbMonitor and VswitchReplica implement these.
 */

export interface TransactionInfo {
  /** 'write' if any op is insert/update/mutate/delete. */
  readonly kind: 'read' | 'write';
  readonly durationMs: number;
  readonly ok: boolean;
}

/**
 * Something a server sent that a correct server never would, handled without
 * dropping anything that works: `bad-message` (unparseable, too large or too
 * deeply nested: the connection is replaced), `bad-row` (a row or update that
 * does not fit the schema: skipped), `bad-txn-id` (a last-txn-id that is not a
 * uuid: the next resync is a full one), `unknown-reply-id` (a reply to a request
 * never sent: ignored).
 */
export type OvsdbAnomalyKind = 'bad-message' | 'bad-row' | 'bad-txn-id' | 'unknown-reply-id';

export interface OvsdbClientOptions {
  readonly logger?: Logger;
  /** First reconnect delay; doubles per failed attempt (with jitter) up to reconnectMaxMs. Default 100. */
  readonly reconnectMinMs?: number;
  /** Default 5000. */
  readonly reconnectMaxMs?: number;
  /** A request without a reply after this long fails with OvsdbRequestTimeoutError. Default 30000. */
  readonly requestTimeoutMs?: number;
  /**
   * A safety bound on one server message: a larger one drops the connection; a
   * monitor whose initial reply it was ends with OvsdbFrameTooLargeError (no
   * reconnect loop). Default 256 MiB, far above any normal database.
   */
  readonly maxMessageBytes?: number;
  /** How long connect() keeps retrying the first connection. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Idle time after which the client sends an echo; no reply within requestTimeoutMs drops the connection. Default 5000; 0 disables. */
  readonly keepaliveMs?: number;
  /** Called after every transact. */
  readonly onTransaction?: (info: TransactionInfo) => void;
  /** A connection must stay up this long before the reconnect backoff starts again from reconnectMinMs. Default 10000. */
  readonly healthyAfterMs?: number;
  /** Warnings a server can repeat at will (unknown reply ids, bad rows, lost connections) are logged at most once per this window, with a count. Default 10000. */
  readonly warnWindowMs?: number;
  /** Called for each anomaly in what the server sent (for a metric); never throws into the client. */
  readonly onAnomaly?: (kind: OvsdbAnomalyKind) => void;
  /** Order in which remotes are tried: 'shuffle' (once, at start; spreads clients over members) or 'ordered'. Default 'shuffle'. */
  readonly remoteOrder?: 'shuffle' | 'ordered';
  /** Only the Raft leader of a clustered database is used (writers; the default). false: any member with quorum (follower reads). */
  readonly leaderOnly?: boolean;
  /** Databases whose `_Server` row decides whether a member is usable. Default: every clustered database of the member. */
  readonly databases?: readonly string[];
  /** Requests made while no member is usable wait this long for one, then fail (not sent). 0: fail at once. Default 5000. */
  readonly holdMs?: number;
  /** At most this many requests wait; more fail at once (not sent). Default 1000. */
  readonly maxHeldRequests?: number;
  /** While members answer but none is usable (an election), cycles through the remotes are at most this far apart. Default 100. */
  readonly electionPollMaxMs?: number;
  /** Key, certificate and CA for `ssl:` remotes. */
  readonly tls?: TlsMaterial;
}

export interface RequestOptions {
  /** Aborting sends a JSON-RPC cancel for the request and rejects with OvsdbCanceledError. */
  readonly signal?: AbortSignal;
  /** Overrides requestTimeoutMs for this request. */
  readonly timeoutMs?: number;
}

/** What happened to the monitor's rows in one step. */
export interface MonitorUpdate {
  /** True when the rows were rebuilt from scratch (first snapshot, or resync after a reconnect the server could not resume). */
  readonly reset: boolean;
  /** _uuids inserted, modified or deleted, per table (on reset: every old and new row). */
  readonly changed: ReadonlyMap<string, ReadonlySet<string>>;
  /** All rows after the step (immutable; unchanged tables and rows keep their identity). */
  readonly rows: DbRows;
}

export type MonitorMethod = 'monitor_cond_since' | 'monitor_cond' | 'monitor';

/** A live monitor: a schema-decoded cache of some tables, kept up to date across reconnects. */
export interface OvsdbMonitorApi {
  readonly db: string;
  readonly schema: DbSchema;
  /** Method in use on the current connection (newest the server supports). */
  readonly method: MonitorMethod;
  /** Last transaction id seen (monitor_cond_since only). */
  readonly lastTxnId: string | undefined;
  /** Current rows, synchronously. */
  rows(): DbRows;
  /**
   * One event per applied update, including the resync after each reconnect. Hot: subscribe before you need it, or read rows().
   * Errors (and ends) when the monitor cannot continue: its tables left the schema (OvsdbSchemaError), or its initial reply
   * outgrew maxMessageBytes (OvsdbFrameTooLargeError).
   */
  readonly updates$: Observable<MonitorUpdate>;
  /** Sends monitor_cancel (if connected) and completes updates$. */
  cancel(): Promise<void>;
  /** monitor_cond_change: new where-conditions for some tables, without a full download. */
  changeConditions(where: Readonly<Record<string, readonly MonitorCondition[] | undefined>>): Promise<void>;
}

export interface LockEvent {
  readonly kind: 'locked' | 'stolen';
  readonly lock: string;
}

export interface OvsdbClientApi {
  readonly endpoint: string;
  /** Current connection state, replayed to new subscribers. */
  readonly connected$: Observable<boolean>;
  /** The reconnect count after each successful REconnect (1, 2, ...). */
  readonly reconnects$: Observable<number>;
  /** "locked" / "stolen" notifications from the server. */
  readonly lockEvents$: Observable<LockEvent>;
  /** Runs ops as one transaction; throws an OvsdbOpError (with .kind, .opIndex, .details) when an op fails. */
  transact(db: string, ops: readonly Operation[], opts?: RequestOptions): Promise<OperationResult[]>;
  listDbs(): Promise<string[]>;
  getSchema(db: string): Promise<DbSchema>;
  echo(): Promise<void>;
  /** Starts a monitor (monitor_cond_since, falling back to monitor_cond, then monitor); resolves after the initial rows. */
  monitor(db: string, tables: MonitorRequests): Promise<OvsdbMonitorApi>;
  /** Requests a lock; true if granted now, false if queued (a 'locked' event follows when granted). */
  lock(lock: string): Promise<boolean>;
  /** Takes a lock from its owner (who gets 'stolen'). */
  steal(lock: string): Promise<void>;
  unlock(lock: string): Promise<void>;
  /** The server's id (get_server_id). */
  getServerId(): Promise<string>;
  /** Closes the connection for good; pending requests fail with OvsdbDisconnectedError. */
  close(): Promise<void>;
}

export interface VswitchReplicaApi {
  /** Synchronous, immutable view (structural sharing between snapshots). */
  snapshot(): VswitchSnapshot;
  /** A snapshot after each applied update (including the resync after a reconnect). */
  readonly changes$: Observable<VswitchSnapshot>;
  /** Resolves when Open_vSwitch.cur_cfg >= cfg (ovs-vswitchd applied it); rejects with OvsdbCurCfgTimeoutError after timeoutMs. */
  waitForCurCfg(cfg: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export type { OperationResult };
