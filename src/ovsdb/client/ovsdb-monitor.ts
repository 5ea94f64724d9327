import { Subject, type Observable } from 'rxjs';
import type { Logger } from '../../observe/logger.js';
import type { MonitorMethod, MonitorUpdate, OvsdbAnomalyKind, OvsdbMonitorApi } from '../contract.js';
import { applyRowDiff, decodeRow } from '../data/datum-codec.js';
import type { DbRows, Row } from '../data/row-types.js';
import { PersistentMap } from '../data/persistent-map.js';
import { OvsdbDatumError } from '../errors/ovsdb-datum-error.js';
import { OvsdbProtocolError } from '../errors/ovsdb-protocol-error.js';
import { OvsdbRpcError } from '../errors/ovsdb-rpc-error.js';
import { OvsdbSchemaError } from '../errors/ovsdb-schema-error.js';
import { OvsdbDisconnectedError } from '../errors/ovsdb-disconnected-error.js';
import { tableSchema, type DbSchema, type TableSchema } from '../schema/db-schema.js';
import type { RpcConnection } from '../rpc/rpc-connection.js';
import { LogThrottle } from '../../observe/log-throttle.js';
import { isUuid } from '../wire/uuid.js';
import { ZERO_UUID, type MonitorCondition, type MonitorRequests, type RowUpdate1, type RowUpdate2, type TableUpdates, type WireRow } from '../wire/wire-types.js';

/** The client side a monitor needs: cancel sends monitor_cancel, forget unregisters it. */
export interface MonitorHost {
  readonly endpoint: string;
  readonly logger: Logger;
  currentConnection(): RpcConnection | undefined;
  forget(monitorId: string): void;
  /** Counts what a correct server never sends (a metric); optional. */
  onAnomaly?(kind: OvsdbAnomalyKind): void;
  /** Rate limit for warnings a server can repeat at will; default one per monitor, 10 s. */
  readonly throttle?: LogThrottle;
}

const METHODS: readonly MonitorMethod[] = ['monitor_cond_since', 'monitor_cond', 'monitor'];

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * One monitor and its cache of decoded rows. On every (re)connection the
 * client calls establish(): monitor_cond_since resumes from the last txn id
 * (found=true: the reply is a delta; found=false: rebuild), falling back to
 * monitor_cond, then monitor, on servers without them. Published row maps are
 * never mutated: each update copies only the tables it touches.
 */
export class OvsdbMonitor implements OvsdbMonitorApi {
  private tables: Map<string, PersistentMap<Row>>;
  private readonly subject = new Subject<MonitorUpdate>();
  readonly updates$: Observable<MonitorUpdate> = this.subject.asObservable();
  private methodIndex = 0;
  private txnId: string | undefined;
  /** Notifications that arrived before the (re)monitor reply was applied. */
  private queue: { method: string; params: readonly unknown[] }[] | undefined;
  private cancelled = false;
  /** Bad rows are logged once each (bounded: past 1000 distinct rows, once for all the others). */
  private readonly badRows = new LogThrottle(Infinity, 1000);
  private readonly throttle: LogThrottle;

  private currentSchema: DbSchema;
  private requests: MonitorRequests;

  constructor(
    private readonly host: MonitorHost,
    readonly id: string,
    readonly db: string,
    schema: DbSchema,
    requests: MonitorRequests,
  ) {
    for (const t of Object.keys(requests)) tableSchema(schema, t);
    this.currentSchema = schema;
    this.requests = requests;
    this.throttle = host.throttle ?? new LogThrottle(10_000);
    this.tables = new Map(Object.keys(requests).map((t) => [t, PersistentMap.empty<Row>()]));
  }

  /** The schema rows are decoded with; replaced when the database is converted. */
  get schema(): DbSchema {
    return this.currentSchema;
  }

  /** True once the monitor ended (cancelled, client closed, or failed: see updates$'s error). */
  get ended(): boolean {
    return this.cancelled;
  }

  /**
   * Takes a new schema (the database was converted): throws OvsdbSchemaError if
   * a monitored table or column is gone; otherwise the next establish() rebuilds
   * the rows under the new schema.
   */
  setSchema(schema: DbSchema): void {
    for (const [t, r] of Object.entries(this.requests)) {
      const ts = tableSchema(schema, t);
      for (const c of r.columns ?? []) {
        if (!ts.columns.has(c)) throw new OvsdbSchemaError(`column ${t}.${c} monitored on ${this.db} is gone from the converted schema`);
      }
    }
    this.currentSchema = schema;
    this.txnId = undefined;
  }

  /** Ends the monitor with an error on updates$ (it will not be re-established). */
  fail(err: Error): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.host.forget(this.id);
    this.subject.error(err);
  }

  /**
   * monitor_cond_change: new `where` conditions for some tables (undefined: all
   * rows) without a new full download; the server sends the rows that enter and
   * leave the condition as inserts and deletes. Needs monitor_cond or
   * monitor_cond_since; the conditions are kept for later resyncs.
   */
  async changeConditions(where: Readonly<Record<string, readonly MonitorCondition[] | undefined>>): Promise<void> {
    if (this.cancelled) throw new OvsdbSchemaError(`monitor ${this.id} on ${this.db} has ended`);
    if (this.method === 'monitor') throw new OvsdbSchemaError(`the server of ${this.db} only supports monitor (v1): no monitor_cond_change`);
    for (const t of Object.keys(where)) {
      if (!(t in this.requests)) throw new OvsdbSchemaError(`table ${t} is not monitored by ${this.id} on ${this.db}`);
    }
    const conn = this.host.currentConnection();
    if (!conn) throw new OvsdbDisconnectedError(this.host.endpoint, 'monitor_cond_change', 'not connected');
    const upd: Record<string, unknown[]> = {};
    for (const [t, w] of Object.entries(where)) upd[t] = [{ where: w ?? [true] }];
    await conn.request('monitor_cond_change', [this.id, this.id, upd]);
    const next: Record<string, MonitorRequests[string]> = { ...this.requests };
    for (const [t, w] of Object.entries(where)) next[t] = { ...this.requests[t], where: w };
    this.requests = next;
  }

  get method(): MonitorMethod {
    return METHODS[this.methodIndex]!;
  }

  get lastTxnId(): string | undefined {
    return this.txnId;
  }

  rows(): DbRows {
    return this.tables;
  }

  /** (Re)issues the monitor on a fresh connection and applies the reply; resume=true tries to continue from the last txn id. */
  async establish(conn: RpcConnection, resume: boolean): Promise<void> {
    this.queue = [];
    try {
      for (;;) {
        const method = this.method;
        const resumeFrom = method === 'monitor_cond_since' && resume ? this.txnId : undefined;
        try {
          const reply = await conn.request(method, this.params(method, resume));
          this.applyReply(method, reply, resume);
          break;
        } catch (err) {
          if (err instanceof OvsdbRpcError && err.error === 'unknown method' && this.methodIndex < METHODS.length - 1) {
            this.host.logger.info({ endpoint: this.host.endpoint, db: this.db, method }, 'OVSDB server lacks this monitor method; falling back');
            this.methodIndex++;
            continue;
          }
          if (err instanceof OvsdbRpcError && resumeFrom !== undefined) {
            // The server refused to resume from our txn id: whatever it is, it must not fail every resync. Start over.
            this.host.logger.warn({ endpoint: this.host.endpoint, db: this.db, monitor: this.id, txnId: resumeFrom, err }, 'OVSDB server refused to resume the monitor; monitoring from scratch');
            this.txnId = undefined;
            continue;
          }
          throw err;
        }
      }
      const queued = this.queue;
      this.queue = undefined;
      for (const q of queued) this.onNotification(q.method, q.params);
    } finally {
      this.queue = undefined;
    }
  }

  /** update / update2 / update3 for this monitor id, in arrival order. */
  onNotification(method: string, params: readonly unknown[]): void {
    if (this.cancelled) return;
    if (this.queue) {
      this.queue.push({ method, params });
      return;
    }
    if (method === 'update3') {
      this.setTxnId(params[1]);
      this.applyUpdates2(params[2], false);
    } else if (method === 'update2') {
      this.applyUpdates2(params[1], false);
    } else if (method === 'update') {
      this.applyUpdates1(params[1], false);
    }
  }

  async cancel(): Promise<void> {
    if (this.cancelled) return;
    this.cancelled = true;
    this.host.forget(this.id);
    const conn = this.host.currentConnection();
    try {
      if (conn) await conn.request('monitor_cancel', [this.id]);
    } catch (err) {
      this.host.logger.debug({ endpoint: this.host.endpoint, db: this.db, err }, 'OVSDB monitor_cancel failed (connection gone?)');
    } finally {
      this.subject.complete();
    }
  }

  /** Ends updates$ without talking to the server (client closed). */
  complete(): void {
    this.cancelled = true;
    this.subject.complete();
  }

  private params(method: MonitorMethod, resume: boolean): unknown[] {
    const reqs: Record<string, unknown> = {};
    for (const [table, r] of Object.entries(this.requests)) {
      const req: Record<string, unknown> = {};
      if (r.columns) req.columns = r.columns;
      if (method === 'monitor') {
        if (r.where) this.host.logger.warn({ db: this.db, table }, 'OVSDB server only supports monitor (v1): where-clause ignored, all rows monitored');
      } else if (r.where) req.where = r.where;
      reqs[table] = req;
    }
    if (method === 'monitor_cond_since') return [this.db, this.id, reqs, resume && this.txnId ? this.txnId : ZERO_UUID];
    return [this.db, this.id, reqs];
  }

  private applyReply(method: MonitorMethod, reply: unknown, resume: boolean): void {
    if (method === 'monitor_cond_since') {
      if (!Array.isArray(reply) || reply.length < 3 || typeof reply[0] !== 'boolean') {
        throw new OvsdbProtocolError(this.host.endpoint, 'monitor_cond_since reply is not [found, last-txn-id, updates]');
      }
      const [found, txnId, updates] = reply as [boolean, unknown, unknown];
      this.host.logger.debug({ endpoint: this.host.endpoint, db: this.db, found, sentTxnId: resume ? this.txnId : undefined, txnId }, 'OVSDB monitor_cond_since reply');
      this.setTxnId(txnId);
      const delta = found && resume;
      if (!delta && resume) this.host.logger.info({ endpoint: this.host.endpoint, db: this.db }, 'OVSDB could not resume monitor from last txn id; rebuilding replica');
      this.applyUpdates2(updates, !delta);
    } else if (method === 'monitor_cond') {
      this.txnId = undefined;
      this.applyUpdates2(reply, true);
    } else {
      this.txnId = undefined;
      this.applyUpdates1(reply, true);
    }
  }

  /** Keeps a last-txn-id only if it is a uuid: anything else would be sent back on the next resync and refused forever. */
  private setTxnId(txnId: unknown): void {
    if (isUuid(txnId)) {
      this.txnId = txnId;
      return;
    }
    this.txnId = undefined;
    if (txnId === undefined) return;
    this.anomaly('bad-txn-id');
    const t = this.throttle.hit('bad-txn-id');
    if (t.log) {
      this.host.logger.warn(
        { endpoint: this.host.endpoint, db: this.db, monitor: this.id, txnId: typeof txnId === 'string' ? txnId.slice(0, 64) : typeof txnId, alsoSeen: t.suppressed },
        'OVSDB server sent a last-txn-id that is not a uuid; the next resync starts from scratch',
      );
    }
  }

  private anomaly(kind: OvsdbAnomalyKind): void {
    try {
      this.host.onAnomaly?.(kind);
    } catch {
      // A metric callback must not break the monitor.
    }
  }

  /** A row the server sent that does not fit the schema: counted, logged once, skipped (its previous version, if any, stays). */
  private badRow(table: string, uuid: string, err: unknown): void {
    this.anomaly('bad-row');
    const key = `${table}\u0000${uuid}`;
    if (!this.badRows.hit(key).log) return;
    this.host.logger.warn(
      { endpoint: this.host.endpoint, db: this.db, table, uuid: uuid.slice(0, 64), err: err instanceof Error ? err.message : String(err) },
      'OVSDB row does not fit the schema; skipped',
    );
  }

  private columns(table: string): readonly string[] | undefined {
    return this.requests[table]?.columns;
  }

  private applyUpdates2(updates: unknown, reset: boolean): void {
    if (!isObject(updates)) throw new OvsdbProtocolError(this.host.endpoint, 'monitor update is not an object');
    this.apply(updates as TableUpdates<RowUpdate2>, reset, (ts, table, id, ru, oldRow) => {
      const row = ru.initial ?? ru.insert;
      if (row !== undefined) return decodeRow(ts, id, row, this.columns(table));
      if (ru.modify !== undefined) {
        const old = oldRow();
        if (!old) {
          const t = this.throttle.hit('modify-unknown-row');
          if (t.log) this.host.logger.warn({ endpoint: this.host.endpoint, db: this.db, table, uuid: id.slice(0, 64), alsoSeen: t.suppressed }, 'OVSDB modify for a row not in the replica; ignored');
          return undefined;
        }
        return applyRowDiff(ts, old, ru.modify);
      }
      if (!Object.hasOwn(ru, 'delete')) {
        // Neither initial, insert, modify nor delete.
        throw new OvsdbDatumError('row update has no initial, insert, modify or delete');
      }
      return undefined;
    });
  }

  private applyUpdates1(updates: unknown, reset: boolean): void {
    if (!isObject(updates)) throw new OvsdbProtocolError(this.host.endpoint, 'monitor update is not an object');
    this.apply(updates as TableUpdates<RowUpdate1>, reset, (ts, table, id, ru) =>
      ru.new !== undefined ? decodeRow(ts, id, ru.new as WireRow, this.columns(table)) : undefined,
    );
  }

  // Structural sharing: a touched table gets a new persistent map that shares all but O(log n) nodes per changed row
  // with the old one, so readers keep valid snapshots and an update costs O(change), not O(table).
  private apply<R>(
    updates: TableUpdates<R>,
    reset: boolean,
    next: (ts: TableSchema, table: string, id: string, ru: R, old: () => Row | undefined) => Row | undefined,
  ): void {
    const changed = new Map<string, Set<string>>();
    const tables = new Map(this.tables);
    if (reset) {
      for (const [t, rows] of this.tables) {
        changed.set(t, new Set(rows.keys()));
        tables.set(t, PersistentMap.empty());
      }
    }
    for (const [table, rowUpdates] of Object.entries(updates)) {
      const ts = this.schema.tables.get(table);
      const current = tables.get(table);
      if (!ts || !current) continue;
      if (!isObject(rowUpdates)) {
        this.badRow(table, '*', new OvsdbDatumError('table update is not an object'));
        continue;
      }
      const rows = current.builder();
      const ids = changed.get(table) ?? new Set<string>();
      const oldRow = (id: string) => (): Row | undefined => rows.get(id);
      for (const id in rowUpdates) {
        if (!Object.hasOwn(rowUpdates, id)) continue;
        const ru = (rowUpdates as Record<string, unknown>)[id];
        // One bad row never costs the others, nor the connection: it is skipped (and logged once).
        let row: Row | undefined;
        try {
          if (!isObject(ru)) throw new OvsdbDatumError('row update is not an object');
          row = next(ts, table, id, ru as R, oldRow(id));
        } catch (err) {
          this.badRow(table, id, err);
          continue;
        }
        if (row) rows.set(id, row);
        else rows.delete(id);
        ids.add(id);
      }
      tables.set(table, rows.build());
      changed.set(table, ids);
    }
    this.tables = tables;
    this.subject.next({ reset, changed, rows: tables });
  }
}
