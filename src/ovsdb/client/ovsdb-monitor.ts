import { Subject, type Observable } from 'rxjs';
import type { Logger } from '../../observe/logger.js';
import type { MonitorMethod, MonitorUpdate, OvsdbMonitorApi } from '../contract.js';
import { applyRowDiff, decodeRow } from '../data/datum-codec.js';
import type { DbRows, Row } from '../data/row-types.js';
import { OvsdbProtocolError } from '../errors/ovsdb-protocol-error.js';
import { OvsdbRpcError } from '../errors/ovsdb-rpc-error.js';
import { tableSchema, type DbSchema, type TableSchema } from '../schema/db-schema.js';
import type { RpcConnection } from '../rpc/rpc-connection.js';
import { ZERO_UUID, type MonitorRequests, type RowUpdate1, type RowUpdate2, type TableUpdates, type WireRow } from '../wire/wire-types.js';

/** The client side a monitor needs: cancel sends monitor_cancel, forget unregisters it. */
export interface MonitorHost {
  readonly endpoint: string;
  readonly logger: Logger;
  currentConnection(): RpcConnection | undefined;
  forget(monitorId: string): void;
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
  private tables: Map<string, ReadonlyMap<string, Row>>;
  private readonly subject = new Subject<MonitorUpdate>();
  readonly updates$: Observable<MonitorUpdate> = this.subject.asObservable();
  private methodIndex = 0;
  private txnId: string | undefined;
  /** Notifications that arrived before the (re)monitor reply was applied. */
  private queue: { method: string; params: readonly unknown[] }[] | undefined;
  private cancelled = false;

  constructor(
    private readonly host: MonitorHost,
    readonly id: string,
    readonly db: string,
    readonly schema: DbSchema,
    private readonly requests: MonitorRequests,
  ) {
    for (const t of Object.keys(requests)) tableSchema(schema, t);
    this.tables = new Map(Object.keys(requests).map((t) => [t, new Map<string, Row>()]));
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
      if (typeof params[1] === 'string') this.txnId = params[1];
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
      this.txnId = typeof txnId === 'string' ? txnId : undefined;
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

  private columns(table: string): readonly string[] | undefined {
    return this.requests[table]?.columns;
  }

  private applyUpdates2(updates: unknown, reset: boolean): void {
    if (!isObject(updates)) throw new OvsdbProtocolError(this.host.endpoint, 'monitor update is not an object');
    this.apply(updates as TableUpdates<RowUpdate2>, reset, (ts, table, id, ru, old) => {
      const row = ru.initial ?? ru.insert;
      if (row !== undefined) return decodeRow(ts, id, row, this.columns(table));
      if (ru.modify !== undefined) {
        if (!old) {
          this.host.logger.warn({ db: this.db, table, uuid: id }, 'OVSDB modify for a row not in the replica; ignored');
          return undefined;
        }
        return applyRowDiff(ts, old, ru.modify);
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

  // Copy-on-write: only touched tables get new maps; rows not in the update keep their identity.
  private apply<R>(
    updates: TableUpdates<R>,
    reset: boolean,
    next: (ts: TableSchema, table: string, id: string, ru: R, old: Row | undefined) => Row | undefined,
  ): void {
    const changed = new Map<string, Set<string>>();
    const tables = new Map(this.tables);
    if (reset) {
      for (const [t, rows] of this.tables) {
        changed.set(t, new Set(rows.keys()));
        tables.set(t, new Map());
      }
    }
    for (const [table, rowUpdates] of Object.entries(updates)) {
      const ts = this.schema.tables.get(table);
      const current = tables.get(table);
      if (!ts || !current || !isObject(rowUpdates)) continue;
      const rows = new Map(current);
      const ids = changed.get(table) ?? new Set<string>();
      for (const [id, ru] of Object.entries(rowUpdates)) {
        const row = next(ts, table, id, ru as R, rows.get(id));
        if (row) rows.set(id, row);
        else rows.delete(id);
        ids.add(id);
      }
      tables.set(table, rows);
      changed.set(table, ids);
    }
    this.tables = tables;
    this.subject.next({ reset, changed, rows: tables });
  }
}
