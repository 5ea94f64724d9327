import { Subject, type Observable, type Subscription } from 'rxjs';
import { silentLogger, type Logger } from '../../observe/logger.js';
import type { MonitorUpdate, OvsdbClientApi, OvsdbMonitorApi } from '../contract.js';
import { PersistentMap } from '../data/persistent-map.js';
import { remapRows } from '../data/remap-rows.js';
import type { Row } from '../data/row-types.js';
import type { MonitorTableRequest } from '../wire/wire-types.js';

/** One typed-row mapper per monitored table. */
export type RowMappers = Readonly<Record<string, (r: Row) => unknown>>;

/** Typed rows of every monitored table, by _uuid. */
export type TypedSnapshot<M extends RowMappers> = { readonly [T in keyof M]: ReadonlyMap<string, ReturnType<M[T]>> };

/**
 * A typed, immutable view of some tables of any database, fed by one monitor
 * (kept right across reconnects, resumed or rebuilt), updated in O(change).
 * The Open_vSwitch replica predates it; the OVN databases use this one.
 */
export class TypedReplica<M extends RowMappers> {
  private current: TypedSnapshot<M>;
  private readonly subject = new Subject<TypedSnapshot<M>>();
  private readonly sub: Subscription;
  readonly changes$: Observable<TypedSnapshot<M>> = this.subject.asObservable();

  private constructor(readonly monitor: OvsdbMonitorApi, private readonly mappers: M, private readonly logger: Logger) {
    const empty = Object.fromEntries(Object.keys(mappers).map((t) => [t, PersistentMap.empty()])) as unknown as TypedSnapshot<M>;
    this.current = empty;
    this.apply({ reset: true, changed: new Map(), rows: monitor.rows() });
    this.sub = monitor.updates$.subscribe({
      next: (u) => this.apply(u),
      error: (err: unknown) => {
        this.logger.error({ err, db: monitor.db }, 'OVSDB replica monitor ended with an error');
        this.subject.complete();
      },
      complete: () => this.subject.complete(),
    });
  }

  /** Monitors `tables` of `db` (columns and conditions per table); resolves after the initial snapshot. */
  static async start<M extends RowMappers>(
    client: OvsdbClientApi, db: string, tables: { readonly [T in keyof M]: MonitorTableRequest }, mappers: M, opts: { logger?: Logger } = {},
  ): Promise<TypedReplica<M>> {
    const monitor = await client.monitor(db, tables as Readonly<Record<string, MonitorTableRequest>>);
    return new TypedReplica(monitor, mappers, opts.logger ?? silentLogger());
  }

  snapshot(): TypedSnapshot<M> {
    return this.current;
  }

  async stop(): Promise<void> {
    this.sub.unsubscribe();
    this.subject.complete();
    await this.monitor.cancel();
  }

  private apply(u: MonitorUpdate): void {
    const prev = this.current as Readonly<Record<string, ReadonlyMap<string, unknown>>>;
    const next: Record<string, ReadonlyMap<string, unknown>> = {};
    for (const [table, f] of Object.entries(this.mappers)) next[table] = remapRows(prev[table]!, u.rows.get(table), u.changed.get(table), u.reset, f);
    this.current = next as TypedSnapshot<M>;
    this.subject.next(this.current);
  }
}
