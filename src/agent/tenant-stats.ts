import { auditTime, ignoreElements, tap, type Observable } from 'rxjs';
import type { VswitchSnapshot } from '../ovsdb/index.js';
import { ownedPorts } from '../core/owned-ports.js';
import type { Metrics } from '../observe/metrics.js';

export interface TrafficCounts {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
}

const FIELDS = [
  ['rxPackets', 'rx_packets'],
  ['txPackets', 'tx_packets'],
  ['rxBytes', 'rx_bytes'],
  ['txBytes', 'tx_bytes'],
] as const;

/** What a statistic read from OVSDB may be: a finite count, never below 0 (anything else is a lie, not a reset). */
function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/**
 * Turns OVS interface statistics (per port, reset when a port or
 * ovs-vswitchd goes) into per-tenant increases, so the exported counters only
 * ever grow: a port leaving its tenant does not lower the tenant's total.
 * The statistics come from the database, where anyone with access can write
 * anything (`ovs-vsctl set Interface X statistics:rx_packets=-5`): a value
 * that is not a count is ignored (the port's last good value stands) and
 * reported to `onBadValue`, and every increase is clamped at 0, so nothing
 * here can throw out of the subscriber that feeds the counters.
 */
export class TenantTraffic {
  private readonly last = new Map<string, { tenant: string; counts: TrafficCounts }>();

  /** Increases per tenant since the previous call (a port seen the first time contributes all it has). */
  update(snap: VswitchSnapshot, bridge: string, onBadValue: (iface: string, statistic: string) => void = () => undefined): Map<string, TrafficCounts> {
    const out = new Map<string, TrafficCounts>();
    const seen = new Set<string>();
    for (const o of ownedPorts(snap, bridge).owned) {
      const stats: Readonly<Record<string, unknown>> = snap.interfaces.get(o.ifaceUuid)?.statistics ?? {};
      const prev = this.last.get(o.ifaceUuid);
      const same = prev !== undefined && prev.tenant === o.tenant;
      const now: TrafficCounts = { rxPackets: 0, txPackets: 0, rxBytes: 0, txBytes: 0 };
      for (const [k, ovs] of FIELDS) {
        const v = Object.hasOwn(stats, ovs) ? stats[ovs] : 0;
        if (isCount(v)) now[k] = v;
        else {
          onBadValue(o.ifaceUuid, ovs);
          now[k] = same ? prev.counts[k] : 0;
        }
      }
      const inc = out.get(o.tenant) ?? { rxPackets: 0, txPackets: 0, rxBytes: 0, txBytes: 0 };
      for (const [k] of FIELDS) {
        const before = same ? prev.counts[k] : 0;
        // A lower value means the port's statistics were reset (ovs-vswitchd restarted).
        const delta = now[k] >= before ? now[k] - before : now[k];
        inc[k] += Number.isFinite(delta) && delta > 0 ? delta : 0;
      }
      out.set(o.tenant, inc);
      this.last.set(o.ifaceUuid, { tenant: o.tenant, counts: now });
      seen.add(o.ifaceUuid);
    }
    for (const k of this.last.keys()) if (!seen.has(k)) this.last.delete(k);
    return out;
  }

  /**
   * Adds the increases since the previous call to the nsvswitch_tenant_*_total counters;
   * a statistic that is not a count adds to nsvswitch_ovsdb_anomalies_total{kind="bad-statistic"}.
   */
  publish(metrics: Metrics, snap: VswitchSnapshot, bridge: string): void {
    const increases = this.update(snap, bridge, () => metrics.ovsdbAnomalies.inc({ kind: 'bad-statistic' }));
    for (const [tenant, c] of increases) {
      metrics.tenantRxPackets.inc({ tenant }, c.rxPackets);
      metrics.tenantTxPackets.inc({ tenant }, c.txPackets);
      metrics.tenantRxBytes.inc({ tenant }, c.rxBytes);
      metrics.tenantTxBytes.inc({ tenant }, c.txBytes);
    }
  }
}

/** How often per-tenant traffic counters are refreshed from OVSDB interface statistics. */
export const TENANT_STATS_INTERVAL_MS = 1000;

/** Publishes the per-tenant traffic counters as the replica's interface statistics change, at most once per interval. */
export function tenantTraffic$(changes$: Observable<VswitchSnapshot>, metrics: Metrics, bridge: string): Observable<never> {
  const traffic = new TenantTraffic();
  return changes$.pipe(
    auditTime(TENANT_STATS_INTERVAL_MS),
    tap((snap) => traffic.publish(metrics, snap, bridge)),
    ignoreElements(),
  );
}
