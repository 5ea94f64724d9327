import type { VswitchSnapshot } from '../ovsdb/index.js';
import { ownedPorts } from '../core/owned-ports.js';
import type { Metrics } from '../observe/metrics.js';

export interface TenantCounters {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
}

/** Sums OVS interface statistics (as ovs-vswitchd writes them to OVSDB) over each tenant's ports. */
export function tenantCounters(snap: VswitchSnapshot, bridge: string): Map<string, TenantCounters> {
  const out = new Map<string, TenantCounters>();
  for (const o of ownedPorts(snap, bridge).owned) {
    const s = snap.interfaces.get(o.ifaceUuid)?.statistics ?? {};
    const c = out.get(o.tenant) ?? { rxPackets: 0, txPackets: 0, rxBytes: 0, txBytes: 0 };
    c.rxPackets += s.rx_packets ?? 0;
    c.txPackets += s.tx_packets ?? 0;
    c.rxBytes += s.rx_bytes ?? 0;
    c.txBytes += s.tx_bytes ?? 0;
    out.set(o.tenant, c);
  }
  return out;
}

/** Publishes the sums as the nsvswitch_tenant_* gauges (tenants without ports disappear). */
export function publishTenantCounters(metrics: Metrics, counters: ReadonlyMap<string, TenantCounters>): void {
  for (const g of [metrics.tenantRxPackets, metrics.tenantTxPackets, metrics.tenantRxBytes, metrics.tenantTxBytes]) g.reset();
  for (const [tenant, c] of counters) {
    metrics.tenantRxPackets.set({ tenant }, c.rxPackets);
    metrics.tenantTxPackets.set({ tenant }, c.txPackets);
    metrics.tenantRxBytes.set({ tenant }, c.rxBytes);
    metrics.tenantTxBytes.set({ tenant }, c.txBytes);
  }
}
