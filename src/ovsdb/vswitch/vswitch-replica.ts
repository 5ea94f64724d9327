import { filter, firstValueFrom, race, Subject, timer, map, type Observable, type Subscription } from 'rxjs';
import { silentLogger, type Logger } from '../../observe/logger.js';
import type { MonitorUpdate, OvsdbMonitorApi, VswitchReplicaApi } from '../contract.js';
import { PersistentMap } from '../data/persistent-map.js';
import { remapRows as remap } from '../data/remap-rows.js';
import { OvsdbCurCfgTimeoutError } from '../errors/cur-cfg-timeout-error.js';
import { OvsdbDisconnectedError } from '../errors/ovsdb-disconnected-error.js';
import type { OvsdbClient } from '../client/ovsdb-client.js';
import { toBridgeRow, toInterfaceRow, toOpenVSwitchRow, toPortRow } from './row-mappers.js';
import { VSWITCH_COLUMNS, type VswitchSnapshot } from './vswitch-rows.js';

export const VSWITCH_DB = 'Open_vSwitch';
export const DEFAULT_CUR_CFG_TIMEOUT_MS = 30_000;

const EMPTY: VswitchSnapshot = { openVSwitch: undefined, bridges: PersistentMap.empty(), ports: PersistentMap.empty(), interfaces: PersistentMap.empty() };

/**
 * A typed, immutable view of Open_vSwitch, Bridge, Port and Interface, fed by
 * one monitor (and so kept right across reconnects, resumed or rebuilt).
 */
export class VswitchReplica implements VswitchReplicaApi {
  private current: VswitchSnapshot = EMPTY;
  private readonly subject = new Subject<VswitchSnapshot>();
  private readonly stopped$ = new Subject<void>();
  private readonly sub: Subscription;
  private stopped = false;
  readonly changes$: Observable<VswitchSnapshot> = this.subject.asObservable();

  private constructor(
    /** The monitor feeding this replica (method in use, last txn id, raw decoded rows). */
    readonly monitor: OvsdbMonitorApi,
    private readonly logger: Logger,
  ) {
    this.apply({ reset: true, changed: new Map(), rows: monitor.rows() });
    this.sub = monitor.updates$.subscribe({
      next: (u) => this.apply(u),
      error: (err: unknown) => {
        this.logger.error({ err }, 'OVSDB replica monitor ended with an error');
        this.markStopped();
      },
      complete: () => this.markStopped(),
    });
  }

  /** Monitors the four tables; resolves after the initial snapshot. */
  static async start(client: OvsdbClient, opts: { logger?: Logger } = {}): Promise<VswitchReplica> {
    const tables = Object.fromEntries(Object.entries(VSWITCH_COLUMNS).map(([t, columns]) => [t, { columns }]));
    const monitor = await client.monitor(VSWITCH_DB, tables);
    return new VswitchReplica(monitor, opts.logger ?? silentLogger());
  }

  snapshot(): VswitchSnapshot {
    return this.current;
  }

  async waitForCurCfg(cfg: number, timeoutMs = DEFAULT_CUR_CFG_TIMEOUT_MS): Promise<void> {
    const reached = (s: VswitchSnapshot): boolean => (s.openVSwitch?.cur_cfg ?? -Infinity) >= cfg;
    if (reached(this.current)) return;
    if (this.stopped) throw new OvsdbDisconnectedError('replica', 'waitForCurCfg', `replica stopped before cur_cfg reached ${cfg}`);
    const outcome = await firstValueFrom(
      race(
        this.subject.pipe(filter(reached), map(() => 'ok' as const)),
        timer(timeoutMs).pipe(map(() => 'timeout' as const)),
        this.stopped$.pipe(map(() => 'stopped' as const)),
      ),
      { defaultValue: 'stopped' as const },
    );
    if (outcome === 'timeout') throw new OvsdbCurCfgTimeoutError(cfg, this.current.openVSwitch?.cur_cfg, timeoutMs);
    if (outcome === 'stopped') throw new OvsdbDisconnectedError('replica', 'waitForCurCfg', `replica stopped before cur_cfg reached ${cfg}`);
  }

  async stop(): Promise<void> {
    this.sub.unsubscribe();
    this.markStopped();
    await this.monitor.cancel();
  }

  private markStopped(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopped$.next();
    this.subject.complete();
  }

  private apply(u: MonitorUpdate): void {
    const prev = this.current;
    const ovsRows = u.rows.get('Open_vSwitch');
    const ovsChanged = u.reset || (u.changed.get('Open_vSwitch')?.size ?? 0) > 0;
    const first = ovsRows ? ovsRows.values().next().value : undefined;
    this.current = {
      openVSwitch: ovsChanged ? (first ? toOpenVSwitchRow(first) : undefined) : prev.openVSwitch,
      bridges: remap(prev.bridges, u.rows.get('Bridge'), u.changed.get('Bridge'), u.reset, toBridgeRow),
      ports: remap(prev.ports, u.rows.get('Port'), u.changed.get('Port'), u.reset, toPortRow),
      interfaces: remap(prev.interfaces, u.rows.get('Interface'), u.changed.get('Interface'), u.reset, toInterfaceRow),
    };
    if (u.reset) this.logger.debug({ bridges: this.current.bridges.size, ports: this.current.ports.size }, 'OVSDB replica rebuilt');
    this.subject.next(this.current);
  }
}
