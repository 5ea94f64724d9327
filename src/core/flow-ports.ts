import type { DesiredPort, OwnedPort } from './model.js';
import { hasUsableOfport, type FlowPort } from './pipeline/index.js';

/** A recorded port as the pipeline sees it (ofport from OVSDB, the rest from our external_ids). */
export function ownedFlowPort(o: OwnedPort): FlowPort {
  const ip = o.cidr?.split('/')[0];
  const ip6 = o.cidr6?.split('/')[0];
  return { portName: o.name, ofport: o.ofport ?? -1, mac: o.mac, ...(ip ? { ip } : {}), tenantId: o.tenantId, tenant: o.tenant, ...(ip6 ? { ip6 } : {}) };
}

/** A port being plugged, under the OpenFlow number requested for it. */
export function desiredFlowPort(d: DesiredPort, ofport: number): FlowPort {
  return { portName: d.hostIf, ofport, mac: d.mac, ...(d.ip !== undefined ? { ip: d.ip } : {}), tenantId: d.tenantId, tenant: d.tenant, ...(d.ipv6 ? { ip6: d.ipv6.ip } : {}) };
}

/**
 * The ports whose flows go in while OVSDB and ovs-vswitchd record new ports:
 * those kept as they are, plus the new ones under their requested numbers.
 * Never a port on its way out: a replugged port (same namespace, so the same
 * MAC and the same unicast flow match) would otherwise appear twice, once
 * under its old number and once under its new one, and only one of the two
 * flows can be on the switch.
 */
export function earlyFlowPorts(keep: readonly OwnedPort[], plugged: readonly DesiredPort[], requests: readonly (number | undefined)[]): FlowPort[] {
  return [
    ...keep.map(ownedFlowPort),
    ...plugged.flatMap((d, i) => {
      const n = requests[i];
      return n === undefined ? [] : [desiredFlowPort(d, n)];
    }),
  ].filter(hasUsableOfport);
}
