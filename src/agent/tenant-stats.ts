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

/**
 * Turns OVS interface statistics (per port, reset when a port or
 * ovs-vswitchd goes) into per-tenant increases, so the exported counters only
 * ever grow: a port leaving its tenant does not lower the tenant's total.
 */
export class TenantTraffic {
  private readonly last = new Map<string, { tenant: string; counts: TrafficCounts }>();

  /** Increases per tenant since the previous call (a port seen the first time contributes all it has). */
  update(snap: VswitchSnapshot, bridge: string): Map<string, TrafficCounts> {
    const out = new Map<string, TrafficCounts>();
    const seen = new Set<string>();
    for (const o of ownedPorts(snap, bridge).owned) {
      const stats = snap.interfaces.get(o.ifaceUuid)?.statistics ?? {};
      const now: TrafficCounts = { rxPackets: 0, txPackets: 0, rxBytes: 0, txBytes: 0 };
      for (const [k, ovs] of FIELDS) now[k] = stats[ovs] ?? 0;
      const prev = this.last.get(o.ifaceUuid);
      const inc = out.get(o.tenant) ?? { rxPackets: 0, txPackets: 0, rxBytes: 0, txBytes: 0 };
      for (const [k] of FIELDS) {
        const before = prev && prev.tenant === o.tenant ? prev.counts[k] : 0;
        // A lower value means the port's statistics were reset (ovs-vswitchd restarted).
        inc[k] += now[k] >= before ? now[k] - before : now[k];
      }
      out.set(o.tenant, inc);
      this.last.set(o.ifaceUuid, { tenant: o.tenant, counts: now });
      seen.add(o.ifaceUuid);
    }
    for (const k of this.last.keys()) if (!seen.has(k)) this.last.delete(k);
    return out;
  }

  /** Adds the increases since the previous call to the nsvswitch_tenant_*_total counters. */
  publish(metrics: Metrics, snap: VswitchSnapshot, bridge: string): void {
    for (const [tenant, c] of this.update(snap, bridge)) {
      metrics.tenantRxPackets.inc({ tenant }, c.rxPackets);
      metrics.tenantTxPackets.inc({ tenant }, c.txPackets);
      metrics.tenantRxBytes.inc({ tenant }, c.rxBytes);
      metrics.tenantTxBytes.inc({ tenant }, c.txBytes);
    }
  }
}
